import { afterAll, describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { type Activation, activationByName } from '../../src/theory/activations/index.js';
import { Flow } from '../../src/theory/flow.js';
import { overlapsFromWeights, randomOverlaps } from '../../src/theory/init.js';
import {
  correlationMinors,
  orthant4,
  starArguments,
  starIntegral,
  starNodeCount,
} from '../../src/theory/integrals/orthant.js';
import { type Overlaps, fieldCovariance, signedCoefficients } from '../../src/model/overlaps.js';
import { quadrupleSecondMoment, sgdSecondMoment } from '../../src/theory/sgd-term.js';
import { solve } from '../../src/theory/solvers/solve.js';
import { NormalSampler } from '../../src/random/normal.js';
import { referenceSecondMoment } from './reference/sgd-second-moment.js';

/*
 * The optimised SGD second moment S_kl = Σ_{α,β} c_α c_β I4(k,l,α,β) (docs/theory.md §4.2) against the
 * frozen per-quadruple evaluation it replaced (reference/sgd-second-moment.ts): same coincident-index
 * semantics (§1.4), same regularisation (§1.1), so the two must agree to round-off and quadrature error,
 * required ≤ 1e-10 relative per entry. None of the states below is at the global minimum, where S → 0 by
 * cancellation and only an absolute comparison makes sense (integrals.test.ts checks S = 0 there).
 */

const TOLERANCE = 1e-10;

/** Overlaps from explicit weights, with readouts away from 1 (and one zero student readout when asked). */
function fromWeights(
  W: Float64Array,
  Wstar: Float64Array,
  K: number,
  M: number,
  d: number,
  zeroReadout = false,
): Overlaps {
  const o = overlapsFromWeights(W, Wstar, K, M, d);
  o.a = Float64Array.from({ length: K }, (_, k) => (zeroReadout && k === 1 ? 0 : 0.7 + 0.05 * k));
  o.v = Float64Array.from({ length: M }, (_, m) => 1.1 - 0.03 * m);
  return o;
}

type Kind = 'random' | 'mixed' | 'parallel' | 'antiparallel' | 'teacher' | 'antiteacher' | 'duplicate' | 'rank';

/**
 * One state per kind. `eps` is the perturbation of the near-degenerate pairs: students 2p+1 ≈ 1.3·student 2p
 * (parallel) or −0.8·student 2p (antiparallel), student p ≈ ±teacher p, or exactly a teacher (duplicate);
 * mixed = students pulled halfway onto the teachers; rank = d below K + M (and below 4 when d = 3).
 */
function state(kind: Kind, K: number, eps: number, seed: number, d = 3 * K): Overlaps {
  const s = new NormalSampler(seed);
  const M = kind === 'rank' ? Math.min(K, d) : K;
  const W = s.fill(new Float64Array(K * d));
  const Wstar = s.fill(new Float64Array(M * d));
  const noise = () => s.fill(new Float64Array(d));
  const set = (k: number, f: (i: number, e: Float64Array) => number) => {
    const e = noise();
    for (let i = 0; i < d; i++) W[k * d + i] = f(i, e);
  };
  for (let k = 0; k < K; k++) {
    if (kind === 'mixed') set(k, (i, e) => 0.5 * W[k * d + i] + 0.8 * Wstar[(k % M) * d + i] + 0 * e[i]);
    if (kind === 'parallel' && k % 2 === 1) set(k, (i, e) => 1.3 * W[(k - 1) * d + i] + eps * e[i]);
    if (kind === 'antiparallel' && k % 2 === 1) set(k, (i, e) => -0.8 * W[(k - 1) * d + i] + eps * e[i]);
    if (kind === 'teacher' && k < M) set(k, (i, e) => Wstar[k * d + i] + eps * e[i]);
    if (kind === 'antiteacher' && k % 2 === 0 && k < M) set(k, (i, e) => -Wstar[k * d + i] + eps * e[i]);
    if (kind === 'duplicate' && k === K - 1) set(k, (i) => Wstar[i]);
  }
  return fromWeights(W, Wstar, K, M, d, kind === 'mixed');
}

/** Random weights with K ≠ M (d = 3(K + M)); `zeroStudent`: student 1 is w = 0 (Q_11 = 0, §7.2). */
function unequal(K: number, M: number, seed: number, zeroStudent = false): Overlaps {
  const d = 3 * (K + M);
  const s = new NormalSampler(seed);
  const W = s.fill(new Float64Array(K * d));
  if (zeroStudent) W.fill(0, d, 2 * d);
  return fromWeights(W, s.fill(new Float64Array(M * d)), K, M, d);
}

/** Gradient-flow states of a random d = K start (students partly converged, some near-degenerate pairs). */
function evolved(K: number, seed: number, t: number): Overlaps {
  const o = randomOverlaps(K, K, K, seed);
  const flow = new Flow('gd', activationByName('relu'), o, { lr: 1 });
  const r = solve(flow, flow.pack(o), { method: 'dopri5', tMax: t, saveTimes: [t] });
  return flow.unpack(r.states[r.states.length - 1]);
}

/** Worst relative error per activation, printed after the suite (for reports/bench/ode.md). */
const worstByActivation = new Map<string, { error: number; label: string }>();
afterAll(() => {
  const lines = [...worstByActivation.entries()].map(
    ([name, w]) => `${name.padEnd(16)} max rel err ${w.error.toExponential(2)} (${w.label})`,
  );
  console.log(`sgdSecondMoment vs reference:\n${lines.join('\n')}`);
});

/** max_kl |S_new − S_ref| / |S_ref|. */
function relativeError(act: Activation, o: Overlaps, label = ''): number {
  const K = o.K;
  const n = o.K + o.M;
  const omega = fieldCovariance(o);
  const c = signedCoefficients(o);
  const ref = new Float64Array(K * K);
  const out = new Float64Array(K * K);
  referenceSecondMoment(act, omega, c, K, n, ref);
  sgdSecondMoment(act, omega, c, K, n, out);
  let worst = 0;
  for (let i = 0; i < K * K; i++) {
    expect(Number.isFinite(out[i])).toBe(true);
    worst = Math.max(worst, Math.abs(out[i] - ref[i]) / Math.abs(ref[i]));
  }
  const key = `${act.name}${act.alpha ? ` α=${act.alpha}` : ''}`;
  if (worst >= (worstByActivation.get(key)?.error ?? -1)) worstByActivation.set(key, { error: worst, label });
  return worst;
}

const NEAR_DEGENERATE: [Kind, number][] = [
  ['parallel', 1e-2],
  ['parallel', 1e-5],
  ['parallel', 1e-9],
  ['antiparallel', 1e-3],
  ['antiparallel', 1e-8],
  ['teacher', 1e-3],
  ['teacher', 1e-6],
  ['antiteacher', 1e-4],
  ['duplicate', 0],
];

/** The cases of one activation: [label, overlaps]; K = 17 only for the cheaper kinds (the reference takes ~0.2 s there). */
function cases(): [string, Overlaps][] {
  const list: [string, Overlaps][] = [];
  for (const K of [3, 8]) {
    list.push([`K=${K} random d=K`, randomOverlaps(K, K, K, 1)]);
    list.push([`K=${K} random d=3K`, state('random', K, 0, 2)]);
    list.push([`K=${K} mixed, a_1 = 0`, state('mixed', K, 0, 3)]);
    for (const [kind, eps] of NEAR_DEGENERATE) list.push([`K=${K} ${kind} ${eps}`, state(kind, K, eps, 4)]);
    list.push([`K=${K} rank-deficient d=3`, state('rank', K, 0, 5, 3)]);
    list.push([`K=${K} rank-deficient d=${K}`, state('rank', K, 0, 6, K)]);
  }
  list.push(['K=4 M=7', unequal(4, 7, 11)]);
  list.push(['K=6 M=2', unequal(6, 2, 12)]);
  list.push(['K=2 M=1', unequal(2, 1, 13)]);
  list.push(['K=5 M=5, student 1 is zero', unequal(5, 5, 14, true)]);
  list.push(['K=8 gradient flow t=30', evolved(8, 1, 30)]);
  list.push(['K=8 gradient flow t=100', evolved(8, 2, 100)]);
  list.push(['K=17 random d=K', randomOverlaps(17, 17, 17, 1)]);
  list.push(['K=17 teacher 1e-6', state('teacher', 17, 1e-6, 7)]);
  list.push(['K=17 antiparallel 1e-3', state('antiparallel', 17, 1e-3, 8)]);
  list.push(['K=17 rank-deficient d=9', state('rank', 17, 0, 9, 9)]);
  return list;
}

describe('sgdSecondMoment against the frozen per-quadruple reference (§4.2, ≤ 1e-10 relative)', () => {
  const all = cases();
  for (const [name, act] of [
    ['relu', activationByName('relu')],
    ['erf', activationByName('erf')],
  ] as const) {
    it(name, () => {
      const failures = all
        .map(([label, o]) => [label, relativeError(act, o, label)] as const)
        .filter(([, e]) => !(e <= TOLERANCE));
      expect(failures).toEqual([]);
    });
  }

  it('leaky relu α = 0.1 (ReLU sums plus the elementary L terms, per-entry recursion fallback)', () => {
    const leaky = activationByName('leaky-relu', 0.1);
    const failures = all
      .filter(([label]) => !label.startsWith('K=17') || label === 'K=17 random d=K' || label === 'K=17 teacher 1e-6')
      .map(([label, o]) => [label, relativeError(leaky, o, label)] as const)
      .filter(([, e]) => !(e <= TOLERANCE));
    expect(failures).toEqual([]);
  });

  it('an activation without a shared-work sum gets the plain quadruple sum, equal to the reference to round-off', () => {
    // erf's I4 without its sgdSecondMoment: sgd-term.ts falls back to quadrupleSecondMoment.
    const { sgdSecondMoment: _, ...erfPlain } = activationByName('erf');
    const o = state('mixed', 5, 0, 10);
    const n = o.K + o.M;
    const omega = fieldCovariance(o);
    const c = signedCoefficients(o);
    const [viaDispatch, direct, ref] = [0, 1, 2].map(() => new Float64Array(o.K * o.K));
    sgdSecondMoment(erfPlain, omega, c, o.K, n, viaDispatch);
    quadrupleSecondMoment(erfPlain, omega, c, o.K, n, direct);
    referenceSecondMoment(activationByName('erf'), omega, c, o.K, n, ref);
    expect(viaDispatch).toEqual(direct);
    for (let i = 0; i < ref.length; i++)
      expect(Math.abs(direct[i] - ref[i])).toBeLessThanOrEqual(1e-13 * Math.abs(ref[i]));
  });

  it('leaky relu with slope 0 takes the ReLU sum', () => {
    const o = state('mixed', 8, 0, 10);
    expect(relativeError(activationByName('leaky-relu', 0), o)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('star-path P4 (orthant.ts)', () => {
  /** Random covariance with variances e^{±1}, factor rank r (r < 4: singular, regularised as §1.1 does). */
  function randomCovariance(rng: () => number, r: number): Float64Array {
    const g = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const F = Array.from({ length: 4 }, () => Array.from({ length: r }, g));
    const C = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) C[i * 4 + j] = F[i].reduce((s, v, q) => s + v * F[j][q], 0);
    for (let i = 0; i < 4; i++) C[i * 5] *= 1 + 1e-10;
    return C;
  }

  const correlations = (C: Float64Array) => {
    const r = (i: number, j: number) => C[i * 4 + j] / Math.sqrt(C[i * 5] * C[j * 5]);
    return Float64Array.of(r(0, 1), r(0, 2), r(0, 3), r(1, 2), r(1, 3), r(2, 3));
  };

  /** P4 by the star path as relu-sgd/four-field-sets.ts assembles it (centre = smallest complementary minor); NaN when it declines. */
  function starP4(C: Float64Array): number {
    const corr = correlations(C);
    const minors = new Float64Array(4);
    const det = correlationMinors(corr[0], corr[1], corr[2], corr[3], corr[4], corr[5], minors);
    let centre = 0;
    for (let i = 1; i < 4; i++) if (minors[i] < minors[centre]) centre = i;
    const M = det > 0 ? starNodeCount(1 - det / minors[centre]) : 0;
    if (M === 0) return Number.NaN;
    const args = new Float64Array(6);
    starArguments(centre, corr, args);
    return 0.0625 + corr.reduce((s, r) => s + Math.asin(r), 0) / (8 * Math.PI) + starIntegral(args, M);
  }

  it('correlationMinors: principal 3×3 minors and the determinant', () => {
    const rng = seedrandom.alea('minors');
    const minors = new Float64Array(4);
    for (let t = 0; t < 200; t++) {
      const C = randomCovariance(rng, 4);
      const R = C.map((v, k) => v / Math.sqrt(C[Math.floor(k / 4) * 5] * C[(k % 4) * 5]));
      const det = correlationMinors(R[1], R[2], R[3], R[6], R[7], R[11], minors);
      const det3 = (a: number, b: number, c: number) =>
        1 - R[a * 4 + b] ** 2 - R[a * 4 + c] ** 2 - R[b * 4 + c] ** 2 + 2 * R[a * 4 + b] * R[a * 4 + c] * R[b * 4 + c];
      // Recursive Laplace expansion along the first remaining row.
      const minor = (rows: number[], cols: number[]): number =>
        rows.length === 1
          ? R[rows[0] * 4 + cols[0]]
          : cols.reduce(
              (s, col, j) =>
                s +
                (j % 2 === 0 ? 1 : -1) *
                  R[rows[0] * 4 + col] *
                  minor(
                    rows.slice(1),
                    cols.filter((x) => x !== col),
                  ),
              0,
            );
      expect(Math.abs(det - minor([0, 1, 2, 3], [0, 1, 2, 3]))).toBeLessThan(1e-14);
      for (let c = 0; c < 4; c++) {
        const others = [0, 1, 2, 3].filter((x) => x !== c);
        expect(Math.abs(minors[c] - det3(others[0], others[1], others[2]))).toBeLessThan(1e-15);
      }
    }
  });

  it('agrees with the 48-node two-pair path to 1e-14 where det R ≥ 1e-3, and is exact on closed forms', () => {
    const rng = seedrandom.alea('star');
    let worst = 0;
    let used = 0;
    for (let t = 0; t < 3000; t++) {
      const C = randomCovariance(rng, 4 + (t % 3));
      const corr = correlations(C);
      if (!(correlationMinors(corr[0], corr[1], corr[2], corr[3], corr[4], corr[5], new Float64Array(4)) >= 1e-3))
        continue;
      const p4 = starP4(C);
      if (Number.isNaN(p4)) continue;
      used++;
      worst = Math.max(worst, Math.abs(p4 - orthant4(C)));
    }
    expect(used).toBeGreaterThan(2000);
    expect(worst).toBeLessThan(1e-14);
    // Equicorrelated ρ = 1/2: P4 = 1/5; independent: 1/16; block-diagonal: the product of the two P2.
    const E = new Float64Array(16).fill(0.5);
    for (let i = 0; i < 4; i++) E[i * 5] = 1;
    expect(Math.abs(starP4(E) - 0.2)).toBeLessThan(1e-14);
    const I = new Float64Array(16);
    for (let i = 0; i < 4; i++) I[i * 5] = 2;
    expect(Math.abs(starP4(I) - 0.0625)).toBeLessThan(1e-16);
    const B = new Float64Array([2, 1.2, 0, 0, 1.2, 1, 0, 0, 0, 0, 0.5, -0.3, 0, 0, -0.3, 3]);
    const p2 = (r: number) => 0.25 + Math.asin(r) / (2 * Math.PI);
    expect(Math.abs(starP4(B) - p2(1.2 / Math.sqrt(2)) * p2(-0.3 / Math.sqrt(1.5)))).toBeLessThan(1e-15);
  });

  it('declines nearly singular R (rank-deficient covariances)', () => {
    const rng = seedrandom.alea('singular');
    for (let t = 0; t < 200; t++) expect(starP4(randomCovariance(rng, 2 + (t % 2)))).toBeNaN();
  });
});
