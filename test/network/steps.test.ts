import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/network/backend.js';
import { type TrainInput, resolveTrainConfig } from '../../src/network/config.js';
import { SymmetricWorkspace, inverseSqrtSymmetric } from '../../src/theory/linalg/symmetric-eigen.js';
import { NetworkEnsemble } from '../../src/network/ensemble.js';
import { seedStreams } from '../../src/network/init.js';
import { PopulationGeometry } from '../../src/theory/population-geometry.js';
import { type ActivationName, activationByName } from '../../src/theory/activations/index.js';
import { overlapsFromWeights } from '../../src/theory/init.js';

/**
 * One step of each gradient source against the update rule of docs/theory.md §3 / §5 written out in
 * float64 from the same float32 weights and the same seeded samples. d = 60 > 48 so that every
 * contraction spans several blocks of tfjs's batched matMul kernels (tfjs-wasm's fused ReLU is wrong
 * exactly there). Tolerance 2e-6: weights and updates are O(1) and O(0.1) and the device works in
 * float32 (relative rounding 6e-8 per operation, sums of ≤ 60 terms).
 */
const TOL = 2e-6;
const K = 2;
const M = 2;
const d = 60;
const SEED = 5;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function oneStep(input: TrainInput, backend: 'wasm' | 'cpu') {
  const config = resolveTrainConfig({ activation: 'relu', K, M, d, seeds: [SEED], backend, ...input });
  await selectBackend(backend);
  const act = activationByName(config.activation, config.alpha ?? undefined);
  const ensemble = new NetworkEnsemble(config, act);
  const before = ensemble.weights();
  ensemble.step();
  const after = ensemble.weights();
  ensemble.dispose();
  return { config, act, before, after };
}

/** Σ_b per-sample contributions of §3 in float64: ΔW_k ∝ Σ_b a_k err_b g′(λ_kb) x̂_b, Δa_k ∝ Σ_b err_b g(λ_kb). */
function sampleUpdates(
  act: ReturnType<typeof activationByName>,
  W: Float32Array,
  teacher: Float32Array,
  a: Float32Array,
  x: Float32Array,
  noise: Float32Array,
  B: number,
): { dW: Float64Array; da: Float64Array } {
  const dW = new Float64Array(K * d);
  const da = new Float64Array(K);
  for (let b = 0; b < B; b++) {
    const field = (rows: Float32Array, r: number) => {
      let s = 0;
      for (let i = 0; i < d; i++) s += rows[r * d + i] * x[b * d + i];
      return s;
    };
    const lambda = Array.from({ length: K }, (_, k) => field(W, k));
    let err = -noise[b];
    for (let k = 0; k < K; k++) err += a[k] * act.g(lambda[k]);
    for (let m = 0; m < M; m++) err -= act.g(field(teacher, m));
    for (let k = 0; k < K; k++) {
      const c = a[k] * err * act.dg(lambda[k]);
      for (let i = 0; i < d; i++) dW[k * d + i] += c * x[b * d + i];
      da[k] += err * act.g(lambda[k]);
    }
  }
  return { dW, da };
}

describe.each(['wasm', 'cpu'] as const)('one training step on %s', (backend) => {
  it.each(['relu', 'leaky-relu', 'erf'] as ActivationName[])(
    'online SGD (B = 3, both layers, label noise) follows §3 for %s',
    async (activation) => {
      const B = 3;
      const lr = 0.7;
      const lrReadout = 0.3;
      const sigma = 0.2;
      const input: TrainInput = {
        optimizer: 'sgd',
        layers: 'both',
        activation,
        batch: B,
        lr,
        lrReadout,
        labelNoise: sigma,
      };
      const { act, before, after } = await oneStep(input, backend);
      const data = seedStreams(SEED).data;
      const x = data.fill(new Float32Array(B * d), 0, 1 / Math.sqrt(d));
      const noise = data.fill(new Float32Array(B), 0, sigma);
      const { dW, da } = sampleUpdates(act, before.W, before.teacher, before.readouts, x, noise, B);
      const expectedW = Array.from(before.W, (w, i) => w - (lr / B) * dW[i]);
      const expectedA = Array.from(before.readouts, (a, k) => a - (lrReadout / (d * B)) * da[k]);
      expect(maxAbsDiff(after.W, expectedW)).toBeLessThan(TOL);
      expect(maxAbsDiff(after.readouts, expectedA)).toBeLessThan(TOL);
      // The step must actually move the weights (otherwise the comparison above is vacuous).
      expect(maxAbsDiff(after.W, before.W)).toBeGreaterThan(100 * TOL);
    },
  );

  it('full-batch empirical GD follows ΔW = −(lr·dt·d/n) Σ_μ a err g′ x̂', async () => {
    const n = 7;
    const lr = 0.5;
    const dt = 0.05;
    const { act, before, after } = await oneStep(
      { optimizer: 'gd2l', gradient: 'empirical', samples: n, lr, dt },
      backend,
    );
    const data = seedStreams(SEED).data;
    const x = data.fill(new Float32Array(n * d), 0, 1 / Math.sqrt(d));
    const { dW, da } = sampleUpdates(act, before.W, before.teacher, before.readouts, x, new Float32Array(n), n);
    expect(
      maxAbsDiff(
        after.W,
        Array.from(before.W, (w, i) => w - ((lr * dt * d) / n) * dW[i]),
      ),
    ).toBeLessThan(TOL);
    expect(
      maxAbsDiff(
        after.readouts,
        Array.from(before.readouts, (a, k) => a - ((lr * dt) / n) * da[k]),
      ),
    ).toBeLessThan(TOL);
  });

  it('population GD is W ← W − lr·dt·G U with G = a∘S from the float64 overlaps (§5)', async () => {
    const lr = 0.5;
    const dt = 0.05;
    const { act, before, after } = await oneStep({ optimizer: 'gd', lr, dt }, backend);
    const o = overlapsFromWeights(Float64Array.from(before.W), Float64Array.from(before.teacher), K, M, d);
    const geo = new PopulationGeometry(act, K, M);
    geo.loadOverlaps(o);
    geo.computeGradient();
    const U = [...before.W, ...before.teacher];
    const n = K + M;
    const expected = Array.from(before.W, (w, i) => {
      const k = Math.floor(i / d);
      let s = 0;
      for (let g = 0; g < n; g++) s += geo.G[k * n + g] * U[g * d + (i % d)];
      return w - lr * dt * s;
    });
    expect(maxAbsDiff(after.W, expected)).toBeLessThan(TOL);
    expect(maxAbsDiff(after.W, before.W)).toBeGreaterThan(100 * TOL);
  });

  it('Stiefel: tangent projection then the polar retraction (W₁W₁ᵀ/d = I and W₁W′ᵀ symmetric positive definite)', async () => {
    const lr = 0.5;
    const dt = 0.05;
    const { act, before, after } = await oneStep({ optimizer: 'ongd', lr, dt }, backend);
    // W′ = W + D − sym(D Wᵀ/d) W with D = −lr·dt·G U (§4.5), in float64.
    const o = overlapsFromWeights(Float64Array.from(before.W), Float64Array.from(before.teacher), K, M, d);
    const geo = new PopulationGeometry(act, K, M);
    geo.loadOverlaps(o);
    geo.computeGradient();
    const n = K + M;
    const U = [...before.W, ...before.teacher];
    const D = Float64Array.from({ length: K * d }, (_, i) => {
      let s = 0;
      for (let g = 0; g < n; g++) s += geo.G[Math.floor(i / d) * n + g] * U[g * d + (i % d)];
      return -lr * dt * s;
    });
    const dot = (A: ArrayLike<number>, k: number, B: ArrayLike<number>, l: number) => {
      let s = 0;
      for (let i = 0; i < d; i++) s += A[k * d + i] * B[l * d + i];
      return s / d;
    };
    const moved = Float64Array.from({ length: K * d }, (_, i) => {
      const k = Math.floor(i / d);
      let s = before.W[i] + D[i];
      for (let l = 0; l < K; l++)
        s -= 0.5 * (dot(D, k, before.W, l) + dot(D, l, before.W, k)) * before.W[l * d + (i % d)];
      return s;
    });
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) {
        expect(Math.abs(dot(after.W, k, after.W, l) - (k === l ? 1 : 0))).toBeLessThan(1e-5);
        // Polar factor ⇔ W₁W′ᵀ is symmetric (a QR retraction makes it triangular instead).
        expect(Math.abs(dot(after.W, k, moved, l) - dot(after.W, l, moved, k))).toBeLessThan(1e-5);
      }
    }
    const cross = Float64Array.from({ length: K * K }, (_, i) => dot(after.W, Math.floor(i / K), moved, i % K));
    expect(inverseSqrtSymmetric(cross, new Float64Array(K * K), new SymmetricWorkspace(K))).toBe(true);
  });
});

describe('inverseSqrtSymmetric', () => {
  it('returns P with P A P = I, and refuses singular or non-finite input', () => {
    const A = Float64Array.from([2, 0.3, -0.1, 0.3, 1.5, 0.2, -0.1, 0.2, 0.8]);
    const P = new Float64Array(9);
    expect(inverseSqrtSymmetric(A, P, new SymmetricWorkspace(3))).toBe(true);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += P[i * 3 + a] * A[a * 3 + b] * P[b * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    expect(inverseSqrtSymmetric(Float64Array.from([1, 1, 1, 1]), new Float64Array(4), new SymmetricWorkspace(2))).toBe(
      false,
    );
    expect(
      inverseSqrtSymmetric(Float64Array.from([1, NaN, NaN, 1]), new Float64Array(4), new SymmetricWorkspace(2)),
    ).toBe(false);
  });
});
