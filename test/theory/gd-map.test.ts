import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { NormalSampler } from '../../src/random/normal.js';
import { activationByName } from '../../src/theory/activations/index.js';
import { Flow, type FlowName } from '../../src/theory/flow.js';
import { PopulationGdMap } from '../../src/theory/gd-map.js';
import { orthonormaliseRows, overlapsFromWeights, randomOverlaps } from '../../src/theory/init.js';
import { populationLoss } from '../../src/theory/loss.js';
import { type Overlaps, fieldCovariance, packOverlaps, signedCoefficients } from '../../src/model/overlaps.js';
import { buildGridSaveTimes, parseSaveTimes, solve } from '../../src/theory/solvers/solve.js';
import { steinCoefficients } from '../../src/theory/stein.js';
import { SymmetricWorkspace, inverseSqrtSymmetric, jacobiEigen } from '../../src/theory/linalg/symmetric-eigen.js';

const relu = activationByName('relu');
const K = 3;
const M = 2;
const d = 9;
const n = K + M;

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** Random small network: W (K×d) put on the flow's constraint, teacher W* (M×d), readouts away from 1. */
function randomNetwork(flow: FlowName, seed: number) {
  const s = new NormalSampler(seed);
  const W = s.fill(new Float64Array(K * d));
  const Wstar = s.fill(new Float64Array(M * d));
  if (flow === 'ngd') {
    for (let k = 0; k < K; k++) {
      let norm2 = 0;
      for (let i = 0; i < d; i++) norm2 += W[k * d + i] ** 2;
      for (let i = 0; i < d; i++) W[k * d + i] *= Math.sqrt(d / norm2);
    }
  }
  if (flow === 'ongd') orthonormaliseRows(W, K, d);
  const a = Float64Array.from({ length: K }, (_, k) => (k === 0 ? -0.6 : 0.5 + s.uniform()));
  const v = Float64Array.from({ length: M }, () => 0.5 + s.uniform());
  return { W, Wstar, a, v };
}

function overlapsOf(W: Float64Array, Wstar: Float64Array, a: Float64Array, v: Float64Array): Overlaps {
  return { ...overlapsFromWeights(W, Wstar, K, M, d), a: a.slice(), v: v.slice() };
}

/** Rows-times-matrix helpers in weight space (row-major, rows of length d). */
function rowDot(A: Float64Array, i: number, B: Float64Array, j: number): number {
  let s = 0;
  for (let x = 0; x < d; x++) s += A[i * d + x] * B[j * d + x];
  return s;
}

/** C (rows×d) = P (rows×rowsB) · B (rowsB×d). */
function combine(P: ArrayLike<number>, rows: number, B: Float64Array, rowsB: number): Float64Array {
  const C = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < rowsB; j++) for (let x = 0; x < d; x++) C[i * d + x] += P[i * rowsB + j] * B[j * d + x];
  return C;
}

/**
 * ∂L/∂a_k by central differences of the population loss (§2). L is quadratic in a, so the difference
 * quotient is exact up to round-off (≈ ε·L/h ≈ 1e-13): an oracle independent of readoutGradient.
 */
function readoutGradientByDifferences(o: Overlaps): Float64Array {
  const h = 1e-3;
  return Float64Array.from({ length: K }, (_, k) => {
    const plus = { ...o, a: o.a.slice() };
    const minus = { ...o, a: o.a.slice() };
    plus.a[k] += h;
    minus.a[k] -= h;
    return (populationLoss(relu, plus) - populationLoss(relu, minus)) / (2 * h);
  });
}

/** (A)^{-1/2} by ml-matrix (independent of the Jacobi routine under test). */
function inverseSqrtByMlMatrix(A: Float64Array, size: number): Float64Array {
  const rows = Array.from({ length: size }, (_, i) => Array.from(A.subarray(i * size, (i + 1) * size)));
  const eig = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const V = eig.eigenvectorMatrix;
  const out = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      for (let e = 0; e < size; e++)
        out[i * size + j] += (V.get(i, e) * V.get(j, e)) / Math.sqrt(eig.realEigenvalues[e]);
    }
  }
  return out;
}

/**
 * One explicit population-GD step in WEIGHT space, in float64, written as the network engine does it
 * (src/network/sources.ts PopulationSource, constraints.ts): ΔW = −τ G U with G = a∘S (§5), then
 * gd: W + ΔW; ngd: tangent projection and w_k ← √d w̃_k/|w̃_k|; ongd: ΔW − sym(ΔW Wᵀ/d) W and the polar
 * retraction; gd2l readouts a ← a − τ_a ∂L/∂a at the old state.
 */
function weightSpaceStep(flow: FlowName, net: ReturnType<typeof randomNetwork>, tau: number, tauReadout: number) {
  const { W, Wstar, a, v } = net;
  const o = overlapsOf(W, Wstar, a, v);
  const omega = fieldCovariance(o);
  const c = signedCoefficients(o);
  const S = new Float64Array(K * n);
  steinCoefficients(relu, omega, c, K, n, S);
  const U = new Float64Array(n * d);
  U.set(W);
  U.set(Wstar, K * d);
  const coef = Float64Array.from(S, (s, i) => -tau * a[Math.floor(i / n)] * s);
  const dW = combine(coef, K, U, n);
  let next: Float64Array = Float64Array.from(W, (w, i) => w + dW[i]);
  if (flow === 'ngd') {
    for (let k = 0; k < K; k++) {
      const radial = rowDot(dW, k, W, k) / rowDot(W, k, W, k);
      for (let x = 0; x < d; x++) next[k * d + x] -= radial * W[k * d + x];
      const scale = Math.sqrt(d / rowDot(next, k, next, k));
      for (let x = 0; x < d; x++) next[k * d + x] *= scale;
    }
  }
  if (flow === 'ongd') {
    const sym = new Float64Array(K * K);
    for (let k = 0; k < K; k++)
      for (let l = 0; l < K; l++) sym[k * K + l] = (0.5 * (rowDot(dW, k, W, l) + rowDot(dW, l, W, k))) / d;
    const symW = combine(sym, K, W, K);
    next = next.map((w, i) => w - symW[i]);
    const gram = new Float64Array(K * K);
    for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) gram[k * K + l] = rowDot(next, k, next, l) / d;
    next = combine(inverseSqrtByMlMatrix(gram, K), K, next, K);
  }
  const nextA =
    flow === 'gd2l' ? Float64Array.from(readoutGradientByDifferences(o), (g, k) => a[k] - tauReadout * g) : a;
  return overlapsOf(next, Wstar, nextA, v);
}

describe('the map equals the overlaps of one explicit weight-space step (docs/theory.md §5: exact closure at any d)', () => {
  // τ = 0.1, so the τ² terms the Euler step lacks are 1e-4–1e-3 and the check below can tell them apart.
  const lr = 0.8;
  const dt = 0.125;
  const flows: FlowName[] = ['gd', 'gd2l', 'ngd', 'ongd'];
  it.each(flows)('%s at d = 9, K = 3, M = 2 (three seeds)', (name) => {
    for (const seed of [1, 2, 3]) {
      const net = randomNetwork(name, seed);
      const flow = new Flow(name, relu, overlapsOf(net.W, net.Wstar, net.a, net.v), { lr, lrReadout: 0.6 });
      const map = new PopulationGdMap(flow, dt);
      const x = flow.pack(flow.fixed);
      const mapped = new Float64Array(x.length);
      map.step(x, mapped);
      const exact = packOverlaps(weightSpaceStep(name, net, lr * dt, 0.6 * dt), flow.layout);
      // Both sides are float64 evaluations of the same O(1) quantities by different operation orders
      // (weight space with d = 9 vs the u-basis, ml-matrix vs Jacobi): a few hundred ulps at most.
      expect(maxAbsDiff(mapped, exact)).toBeLessThan(1e-13);
      // ...while one Euler step of the flow misses the O(τ²) terms (≥ 5e-5 for these seeds).
      const f = new Float64Array(x.length);
      flow.rhs(x, f);
      expect(
        maxAbsDiff(
          x.map((xi, i) => xi + dt * f[i]),
          exact,
        ),
      ).toBeGreaterThan(1e-5);
    }
  });

  it('the map is not defined for online SGD', () => {
    const o = randomOverlaps(K, M, d, 1);
    expect(() => new PopulationGdMap(new Flow('sgd', relu, o, { lr: 1 }), 0.01)).toThrow(InputError);
  });
});

describe('gd: map − Euler step = τ² GΩGᵀ in Q, and 0 in R', () => {
  it.each([1, 2, 3])('seed %i', (seed) => {
    const o = randomOverlaps(K, M, d, seed);
    const lr = 1.3;
    const dt = 0.07;
    const tau = lr * dt;
    const flow = new Flow('gd', relu, o, { lr });
    const x = flow.pack(o);
    const mapped = new Float64Array(x.length);
    new PopulationGdMap(flow, dt).step(x, mapped);
    const f = new Float64Array(x.length);
    flow.rhs(x, f);
    const omega = fieldCovariance(o);
    const S = new Float64Array(K * n);
    steinCoefficients(relu, omega, signedCoefficients(o), K, n, S);
    const L = flow.layout;
    let worst = 0;
    let largest = 0;
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) {
        let gog = 0; // a = 1, so G = S
        for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) gog += S[k * n + p] * omega[p * n + q] * S[l * n + q];
        const i = L.q(k, l);
        worst = Math.max(worst, Math.abs(mapped[i] - (x[i] + dt * f[i]) - tau * tau * gog));
        largest = Math.max(largest, tau * tau * Math.abs(gog));
      }
      for (let m = 0; m < M; m++)
        worst = Math.max(worst, Math.abs(mapped[L.r(k, m)] - (x[L.r(k, m)] + dt * f[L.r(k, m)])));
    }
    // Differences of O(1) numbers: round-off ~1e-16 each; the τ² term itself is ≥ 1e-4 here.
    expect(worst).toBeLessThan(1e-14);
    expect(largest).toBeGreaterThan(1e-4);
  });
});

describe('as dt → 0 the map trajectory converges to the flow (dopri5) at first order', () => {
  const tMax = 2;
  const saveTimes = [0.4, 1, 2];
  it.each(['gd', 'gd2l', 'ngd', 'ongd'] as FlowName[])('%s', (name) => {
    const constraint = name === 'ngd' ? 'sphere' : name === 'ongd' ? 'stiefel' : 'none';
    const o = randomOverlaps(K, M, 20, 4, '--init-d', constraint);
    const flow = new Flow(name, relu, o, { lr: 1 });
    const x0 = flow.pack(o);
    const reference = solve(flow, x0, { method: 'dopri5', tMax, rtol: 1e-12, atol: 1e-14, saveTimes }).states;
    const error = (dt: number) => {
      const r = solve(flow, x0, { method: 'map', tMax, dt, saveTimes });
      expect(r.status).toBe('t-max');
      expect(r.times).toEqual(saveTimes);
      expect(r.steps).toBe(Math.round(tMax / dt));
      return Math.max(...r.states.map((s, i) => maxAbsDiff(s, reference[i])));
    };
    const [e1, e2, e4] = [error(0.04), error(0.02), error(0.01)];
    // First order: halving dt halves the error (ratios 2 + O(dt)); the error is visible, not round-off.
    expect(e1 / e2).toBeGreaterThan(1.8);
    expect(e1 / e2).toBeLessThan(2.2);
    expect(e2 / e4).toBeGreaterThan(1.9);
    expect(e2 / e4).toBeLessThan(2.1);
    expect(e4).toBeGreaterThan(1e-6);
    expect(e4).toBeLessThan(1e-2);
  });
});

describe('solve(method: map): grid, stopping and divergence', () => {
  const o = randomOverlaps(K, M, 20, 5);
  const flow = new Flow('gd', relu, o, { lr: 1 });
  const x0 = flow.pack(o);

  it('records the state of the step at each grid save time, also for decimal times like 0.3 = 3·0.1', () => {
    const r = solve(flow, x0, { method: 'map', tMax: 0.5, dt: 0.1, saveTimes: [0, 0.3, 0.5] });
    const map = new PopulationGdMap(flow, 0.1);
    const x = x0.slice();
    const next = new Float64Array(x.length);
    const iterates = [x.slice()];
    for (let i = 0; i < 5; i++) {
      map.step(x, next);
      x.set(next);
      iterates.push(x.slice());
    }
    expect(r.times).toEqual([0, 0.3, 0.5]);
    expect(r.states).toEqual([iterates[0], iterates[3], iterates[5]]);
  });

  it('rejects save times and t-max off the step grid; buildGridSaveTimes rounds log/linear specs onto it', () => {
    expect(() => solve(flow, x0, { method: 'map', tMax: 0.5, dt: 0.1, saveTimes: [0.25] })).toThrow(RangeError);
    expect(() => solve(flow, x0, { method: 'map', tMax: 0.55, dt: 0.1, saveTimes: [] })).toThrow(RangeError);
    expect(() => buildGridSaveTimes(parseSaveTimes('0,0.25'), 1, 0.1)).toThrow(InputError);
    expect(() => buildGridSaveTimes(parseSaveTimes('linear:3'), 1.05, 0.1)).toThrow(InputError);
    // linear:5: 0, 0.25, 0.5, 0.75, 1 → steps 0, 3 (2.5 rounds up), 5, 8, 10.
    expect(buildGridSaveTimes(parseSaveTimes('linear:5'), 1, 0.1)).toEqual([0, 0.30000000000000004, 0.5, 0.8, 1]);
    // log:6 on [0, 1]: 0, 0.01, 0.0316, 0.1, 0.316, 1 → steps 0, 0, 0, 1, 3, 10 → duplicates dropped.
    expect(buildGridSaveTimes(parseSaveTimes('log:6'), 1, 0.1)).toEqual([0, 0.1, 0.30000000000000004, 1]);
  });

  it('stops when the displacement per unit time falls below convergenceTol, and repeats the final state', () => {
    const r = solve(flow, x0, { method: 'map', tMax: 2000, dt: 0.5, saveTimes: [0, 1000, 2000], convergenceTol: 1e-6 });
    expect(r.status).toBe('converged');
    expect(r.maxRhs).toBeLessThan(1e-6);
    expect(r.tFinal).toBeLessThan(2000);
    expect(r.states[2]).toEqual(r.xFinal);
  });

  it('reports divergence when the map blows up (lr·dt far beyond stability)', () => {
    const wild = new Flow('gd', relu, o, { lr: 400 });
    const r = solve(wild, x0, { method: 'map', tMax: 100, dt: 0.5, saveTimes: [0, 100] });
    expect(r.status).toBe('diverged');
    expect(r.times).toEqual([0]);
  });
});

describe('Jacobi eigen-decomposition and A^{-1/2} (the polar retraction of ongd)', () => {
  it('reconstructs A, also with a repeated eigenvalue, and matches ml-matrix for A^{-1/2}', () => {
    const size = 5;
    const s = new NormalSampler(9);
    const B = s.fill(new Float64Array(size * size));
    const generic = new Float64Array(size * size);
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++)
        for (let k = 0; k < size; k++) generic[i * size + j] += B[i * size + k] * B[j * size + k];
    // I + e eᵀ: eigenvalue 1 four times and 1 + |e|².
    const degenerate = new Float64Array(size * size);
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++) degenerate[i * size + j] = (i === j ? 1 : 0) + 0.3 * (i + 1) * 0.3 * (j + 1);
    for (const A of [generic, degenerate]) {
      const values = new Float64Array(size);
      const vectors = new Float64Array(size * size);
      jacobiEigen(A.slice(), size, values, vectors);
      const rebuilt = new Float64Array(size * size);
      for (let i = 0; i < size; i++)
        for (let j = 0; j < size; j++)
          for (let e = 0; e < size; e++)
            rebuilt[i * size + j] += vectors[i * size + e] * values[e] * vectors[j * size + e];
      expect(maxAbsDiff(rebuilt, A)).toBeLessThan(1e-13 * Math.max(...values));
      const inv = new Float64Array(size * size);
      expect(inverseSqrtSymmetric(A, inv, new SymmetricWorkspace(size))).toBe(true);
      expect(maxAbsDiff(inv, inverseSqrtByMlMatrix(A, size))).toBeLessThan(1e-12);
    }
    const indefinite = Float64Array.from([1, 2, 2, 1]);
    expect(inverseSqrtSymmetric(indefinite, new Float64Array(4), new SymmetricWorkspace(2))).toBe(false);
  });
});
