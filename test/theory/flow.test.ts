import { describe, expect, it } from 'vitest';
import { type Activation, activationByName } from '../../src/theory/activations/index.js';
import { Flow, type FlowName } from '../../src/theory/flow.js';
import { overlapsFromWeights, randomOverlaps } from '../../src/theory/init.js';
import { populationLoss } from '../../src/theory/loss.js';
import { type Overlaps, fieldCovariance, signedCoefficients } from '../../src/model/overlaps.js';
import { driftFromStein, driftNaive, steinCoefficients } from '../../src/theory/stein.js';
import { NormalSampler } from '../../src/random/normal.js';

const RELU = activationByName('relu');
const ACTIVATIONS: Activation[] = [
  activationByName('relu'),
  activationByName('leaky-relu', 0.2),
  activationByName('erf'),
];

/** Random weights: students W (K×d), teacher W* (M×d), readouts a, v away from 1 (and one negative). */
function randomNetwork(K: number, M: number, d: number, seed: number) {
  const s = new NormalSampler(seed);
  const W = s.fill(new Float64Array(K * d));
  const Wstar = s.fill(new Float64Array(M * d));
  const a = Float64Array.from({ length: K }, (_, k) => (k === 0 ? -0.6 : 0.5 + s.uniform()));
  const v = Float64Array.from({ length: M }, () => 0.5 + s.uniform());
  return { W, Wstar, a, v, K, M, d };
}
type Network = ReturnType<typeof randomNetwork>;

function overlapsOf(net: Network, W = net.W, a = net.a): Overlaps {
  return { ...overlapsFromWeights(W, net.Wstar, net.K, net.M, net.d), a: a.slice(), v: net.v.slice() };
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

describe('fast (Stein) drift b = SΩ equals the naive I3 triple loop (docs/theory.md §4)', () => {
  const cases = [
    { K: 3, M: 2, d: 8, seed: 1 },
    { K: 2, M: 4, d: 9, seed: 2 },
    // d < K+M: singular Ω, where only the Stein form is valid (§7.6).
    { K: 4, M: 3, d: 4, seed: 3 },
  ];
  for (const act of ACTIVATIONS) {
    for (const { K, M, d, seed } of cases) {
      it(`${act.name} K=${K} M=${M} d=${d}`, () => {
        const o = overlapsOf(randomNetwork(K, M, d, seed));
        const n = K + M;
        const omega = fieldCovariance(o);
        const c = signedCoefficients(o);
        const S = new Float64Array(K * n);
        const fast = new Float64Array(K * n);
        const naive = new Float64Array(K * n);
        steinCoefficients(act, omega, c, K, n, S);
        driftFromStein(S, omega, K, n, fast);
        driftNaive(act, omega, c, K, n, naive);
        // Same closed forms summed in a different order: agreement to a few ulps of the largest term.
        expect(maxAbsDiff(fast, naive)).toBeLessThan(1e-13 * Math.max(1, maxAbs(naive)));
      });
    }
    it(`${act.name}: a student exactly on a teacher (ρ = 1, clipped asin/sqrt of §7.1) stays finite and equal`, () => {
      const net = randomNetwork(3, 2, 6, 4);
      net.W.set(net.Wstar.subarray(0, 6), 0);
      const o = overlapsOf(net);
      const n = 5;
      const omega = fieldCovariance(o);
      const c = signedCoefficients(o);
      const S = new Float64Array(3 * n);
      const fast = new Float64Array(3 * n);
      const naive = new Float64Array(3 * n);
      steinCoefficients(act, omega, c, 3, n, S);
      driftFromStein(S, omega, 3, n, fast);
      driftNaive(act, omega, c, 3, n, naive);
      expect(fast.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(fast, naive)).toBeLessThan(1e-13 * Math.max(1, maxAbs(naive)));
    });
  }
});

describe('driftFromStein with T = I skips the teacher block (docs/theory.md §4 "Orthonormal teachers")', () => {
  // Shapes that reach every remainder of the 4 × 2 blocking (rows mod 4, columns mod 2) in both blocks.
  const shapes = [
    [1, 1],
    [2, 3],
    [3, 2],
    [5, 4],
    [6, 7],
    [8, 8],
    [9, 5],
  ];
  for (const [K, M] of shapes) {
    it(`K=${K} M=${M}: equals the full product and the naive I3 loop`, () => {
      const o = randomOverlaps(K, M, K + M + 1, K * 31 + M);
      const n = K + M;
      const omega = fieldCovariance(o);
      const c = signedCoefficients(o);
      const S = new Float64Array(K * n);
      const full = new Float64Array(K * n);
      const skipped = new Float64Array(K * n);
      const naive = new Float64Array(K * n);
      steinCoefficients(RELU, omega, c, K, n, S);
      driftFromStein(S, omega, K, n, full);
      driftFromStein(S, omega, K, n, skipped, true);
      driftNaive(RELU, omega, c, K, n, naive);
      // The same products minus exact multiplications by T's 0s and 1s: equal to a few ulps.
      expect(maxAbsDiff(skipped, full)).toBeLessThan(1e-14 * Math.max(1, maxAbs(full)));
      expect(maxAbsDiff(skipped, naive)).toBeLessThan(1e-13 * Math.max(1, maxAbs(naive)));
    });
  }
  it('a flow with T = I and one with T = I up to 1 ulp give the same right-hand side to rounding', () => {
    const K = 5;
    const M = 4;
    const o = randomOverlaps(K, M, 12, 7);
    const near = { ...o, T: o.T.slice() };
    near.T[0] = 1 + Number.EPSILON; // no longer exactly I: the full product is taken
    const exact = new Flow('gd', RELU, o, { lr: 1 });
    const general = new Flow('gd', RELU, near, { lr: 1 });
    const x = exact.pack(o);
    const a = new Float64Array(x.length);
    const b = new Float64Array(x.length);
    exact.rhs(x, a);
    general.rhs(x, b);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-13);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
  });
});

/**
 * Central finite-difference gradient of L(W) = populationLoss(overlaps(W)) in weight space (§5: L depends
 * on W only through Ω, at any d). Step 1e-5: truncation ~h²·L''' ~ 1e-10, round-off ~ε·L/h ~ 1e-11.
 */
function weightGradient(act: Activation, net: Network, a = net.a): Float64Array {
  const h = 1e-5;
  const grad = new Float64Array(net.W.length);
  const W = net.W.slice();
  for (let i = 0; i < W.length; i++) {
    const w0 = W[i];
    W[i] = w0 + h;
    const plus = populationLoss(act, overlapsOf(net, W, a));
    W[i] = w0 - h;
    const minus = populationLoss(act, overlapsOf(net, W, a));
    W[i] = w0;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/** Order-parameter velocities (dQ upper, dR) of a weight velocity dW (K×d), packed like the flow state (§6). */
function overlapVelocity(net: Network, dW: Float64Array, flow: Flow): Float64Array {
  const { K, M, d, W, Wstar } = net;
  const L = flow.layout;
  const out = new Float64Array(L.dim);
  const dot = (A: Float64Array, i: number, B: Float64Array, j: number) => {
    let s = 0;
    for (let x = 0; x < d; x++) s += A[i * d + x] * B[j * d + x];
    return s / d;
  };
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) out[L.q(k, l)] = dot(dW, k, W, l) + dot(W, k, dW, l);
    for (let m = 0; m < M; m++) out[L.r(k, m)] = dot(dW, k, Wstar, m);
  }
  return out;
}

/** The weight-space velocity of each flow (§3–§4.5), D = −ηd∇_W L. */
function weightVelocity(name: FlowName, net: Network, D: Float64Array): Float64Array {
  const { K, d, W } = net;
  const dW = D.slice();
  if (name === 'ngd') {
    // Sphere: dw_k = (I − w_k w_kᵀ/|w_k|²) D_k (§4.4).
    for (let k = 0; k < K; k++) {
      let dw = 0;
      let ww = 0;
      for (let x = 0; x < d; x++) {
        dw += D[k * d + x] * W[k * d + x];
        ww += W[k * d + x] * W[k * d + x];
      }
      for (let x = 0; x < d; x++) dW[k * d + x] -= (dw / ww) * W[k * d + x];
    }
  } else if (name === 'ongd') {
    // Stiefel tangent projection: dW = D − sym(DWᵀ/d) W (§4.5).
    const sym = new Float64Array(K * K);
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) {
        let s = 0;
        for (let x = 0; x < d; x++) s += D[k * d + x] * W[l * d + x] + D[l * d + x] * W[k * d + x];
        sym[k * K + l] = s / (2 * d);
      }
    }
    for (let k = 0; k < K; k++)
      for (let j = 0; j < K; j++) for (let x = 0; x < d; x++) dW[k * d + x] -= sym[k * K + j] * W[j * d + x];
  }
  return dW;
}

describe('Flow.rhs equals the weight-space gradient flow of the closed-form loss (§4.1, §4.3–4.5, §5)', () => {
  const lr = 0.7;
  const lrReadout = 0.3;
  // d = 7 ≥ K+M (generic), d = 3 = K < K+M (singular Ω, Safran–Shamir-like).
  for (const d of [7, 3]) {
    for (const act of ACTIVATIONS) {
      for (const name of ['gd', 'ngd', 'ongd', 'gd2l'] as FlowName[]) {
        it(`${name} ${act.name} d=${d}`, () => {
          const net = randomNetwork(3, 2, d, 10 + d);
          const o = overlapsOf(net);
          const flow = new Flow(name, act, o, { lr, lrReadout });
          const dx = new Float64Array(flow.layout.dim);
          flow.rhs(flow.pack(o), dx);

          const grad = weightGradient(act, net);
          const D = grad.map((g) => -lr * d * g);
          const expected = overlapVelocity(net, weightVelocity(name, net, D), flow);
          if (name === 'gd2l') {
            // da_k/dt = −η_a ∂L/∂a_k, by central differences in a (L is quadratic in a: FD is exact to round-off).
            for (let k = 0; k < net.K; k++) {
              const h = 1e-4;
              const ap = net.a.slice();
              const am = net.a.slice();
              ap[k] += h;
              am[k] -= h;
              const dLda =
                (populationLoss(act, overlapsOf(net, net.W, ap)) - populationLoss(act, overlapsOf(net, net.W, am))) /
                (2 * h);
              expected[flow.layout.a(k)] = -lrReadout * dLda;
            }
          }
          // FD error ~1e-10 relative (see weightGradient); 1e-7 leaves margin for the d-fold sums.
          expect(maxAbsDiff(dx, expected)).toBeLessThan(1e-7 * Math.max(1, maxAbs(expected)));
          // The check is not vacuous: the velocity is O(1).
          expect(maxAbs(expected)).toBeGreaterThan(1e-2);
        });
      }
    }
  }

  it('ngd keeps dQ_kk = 0 exactly and ongd gives dQ = 0 at Q = I', () => {
    const act = activationByName('relu');
    const net = randomNetwork(3, 2, 7, 20);
    const o = overlapsOf(net);
    const ngd = new Flow('ngd', act, o, { lr: 1 });
    const dx = new Float64Array(ngd.layout.dim);
    ngd.rhs(ngd.pack(o), dx);
    for (let k = 0; k < 3; k++) expect(dx[ngd.layout.q(k, k)]).toBe(0);
    const stiefel: Overlaps = { ...o, Q: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
    const ongd = new Flow('ongd', act, stiefel, { lr: 1 });
    ongd.rhs(ongd.pack(stiefel), dx);
    for (let k = 0; k < 3; k++)
      for (let l = k; l < 3; l++) expect(Math.abs(dx[ongd.layout.q(k, l)])).toBeLessThan(1e-15);
  });
});

describe('sgd adds exactly η²a_k a_l (E[g′(λ_k)g′(λ_l)err²] + σ²J2) to dQ and nothing to dR (§4.2)', () => {
  /**
   * Independent Monte Carlo estimate of the η² term: sample x ~ N(0, I_d), form the fields of the actual
   * weights, a noisy label y = φ* + σξ, and average g′(λ_k)g′(λ_l)(φ − y)². N = 1e6, tolerance 5 standard
   * errors (a fixed seed makes the test deterministic; 5 SE is exceeded with probability ~6e-7 per entry).
   */
  const samples = 1_000_000;
  for (const act of ACTIVATIONS) {
    it(act.name, () => {
      const net = randomNetwork(2, 2, 6, 30);
      const { K, M, d, W, Wstar, a, v } = net;
      const o = overlapsOf(net);
      const lr = 0.8;
      const sigma = 0.4;
      const sgd = new Flow('sgd', act, o, { lr, labelNoise: sigma });
      const gd = new Flow('gd', act, o, { lr });
      const x0 = sgd.pack(o);
      const dSgd = new Float64Array(sgd.layout.dim);
      const dGd = new Float64Array(gd.layout.dim);
      sgd.rhs(x0, dSgd);
      gd.rhs(x0, dGd);
      const L = sgd.layout;
      for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) expect(dSgd[L.r(k, m)]).toBe(dGd[L.r(k, m)]);

      const sampler = new NormalSampler(31);
      const x = new Float64Array(d);
      const lam = new Float64Array(K);
      const sum = new Float64Array(K * K);
      const sum2 = new Float64Array(K * K);
      const sqrtD = Math.sqrt(d);
      for (let s = 0; s < samples; s++) {
        sampler.fill(x);
        let err = -sigma * sampler.next();
        for (let k = 0; k < K; k++) {
          let z = 0;
          for (let i = 0; i < d; i++) z += W[k * d + i] * x[i];
          lam[k] = z / sqrtD;
          err += a[k] * act.g(lam[k]);
        }
        for (let m = 0; m < M; m++) {
          let z = 0;
          for (let i = 0; i < d; i++) z += Wstar[m * d + i] * x[i];
          err -= v[m] * act.g(z / sqrtD);
        }
        for (let k = 0; k < K; k++) {
          for (let l = k; l < K; l++) {
            const f = act.dg(lam[k]) * act.dg(lam[l]) * err * err;
            sum[k * K + l] += f;
            sum2[k * K + l] += f * f;
          }
        }
      }
      for (let k = 0; k < K; k++) {
        for (let l = k; l < K; l++) {
          const mean = sum[k * K + l] / samples;
          const se = Math.sqrt((sum2[k * K + l] / samples - mean * mean) / samples);
          const exact = (dSgd[L.q(k, l)] - dGd[L.q(k, l)]) / (lr * lr * a[k] * a[l]);
          expect(Math.abs(exact - mean)).toBeLessThan(5 * se);
          expect(se).toBeLessThan(0.01 * Math.abs(mean));
        }
      }
    });
  }
});
