import { describe, expect, it } from 'vitest';
import { classifyEndState, countAntiAligned, matchStudentsToTeachers } from '../../src/landscape/classify.js';
import { FreeCoordinates } from '../../src/landscape/free-coordinates.js';
import { RealisabilityTest } from '../../src/landscape/stability.js';
import { NormalSampler } from '../../src/random/normal.js';
import { type Overlaps, identity } from '../../src/model/overlaps.js';
import { Flow } from '../../src/theory/flow.js';
import { activationByName } from '../../src/theory/activations/index.js';
import { randomOverlaps } from '../../src/theory/init.js';
import { solve } from '../../src/theory/solvers/solve.js';
import { maxAbs, rhsOf, teacherStudentFlow } from './helpers.js';

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

/** max over injective assignments of the smaller side of Σ|R| (brute force). */
function bruteForceBest(R: Float64Array, K: number, M: number): number {
  let best = -Infinity;
  const n = Math.max(K, M);
  for (const p of permutations(n)) {
    let s = 0;
    for (let k = 0; k < K; k++) if (p[k] < M) s += Math.abs(R[k * M + p[k]]);
    best = Math.max(best, s);
  }
  return best;
}

describe('student–teacher matching (Hungarian on |R|)', () => {
  it.each([
    [5, 5],
    [4, 6],
    [6, 4],
  ])('K=%i M=%i: optimal total |R| and a valid assignment', (K, M) => {
    const sampler = new NormalSampler(K * 7 + M);
    for (let trial = 0; trial < 5; trial++) {
      const R = sampler.fill(new Float64Array(K * M));
      const match = matchStudentsToTeachers(R, K, M);
      const used = Array.from(match).filter((m) => m >= 0);
      expect(used.length).toBe(Math.min(K, M));
      expect(new Set(used).size).toBe(used.length);
      const total = Array.from(match).reduce((s, m, k) => s + (m >= 0 ? Math.abs(R[k * M + m]) : 0), 0);
      expect(total).toBeCloseTo(bruteForceBest(R, K, M), 12);
    }
  });

  it('counts anti-aligned units after matching, independent of the student order', () => {
    // Two students anti-aligned (−0.7) with their teachers, one aligned; rows then permuted.
    const R = Float64Array.from([0.9, 0.1, 0.05, 0.1, -0.7, 0.2, 0.0, 0.3, -0.7]);
    const o: Overlaps = {
      K: 3,
      M: 3,
      Q: identity(3),
      R,
      T: identity(3),
      a: new Float64Array(3).fill(1),
      v: new Float64Array(3).fill(1),
    };
    expect(countAntiAligned(o)).toBe(2);
    const permuted = Float64Array.from([...R.slice(6, 9), ...R.slice(0, 3), ...R.slice(3, 6)]);
    expect(countAntiAligned({ ...o, R: permuted })).toBe(2);
  });
});

describe('end-state classification (docs/theory.md §7.9)', () => {
  const overlaps: Overlaps = {
    K: 2,
    M: 2,
    Q: identity(2),
    R: Float64Array.from([1, 0, 0, -0.5]),
    T: identity(2),
    a: new Float64Array(2).fill(1),
    v: new Float64Array(2).fill(1),
  };
  it('global by the loss alone, even while max|F| is still large', () => {
    expect(classifyEndState({ overlaps, loss: 1e-6, maxRhs: 1e-3 }).class).toBe('global');
  });
  it('not-converged above the rhs threshold, spurious below it, saddle with an unstable direction', () => {
    expect(classifyEndState({ overlaps, loss: 0.02, maxRhs: 1e-6 })).toMatchObject({ class: 'not-converged', k1: 1 });
    expect(classifyEndState({ overlaps, loss: 0.02, maxRhs: 1e-12 })).toMatchObject({ class: 'spurious', k1: 1 });
    expect(classifyEndState({ overlaps, loss: 0.02, maxRhs: 1e-12, nUnstable: 2 }).class).toBe('saddle');
    expect(classifyEndState({ overlaps, loss: 0.02, maxRhs: 1e-6 }, { convergedRhs: 1e-5 }).class).toBe('spurious');
    expect(classifyEndState({ overlaps, loss: 0.02, maxRhs: 1e-12 }, { globalLoss: 0.05 }).class).toBe('global');
  });
  it('k1 ≥ 1 stays spurious whatever the context', () => {
    expect(
      classifyEndState({ overlaps, loss: 0.02, maxRhs: 1e-12 }, {}, { stochastic: true, constrained: true }),
    ).toMatchObject({ class: 'spurious', k1: 1 });
  });
});

/** Integrate a ReLU flow (T = I) from random overlaps at d = 200 to rest and classify its end state. */
function endState(
  name: 'sgd' | 'ngd',
  K: number,
  M: number,
  seed: number,
  options: { lr: number; labelNoise?: number },
) {
  const init = randomOverlaps(K, M, 200, seed, 'init', name === 'ngd' ? 'sphere' : 'none');
  const flow = new Flow(name, activationByName('relu'), init, options);
  const x = solve(flow, flow.pack(init), { method: 'dopri5', tMax: 5000, saveTimes: [], convergenceTol: 1e-10 }).xFinal;
  return { overlaps: flow.unpack(x), loss: flow.loss(x), maxRhs: maxAbs(rhsOf(flow, x)) };
}

describe('end states above the global loss with no anti-aligned unit (docs/theory.md §13, issue 9 item 8)', () => {
  it('online SGD with label noise: the noise floor is noise-floor, not spurious k1 = 0', () => {
    // scenarios/broadening.json's sgd flow (η = 0.5, σ = 0.3, K = M = 2): it comes to rest at L ≈ 0.0183 > 0.
    const end = endState('sgd', 2, 2, 1, { lr: 0.5, labelNoise: 0.3 });
    expect(end.loss).toBeGreaterThan(0.015);
    expect(end.loss).toBeLessThan(0.02);
    expect(end.maxRhs).toBeLessThan(1e-9);
    expect(classifyEndState(end, {}, { stochastic: true })).toMatchObject({ class: 'noise-floor', k1: 0 });
    // Without the context a k1 = 0 rest point stays spurious (unconstrained deterministic flows have them).
    expect(classifyEndState(end).class).toBe('spurious');
    // Only converged states: the same state with a large max|F| is not-converged.
    expect(classifyEndState({ ...end, maxRhs: 1e-2 }, { convergedRhs: 1e-3 }, { stochastic: true }).class).toBe(
      'not-converged',
    );
  });

  it('nGD at K = M + 1 on the sphere: the k1 = 0 rest point above 0 is constrained-optimum; at K = M it is spurious', () => {
    const end = endState('ngd', 4, 3, 0, { lr: 1 });
    expect(end.loss).toBeGreaterThan(0.1); // the extra unit-norm unit cannot be silenced
    expect(end.maxRhs).toBeLessThan(1e-9);
    expect(classifyEndState(end, {}, { constrained: true })).toMatchObject({ class: 'constrained-optimum', k1: 0 });
    expect(classifyEndState(end).class).toBe('spurious');
    // K = M on the sphere: loss 0 is reachable, so a k1 = 0 state above it keeps the spurious label.
    const square = {
      ...end,
      overlaps: { ...end.overlaps, K: 3, Q: identity(3), R: identity(3), a: new Float64Array(3).fill(1) },
    };
    expect(classifyEndState(square, {}, { constrained: true }).class).toBe('spurious');
  });
});

describe('realisability of directions at a rank-deficient Ω (docs/theory.md §6)', () => {
  // K = M = 2 with students in the teacher span: Q = RRᵀ, Ω has a 2-dimensional null space.
  const flow = teacherStudentFlow('gd', 2, 2);
  const R = Float64Array.from([0.9, 0.1, 0.2, -0.5]);
  const Q = Float64Array.from([0.82, 0.13, 0.13, 0.29]);
  const x = flow.pack({ ...flow.fixed, Q, R });
  const test = new RealisabilityTest(flow, x, new FreeCoordinates(flow, x), 1e-7, 1e-6);
  // Packed order: Q_11, Q_12, Q_22, R_11, R_12, R_21, R_22.
  it('sees the null space', () => {
    expect(test.nullity).toBe(2);
  });
  it('accepts a growing Schur complement (students leave the teacher span) in either sign', () => {
    expect(test.isRealisable([1, 0, 1, 0, 0, 0, 0])).toBe(true);
    expect(test.isRealisable([-1, 0, -1, 0, 0, 0, 0])).toBe(true);
  });
  it('rejects an indefinite Schur complement', () => {
    expect(test.isRealisable([1, 0, -1, 0, 0, 0, 0])).toBe(false);
  });
  it('accepts a direction tangent to {Q = RRᵀ} (δQ = δR Rᵀ + R δRᵀ)', () => {
    const dR = [0.3, -0.2, 0.1, 0.4];
    const dQ = (i: number, j: number) =>
      dR[i * 2] * R[j * 2] + dR[i * 2 + 1] * R[j * 2 + 1] + R[i * 2] * dR[j * 2] + R[i * 2 + 1] * dR[j * 2 + 1];
    expect(test.isRealisable([dQ(0, 0), dQ(0, 1), dQ(1, 1), ...dR])).toBe(true);
  });
});
