import * as tf from '@tensorflow/tfjs-core';
import type { NormalSampler } from '../random/normal.js';
import type { Activation } from '../theory/activations/activation.js';
import { type DeviceActivation, deviceActivation } from './activation.js';
import type { TrainConfig } from './config.js';
import { PopulationGeometry } from '../theory/population-geometry.js';

/** The device state of the active seeds (leading dimension S = number of active seeds). */
export interface EnsembleTensors {
  /** Student first-layer weights [S, K, d]. */
  W: tf.Tensor3D;
  /** Teacher weights [S, M, d] (fixed). */
  teacher: tf.Tensor3D;
  /** Student readouts a [S, K, 1] (fixed unless layers = both). */
  readouts: tf.Tensor3D;
  /** Teacher readouts v as rows [S, 1, M] (v = 1). */
  teacherReadouts: tf.Tensor3D;
}

/** The seeds at `indices` of a per-seed tensor (leading dimension S); the old tensor is disposed. */
export function keepSeeds(old: tf.Tensor3D, indices: number[]): tf.Tensor3D {
  const kept = tf.tidy(() => tf.gather(old, tf.tensor1d(indices, 'int32')));
  old.dispose();
  return kept;
}

/** One step's unconstrained updates: ΔW [S, K, d] and, when the readouts are trained, Δa [S, K, 1]. */
export interface Direction {
  dW: tf.Tensor3D;
  da: tf.Tensor3D | null;
}

/**
 * A gradient source. `direction` runs inside the engine's tf.tidy; it may flag seeds whose numbers are
 * no longer finite in `nonFinite` (the engine then checks them for divergence). `keep` drops every
 * seed not listed (indices into the current active list); `dispose` releases long-lived tensors, if any.
 */
export interface GradientSourceStep {
  direction(t: EnsembleTensors, nonFinite: Uint8Array): Direction;
  keep(indices: number[]): void;
  dispose?(): void;
}

/** Per-seed data common to the sources: float64 teacher Gram T and, for fixed readouts, a. */
export interface SeedConstants {
  T: Float64Array;
  a: Float64Array;
}

const TEACHER_READOUT = (M: number): Float64Array => new Float64Array(M).fill(1);

/**
 * Exact population gradient (docs/theory.md §5, Stein form, valid at any d): per seed, Ω from the current
 * weights, G = a∘S in float64, and ΔW = −lr·dt · G U, i.e. one explicit Euler step of the flow
 * dw/dt = −lr·d·∇L with ∇_W L = G U/d (§3). One [S,K,d]×[S,d,n] matMul for Ω, one [S,K,n]×[S,n,d] for ΔW.
 * Readouts (layers = both): Δa = −lr_a·dt·∂L/∂a (§4.3), in float64 from Ω.
 * In overlap space this step is R₁ = R₀ + dt·A_R exactly (the ODE's Euler step) but
 * Q₁ = Q₀ + dt·(A_Q + A_Qᵀ) + (lr·dt)²·GΩGᵀ: Q = WWᵀ/d is quadratic in W, so an Euler step in weight
 * space and one in overlap space differ at O(dt²) per step (test/network/ode-agreement.test.ts).
 */
export class PopulationSource implements GradientSourceStep {
  private readonly geometry: PopulationGeometry;
  private readonly v: Float64Array;
  private readonly trainReadouts: boolean;
  private readonly weightStep: number;
  private readonly readoutStep: number;
  private coefficients: Float32Array;
  private readoutUpdates: Float32Array;

  constructor(
    act: Activation,
    private readonly config: TrainConfig,
    private constants: SeedConstants[],
  ) {
    const { K, M } = config;
    this.geometry = new PopulationGeometry(act, K, M);
    this.v = TEACHER_READOUT(M);
    this.trainReadouts = config.layers === 'both';
    const dt = config.dt as number;
    this.weightStep = -config.lr * dt;
    this.readoutStep = -(config.lrReadout ?? 0) * dt;
    this.coefficients = new Float32Array(constants.length * K * (K + M));
    this.readoutUpdates = new Float32Array(constants.length * K);
  }

  direction(t: EnsembleTensors, nonFinite: Uint8Array): Direction {
    const { K, M, d } = this.config;
    const n = K + M;
    const S = this.constants.length;
    const U = tf.concat([t.W, t.teacher], 1);
    const rows = tf.matMul(t.W, U, false, true).dataSync();
    const a = this.trainReadouts ? t.readouts.dataSync() : null;
    const geo = this.geometry;
    for (let s = 0; s < S; s++) {
      const c = this.constants[s];
      geo.loadRows(rows, s * K * n, 1 / d, c.T, a ?? c.a, a ? s * K : 0, this.v);
      // Stored transposed, [n, K] per seed, for the transposeA matMul below (see activation.ts).
      const coefT = this.coefficients.subarray(s * K * n, (s + 1) * K * n);
      if (!geo.finite()) {
        nonFinite[s] = 1;
        coefT.fill(0);
        this.readoutUpdates.fill(0, s * K, (s + 1) * K);
        continue;
      }
      geo.computeGradient();
      for (let k = 0; k < K; k++) for (let g = 0; g < n; g++) coefT[g * K + k] = this.weightStep * geo.G[k * n + g];
      for (let k = 0; k < K; k++) this.readoutUpdates[s * K + k] = this.readoutStep * geo.readoutGrad[k];
    }
    const dW = tf.matMul(tf.tensor3d(this.coefficients, [S, n, K]), U, true, false) as tf.Tensor3D;
    const da = this.trainReadouts ? tf.tensor3d(this.readoutUpdates, [S, K, 1]) : null;
    return { dW, da };
  }

  keep(indices: number[]): void {
    const { K, M } = this.config;
    this.constants = indices.map((i) => this.constants[i]);
    this.coefficients = new Float32Array(indices.length * K * (K + M));
    this.readoutUpdates = new Float32Array(indices.length * K);
  }
}

/**
 * Sample-based update shared by online SGD and full-batch empirical GD. X̂ holds B inputs x/√d per
 * seed ([S, B, d]) and `target` their labels y ([S, B, 1]); err = φ(x) − y. Then (docs/theory.md §3)
 *   ΔW_k = weightScale · Σ_b a_k err_b g′(λ_bk) x̂_b,   Δa_k = readoutScale · Σ_b err_b g(λ_bk).
 * (Every matMul sets a transpose flag: see activation.ts.)
 */
function sampleDirection(
  act: DeviceActivation,
  t: EnsembleTensors,
  X: tf.Tensor3D,
  target: tf.Tensor3D,
  weightScale: number,
  readoutScale: number | null,
): Direction {
  const [S, K] = t.W.shape;
  const B = X.shape[1];
  const { g, dg } = act.withDerivative(X, t.W);
  const readoutRow = tf.reshape(t.readouts, [S, 1, K]);
  const err = tf.sub(tf.matMul(g, readoutRow, false, true), target);
  const coefficients = tf.mul(dg, tf.mul(err, tf.mul(readoutRow, weightScale))) as tf.Tensor3D;
  // B = 1: an outer product, which broadcasting does far faster than a matMul with a contraction of length 1.
  const dW = (
    B === 1 ? tf.mul(tf.reshape(coefficients, [S, K, 1]), X) : tf.matMul(coefficients, X, true, false)
  ) as tf.Tensor3D;
  const da = readoutScale === null ? null : (tf.mul(tf.matMul(g, err, true, false), readoutScale) as tf.Tensor3D);
  return { dW, da };
}

/** Labels y = Σ_m v_m g(ν_m) + σξ of the teacher for inputs X̂ ([S, B, d]) → [S, B, 1]. */
function teacherLabels(
  act: DeviceActivation,
  t: EnsembleTensors,
  X: tf.Tensor3D,
  noise: tf.Tensor3D | null,
): tf.Tensor3D {
  const clean = tf.matMul(act.value(X, t.teacher), t.teacherReadouts, false, true) as tf.Tensor3D;
  return noise === null ? clean : (tf.add(clean, noise) as tf.Tensor3D);
}

/**
 * Online SGD (docs/theory.md §3): every step draws B fresh inputs x ~ N(0, I_d) per seed from the seed's
 * own data stream (then B label-noise values if σ > 0), uploads x̂ = x/√d, and applies
 *   w_k ← w_k − (lr/B) Σ_b a_k err_b g′(λ_kb) x_b/√d,   a_k ← a_k − (lr_a/(d·B)) Σ_b err_b g(λ_kb),
 * i.e. the per-sample rule of §3 averaged over the mini-batch with the same lr. Time advances by 1/d per
 * step whatever B is: the drift is unchanged and the η² noise term of §4.2 is divided by B
 * (FlowOptions.batch on the ODE side).
 */
export class OnlineSource implements GradientSourceStep {
  private readonly act: DeviceActivation;
  private readonly batch: number;
  private readonly invSqrtD: number;
  private readonly noiseStd: number;
  private readonly weightScale: number;
  private readonly readoutScale: number | null;
  private inputs!: Float32Array;
  private noise!: Float32Array;
  private inputViews!: Float32Array[];
  private noiseViews!: Float32Array[];

  constructor(
    act: Activation,
    private readonly config: TrainConfig,
    private streams: NormalSampler[],
  ) {
    this.act = deviceActivation(act);
    this.batch = config.batch as number;
    this.invSqrtD = 1 / Math.sqrt(config.d);
    this.noiseStd = config.labelNoise ?? 0;
    this.weightScale = -config.lr / this.batch;
    this.readoutScale = config.layers === 'both' ? -(config.lrReadout as number) / (config.d * this.batch) : null;
    this.allocate();
  }

  /** Per-step buffers and per-seed views into them, allocated once per ensemble composition. */
  private allocate(): void {
    const { d } = this.config;
    const B = this.batch;
    const S = this.streams.length;
    this.inputs = new Float32Array(S * B * d);
    this.noise = new Float32Array(S * B);
    this.inputViews = this.streams.map((_, s) => this.inputs.subarray(s * B * d, (s + 1) * B * d));
    this.noiseViews = this.streams.map((_, s) => this.noise.subarray(s * B, (s + 1) * B));
  }

  direction(t: EnsembleTensors): Direction {
    const S = this.streams.length;
    for (let s = 0; s < S; s++) {
      this.streams[s].fill(this.inputViews[s], 0, this.invSqrtD);
      if (this.noiseStd > 0) this.streams[s].fill(this.noiseViews[s], 0, this.noiseStd);
    }
    const X = tf.tensor3d(this.inputs, [S, this.batch, this.config.d]);
    const noise = this.noiseStd > 0 ? tf.tensor3d(this.noise, [S, this.batch, 1]) : null;
    return sampleDirection(this.act, t, X, teacherLabels(this.act, t, X, noise), this.weightScale, this.readoutScale);
  }

  keep(indices: number[]): void {
    this.streams = indices.map((i) => this.streams[i]);
    this.allocate();
  }
}

/**
 * Full-batch gradient descent on a fixed training set of n inputs per seed (drawn once from the seed's
 * data stream, then n label-noise values if σ > 0). With L_n = (1/2n) Σ_μ err_μ² and one explicit Euler
 * step of dw/dt = −lr·d·∇L_n (the GD convention of §3, t = steps·dt):
 *   ΔW_k = −(lr·dt·d/n) Σ_μ a_k err_μ g′(λ_kμ) x_μ/√d,   Δa_k = −(lr_a·dt/n) Σ_μ err_μ g(λ_kμ).
 */
export class EmpiricalSource implements GradientSourceStep {
  private readonly act: DeviceActivation;
  private readonly weightScale: number;
  private readonly readoutScale: number | null;
  private inputs: tf.Tensor3D;
  private labels: tf.Tensor3D;

  constructor(act: Activation, config: TrainConfig, streams: NormalSampler[], t: EnsembleTensors) {
    this.act = deviceActivation(act);
    const n = config.samples as number;
    const dt = config.dt as number;
    this.weightScale = (-config.lr * dt * config.d) / n;
    this.readoutScale = config.layers === 'both' ? (-(config.lrReadout as number) * dt) / n : null;
    const S = streams.length;
    const d = config.d;
    const sigma = config.labelNoise ?? 0;
    const x = new Float32Array(S * n * d);
    const xi = new Float32Array(S * n);
    streams.forEach((stream, s) => {
      stream.fill(x.subarray(s * n * d, (s + 1) * n * d), 0, 1 / Math.sqrt(d));
      if (sigma > 0) stream.fill(xi.subarray(s * n, (s + 1) * n), 0, sigma);
    });
    this.inputs = tf.tensor3d(x, [S, n, d]);
    this.labels = tf.tidy(() => teacherLabels(this.act, t, this.inputs, sigma > 0 ? tf.tensor3d(xi, [S, n, 1]) : null));
  }

  direction(t: EnsembleTensors): Direction {
    return sampleDirection(this.act, t, this.inputs, this.labels, this.weightScale, this.readoutScale);
  }

  keep(indices: number[]): void {
    this.inputs = keepSeeds(this.inputs, indices);
    this.labels = keepSeeds(this.labels, indices);
  }

  dispose(): void {
    this.inputs.dispose();
    this.labels.dispose();
  }
}
