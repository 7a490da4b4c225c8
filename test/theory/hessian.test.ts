import { describe, expect, it } from 'vitest';
import { solveFamily } from '../../src/landscape/families.js';
import { NormalSampler } from '../../src/random/normal.js';
import { orthonormaliseRows } from '../../src/theory/init.js';
import { populationLoss } from '../../src/theory/loss.js';
import { activationByName } from '../../src/theory/activations/index.js';
import {
  CONTACT_ANGLE,
  FD_HESSIAN_STEP,
  type HessianOptions,
  finiteDifferenceHessian,
  parameterCount,
  reluContacts,
  reluHessian,
  reluWeightGradient,
  reluWeightLoss,
} from '../../src/theory/hessian/relu-hessian.js';
import {
  globalMinimumSpectrum,
  groupEigenvalues,
  outOfSpanBlock,
  predictedOverlapJacobian,
  symmetricEigenvalues,
} from '../../src/theory/hessian/spectrum.js';
import {
  type WeightPoint,
  identityGlobalMinimum,
  overlapsOfPoint,
  padDimension,
  realiseAtDimension,
} from '../../src/theory/hessian/weights.js';
import { teacherStudentFlow } from '../landscape/helpers.js';

const TWO_PI = 2 * Math.PI;

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** A generic point: Gaussian rows, readouts away from 1 and of both signs (no contacts with probability 1). */
function randomPoint(K: number, M: number, d: number, seed: number): WeightPoint {
  const s = new NormalSampler(seed);
  const V = s.fill(new Float64Array(K * d), 0, 1 / Math.sqrt(d));
  const Vstar = s.fill(new Float64Array(M * d), 0, 1 / Math.sqrt(d));
  const a = Float64Array.from({ length: K }, (_, k) => (k === 0 ? -0.7 : 0.6 + s.uniform()));
  const v = Float64Array.from({ length: M }, () => 0.5 + s.uniform());
  return { K, M, d, V, Vstar, a, v };
}

/** Random orthogonal d×d matrix (rows orthonormalised Gaussian). */
function randomOrthogonal(d: number, seed: number): Float64Array {
  const O = new NormalSampler(seed).fill(new Float64Array(d * d));
  orthonormaliseRows(O, d, d);
  for (let i = 0; i < d * d; i++) O[i] /= Math.sqrt(d);
  return O;
}

/** Rows of A (rows×d) times O (d×d). */
function rotateRows(A: Float64Array, rows: number, d: number, O: Float64Array): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) out[r * d + j] += A[r * d + i] * O[i * d + j];
  return out;
}

/** Central difference of the loss, step h·|v_k| (|a_k|) per parameter. */
function lossGradientFD(p: WeightPoint, options: HessianOptions, h: number): Float64Array {
  const P = parameterCount(p, options);
  const g = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    const V = p.V.slice();
    const a = p.a.slice();
    const q = { ...p, V, a };
    const weight = j < p.K * p.d;
    const arr = weight ? V : a;
    const idx = weight ? j : j - p.K * p.d;
    const k = weight ? Math.floor(j / p.d) : idx;
    const scale = weight ? Math.hypot(...p.V.subarray(k * p.d, (k + 1) * p.d)) : Math.abs(p.a[k]);
    const step = h * scale;
    arr[idx] += step;
    const up = reluWeightLoss(q);
    arr[idx] -= 2 * step;
    const down = reluWeightLoss(q);
    g[j] = (up - down) / (2 * step);
  }
  return g;
}

describe('weight-space loss and gradient (V = W/√d)', () => {
  it('the loss equals the overlap closed form L(Q, R, T) of docs/theory.md §2', () => {
    const p = randomPoint(4, 3, 7, 1);
    expect(reluWeightLoss(p)).toBeCloseTo(populationLoss(activationByName('relu'), overlapsOfPoint(p)), 14);
  });

  it.each([false, true])('the gradient equals central differences of the loss (readouts = %s)', (readouts) => {
    const p = randomPoint(4, 3, 7, 2);
    const g = reluWeightGradient(p, { readouts });
    // Error model of the loss FD (h = 1e-6·|v_k|): truncation h²|∂³L|/6 ~ 1e-12, round-off
    // ε·Σ|loss terms|/h ~ 1e-9; the tolerance is ~50× the round-off bound.
    const fd = lossGradientFD(p, { readouts }, 1e-6);
    expect(maxAbsDiff(g, fd)).toBeLessThan(5e-8 * Math.max(1, maxAbs(g)));
    expect(maxAbs(g)).toBeGreaterThan(1e-2);
  });
});

describe('closed-form Hessian against central differences of the exact gradient', () => {
  it.each([
    [3, 2, 5, false],
    [4, 4, 4, false],
    [3, 4, 8, true],
  ] as const)('K=%i M=%i d=%i readouts=%s: agreement at the FD error level', (K, M, d, readouts) => {
    const p = randomPoint(K, M, d, 10 * K + d);
    expect(reluContacts(p, 1e-3)).toEqual([]);
    const { H, size } = reluHessian(p, { readouts });
    expect(size).toBe(K * d + (readouts ? K : 0));
    for (let i = 0; i < size; i++) for (let j = 0; j < i; j++) expect(H[i * size + j]).toBe(H[j * size + i]);
    // docs/hessian.md "Finite differences": at h = 1e-5 truncation and round-off are both ~1e-10·scale.
    const fd = finiteDifferenceHessian(p, { readouts });
    expect(maxAbsDiff(H, fd)).toBeLessThan(1e-8 * maxAbs(H));
  });

  it('away from contacts the FD error is truncation-dominated at large h: it scales as h²', () => {
    const p = randomPoint(3, 3, 6, 7);
    const { H } = reluHessian(p);
    const e1 = maxAbsDiff(H, finiteDifferenceHessian(p, {}, 2e-3));
    const e2 = maxAbsDiff(H, finiteDifferenceHessian(p, {}, 1e-3));
    expect(e1 / e2).toBeGreaterThan(3.5);
    expect(e1 / e2).toBeLessThan(4.5);
  });

  it('at a contact (global minimum, v_k ∥ v*_k) L is C² but not C³: the Hessian is the continuous limit and the FD error is O(h)', () => {
    const p = identityGlobalMinimum(4);
    const contacts = reluContacts(p);
    expect(contacts.map((c) => c.label)).toEqual([
      'student 0 ∥ teacher 0',
      'student 1 ∥ teacher 1',
      'student 2 ∥ teacher 2',
      'student 3 ∥ teacher 3',
    ]);
    expect(contacts.every((c) => c.kind === 'parallel' && c.angle === 0)).toBe(true);
    const { H } = reluHessian(p);
    const e1 = maxAbsDiff(H, finiteDifferenceHessian(p, {}, FD_HESSIAN_STEP));
    const e2 = maxAbsDiff(H, finiteDifferenceHessian(p, {}, FD_HESSIAN_STEP / 2));
    // The kink of D(u, w) ∝ w⊥w⊥ᵀ/|w⊥| gives exactly h/(2π) here (|c_k c_β| = 1, |v_k| = 1).
    expect(e1).toBeCloseTo(FD_HESSIAN_STEP / TWO_PI, 8);
    expect(e1 / e2).toBeCloseTo(2, 3);
    // Continuity: tilting student 0 by an angle φ changes the Hessian by O(φ).
    const tilted = { ...p, V: p.V.slice() };
    tilted.V[1] = 1e-7;
    expect(reluContacts(tilted, 1e-9).map((c) => c.i)).toEqual([1, 2, 3]);
    expect(maxAbsDiff(reluHessian(tilted).H, H)).toBeLessThan(1e-6);
  });

  it('reports zero units and antiparallel pairs with their angle; a zero student has no Hessian', () => {
    const p = identityGlobalMinimum(3);
    const anti = { ...p, V: p.V.slice() };
    anti.V[0] = -1;
    expect(reluContacts(anti).find((c) => c.kind === 'antiparallel')).toMatchObject({
      i: 0,
      j: 3,
      label: 'student 0 ∥ −teacher 0',
      angle: Math.PI,
    });
    const zero = { ...p, V: p.V.slice() };
    zero.V[4] = 0;
    expect(reluContacts(zero)[0]).toMatchObject({ kind: 'zero-student', i: 1 });
    expect(() => reluHessian(zero)).toThrow(/student 1: zero weight vector/);
    expect(CONTACT_ANGLE).toBeLessThan(1e-3);
  });
});

describe('symmetries of the Hessian spectrum', () => {
  const p = randomPoint(4, 3, 6, 21);
  const spectrum = symmetricEigenvalues(reluHessian(p).H, 24);

  it('permuting the student units (with their readouts) permutes the Hessian and keeps its spectrum', () => {
    const perm = [2, 0, 3, 1];
    const { K, d } = p;
    const V = new Float64Array(K * d);
    perm.forEach((src, k) => V.set(p.V.subarray(src * d, (src + 1) * d), k * d));
    const q = { ...p, V, a: Float64Array.from(perm, (src) => p.a[src]) };
    const Hq = reluHessian(q).H;
    const Hp = reluHessian(p).H;
    const P = K * d;
    let worst = 0;
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) {
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++)
            worst = Math.max(
              worst,
              Math.abs(Hq[(k * d + i) * P + l * d + j] - Hp[(perm[k] * d + i) * P + perm[l] * d + j]),
            );
      }
    }
    expect(worst).toBeLessThan(1e-14);
    expect(maxAbsDiff(symmetricEigenvalues(Hq, P), spectrum)).toBeLessThan(1e-13);
  });

  it('a common rotation of students and teachers conjugates every d×d block and keeps the spectrum', () => {
    const O = randomOrthogonal(p.d, 5);
    const q = { ...p, V: rotateRows(p.V, p.K, p.d, O), Vstar: rotateRows(p.Vstar, p.M, p.d, O) };
    expect(reluWeightLoss(q)).toBeCloseTo(reluWeightLoss(p), 13);
    const Hq = reluHessian(q).H;
    expect(maxAbsDiff(symmetricEigenvalues(Hq, 24), spectrum)).toBeLessThan(1e-12);
    // Block (0,1) of H(VO) is Oᵀ H_01 O.
    const Hp = reluHessian(p).H;
    const d = p.d;
    const P = 24;
    let worst = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let x = 0; x < d; x++) for (let y = 0; y < d; y++) s += O[x * d + i] * Hp[x * P + d + y] * O[y * d + j];
        worst = Math.max(worst, Math.abs(s - Hq[i * P + d + j]));
      }
    }
    expect(worst).toBeLessThan(1e-13);
  });

  it('a rotation of the students alone changes the spectrum (the previous test can fail)', () => {
    const O = randomOrthogonal(p.d, 6);
    const q = { ...p, V: rotateRows(p.V, p.K, p.d, O) };
    expect(maxAbsDiff(symmetricEigenvalues(reluHessian(q).H, 24), spectrum)).toBeGreaterThan(1e-3);
  });
});

describe('spectrum at the Arjevani–Field global minimum V = V* = I, a = v = 1 (k = d = K)', () => {
  const q = 0.25;
  const r = 1 / TWO_PI;

  it.each([3, 5, 8])('K = %i: the distinct eigenvalues and multiplicities are the derived ones', (K) => {
    const p = identityGlobalMinimum(K);
    expect(reluWeightLoss(p)).toBeCloseTo(0, 14);
    expect(maxAbs(reluWeightGradient(p))).toBeLessThan(1e-14);
    const found = groupEigenvalues(symmetricEigenvalues(reluHessian(p).H, K * K), 1e-9);
    const predicted = groupEigenvalues(
      globalMinimumSpectrum(K).groups.flatMap((g) => Array<number>(g.multiplicity).fill(g.value)),
      1e-9,
    );
    expect(found.map((g) => g.multiplicity)).toEqual(predicted.map((g) => g.multiplicity));
    expect(
      maxAbsDiff(
        found.map((g) => g.value),
        predicted.map((g) => g.value),
      ),
    ).toBeLessThan(1e-12);
    // ¼ − 1/2π with multiplicity K(K−1)/2 (antisymmetric [K−2,1,1] plus one root of the standard block),
    // ¼ + 1/2π with multiplicity K(K−3)/2 ([K−2,2]; absent at K = 3).
    const at = (v: number) => found.find((g) => Math.abs(g.value - v) < 1e-12)?.multiplicity ?? 0;
    expect(at(q - r)).toBe((K * (K - 1)) / 2);
    expect(at(q + r)).toBe((K * (K - 3)) / 2);
    // The other two standard roots solve λ² − (K+2)/4·λ + (K+1)/16 + r/2 − r² = 0, multiplicity K − 1.
    const disc = Math.sqrt((K * K) / 64 - r / 2 + r * r);
    expect(at((K + 2) / 8 - disc)).toBe(K - 1);
    expect(at((K + 2) / 8 + disc)).toBe(K - 1);
    expect(found.reduce((s, g) => s + g.multiplicity, 0)).toBe(K * K);
  });

  it('the ¼ − 1/2π eigenspace is {A + diag(A1): A antisymmetric}', () => {
    const K = 6;
    const { H } = reluHessian(identityGlobalMinimum(K));
    const s = new NormalSampler(3);
    const A = new Float64Array(K * K);
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        A[i * K + j] = s.next();
        A[j * K + i] = -A[i * K + j];
      }
    }
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) if (j !== i) A[i * K + i] += A[i * K + j];
    const HA = new Float64Array(K * K);
    for (let i = 0; i < K * K; i++) for (let j = 0; j < K * K; j++) HA[i] += H[i * K * K + j] * A[j];
    expect(
      maxAbsDiff(
        HA,
        A.map((x) => (q - r) * x),
      ),
    ).toBeLessThan(1e-14);
  });

  it('with the readouts as parameters (gd2l) the K rescalings a_k → t a_k, v_k → v_k/t are the only zero modes', () => {
    const K = 5;
    for (const d of [K, K + 3]) {
      const ev = symmetricEigenvalues(
        reluHessian(padDimension(identityGlobalMinimum(K), d), { readouts: true }).H,
        K * d + K,
      );
      expect(ev.filter((e) => Math.abs(e) < 1e-12).length).toBe(K);
      expect(ev[K]).toBeCloseTo(q - r, 12);
    }
  });
});

describe('zero modes and the out-of-span block (d > rank[V; V*])', () => {
  it('padding to d > r adds the eigenvalues of B = diag(a)S_QQ, each d − r times', () => {
    const p = randomPoint(3, 2, 5, 31);
    const base = symmetricEigenvalues(reluHessian(p).H, 15);
    const b = symmetricEigenvalues(outOfSpanBlock(p), 3);
    const padded = symmetricEigenvalues(reluHessian(padDimension(p, 8)).H, 24);
    const expected = [...base, ...b, ...b, ...b].sort((x, y) => x - y);
    expect(maxAbsDiff(padded, expected)).toBeLessThan(1e-13);
  });

  // K = M = 4 critical points of the k1 ansatz (families.ts); some have students outside the teacher
  // span (r = rank Ω > M = r*). Rotations of R^d fixing span(V*) pointwise move V unless they act only
  // on span(U)^⊥: their orbit through V has dimension (d − r)(r − r*) + (r − r*)(r − r* − 1)/2,
  // all zero modes at a critical point (docs/hessian.md "Zero modes").
  const flow4 = teacherStudentFlow('gd', 4, 4);
  const critical = [1, 2].flatMap((k1) => solveFamily(flow4, k1));

  it('at critical points without contacts the zero-mode count is (d − r)(r − r*) + (r − r*)(r − r* − 1)/2', () => {
    let outOfSpan = 0;
    let checked = 0;
    for (const s of critical) {
      const { point, rank } = realiseAtDimension(flow4.unpack(s.x));
      if (reluContacts(point, 1e-4).length > 0) continue;
      expect(maxAbs(reluWeightGradient(point))).toBeLessThan(1e-9);
      const gap = rank - 4;
      if (gap > 0) outOfSpan++;
      for (const d of [rank, rank + 3]) {
        const ev = symmetricEigenvalues(reluHessian(padDimension(point, d)).H, 4 * d);
        const scale = maxAbs(ev);
        const zeros = ev.filter((e) => Math.abs(e) < 1e-8 * scale).length;
        expect(zeros).toBe((d - rank) * gap + (gap * (gap - 1)) / 2);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
    expect(outOfSpan).toBeGreaterThanOrEqual(4);
  });
});

describe('Hessian and the Jacobian of the (Q, R) gradient flow at the K = M = 8 families (d = rank Ω)', () => {
  const flow = teacherStudentFlow('gd', 8, 8);
  const families = new Map([1, 2].map((k1) => [k1, solveFamily(flow, k1)]));

  function relation(x: Float64Array, J: { re: number; im: number }[]) {
    const { point, rank, droppedMax } = realiseAtDimension(flow.unpack(x));
    expect(Math.abs(droppedMax)).toBeLessThan(1e-12);
    expect(maxAbs(reluWeightGradient(point))).toBeLessThan(1e-10);
    const hessian = symmetricEigenvalues(reluHessian(point).H, 8 * point.d);
    const pred = predictedOverlapJacobian(hessian, outOfSpanBlock(point), 8, flow.lr, rank - 8);
    const predicted = [...pred.tangent, ...pred.normal].sort((x, y) => x - y);
    const observed = J.map((e) => e.re).sort((x, y) => x - y);
    expect(observed).toHaveLength(100);
    expect(predicted).toHaveLength(100);
    return {
      point,
      rank,
      hessian,
      pred,
      deviation: maxAbsDiff(observed, predicted),
      maxIm: maxAbs(J.map((e) => e.im)),
    };
  }

  it.each([1, 2])(
    'k1 = %i stable: spec(J) = −spec(H_{d=K}) ∪ {−(b_i + b_j)}, and the slowest mode is −λ_min(H)',
    (k1) => {
      const stable = families.get(k1)!.filter((s) => s.stability.verdict === 'stable');
      expect(stable).toHaveLength(1);
      const [family] = stable;
      const { point, rank, hessian, pred, deviation, maxIm } = relation(family.x, family.stability.eigenvalues);
      expect(rank).toBe(8);
      expect(reluContacts(point, 1e-4)).toEqual([]);
      expect(hessian[0]).toBeGreaterThan(1e-3); // a strict minimum in weight space at d = K
      expect(maxIm).toBeLessThan(1e-8);
      expect(deviation).toBeLessThan(1e-7);
      // Slowest mode: the Hessian sector wins because 2 b_min > λ_min(H).
      expect(2 * pred.b[0]).toBeGreaterThan(hessian[0]);
      expect(family.stability.maxRealEigenvalue).toBeCloseTo(-flow.lr * hessian[0], 8);
      // At d > K the Hessian gains the b's (not 2b's): its minimum is still λ_min(H_{d=K}) here.
      const padded = symmetricEigenvalues(reluHessian(padDimension(point, 11)).H, 88);
      expect(padded[0]).toBeCloseTo(hessian[0], 12);
    },
  );

  it('every contact-free critical point of k1 = 1, 2 (saddles and r > M included) obeys the same relation', () => {
    let checked = 0;
    let outOfSpan = 0;
    for (const solutions of families.values()) {
      for (const s of solutions) {
        const { point } = realiseAtDimension(flow.unpack(s.x));
        if (reluContacts(point, 1e-4).length > 0) continue;
        const { rank, pred, deviation } = relation(s.x, s.stability.eigenvalues);
        expect(deviation).toBeLessThan(1e-7);
        expect(maxAbs(pred.dropped.hessian)).toBeLessThan(1e-10);
        expect(maxAbs(pred.dropped.b)).toBeLessThan(1e-10);
        if (rank > 8) outOfSpan++;
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    expect(outOfSpan).toBeGreaterThanOrEqual(6);
  });
});
