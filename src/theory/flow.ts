import { type Activation, VARIANCE_FLOOR } from './activations/activation.js';
import { lossFromField, readoutGradient } from './loss.js';
import { type Overlaps, fieldCovariance, packOverlaps, signedCoefficients, unpackOverlaps } from '../model/overlaps.js';
import { type FlowDefinition, flowDefinition } from './flows/index.js';
import { StateLayout } from '../model/state-layout.js';
import { driftFromStein, steinCoefficients } from './stein.js';

/** A registered flow's name (src/theory/flows/). */
export type FlowName = string;

export interface FlowOptions {
  /** Learning rate η of the first layer (time conventions: docs/theory.md §3). */
  lr: number;
  /** Learning rate η_a of the readouts (gd2l); defaults to η (§3). */
  lrReadout?: number;
  /** Label-noise standard deviation σ for sgd (§4.2); default 0. */
  labelNoise?: number;
  /**
   * Mini-batch size B of online SGD (default 1). A step averages B per-sample gradients with the same lr
   * and still advances t by 1/d, so the drift is unchanged and the η² noise term is divided by B.
   */
  batch?: number;
}

/**
 * A named right-hand side dx/dt = F(x) over the packed state of `layout`, with T, v (and a unless
 * trained) held in `fixed`. Workspaces are allocated once: `rhs` allocates nothing.
 */
export class Flow {
  readonly layout: StateLayout;
  readonly n: number;
  readonly lr: number;
  readonly lrReadout: number;
  readonly labelNoise: number;
  readonly batch: number;
  readonly definition: FlowDefinition;
  /** Ω and c of the state last loaded (by rhs, loss, fieldAndStein): what an extra term reads. */
  readonly omega: Float64Array;
  readonly c: Float64Array;
  private readonly stein: Float64Array;
  private readonly b: Float64Array;
  private readonly sym: Float64Array;
  private readonly da: Float64Array;
  private readonly radial: Float64Array;
  private readonly extraTerm: ((dx: Float64Array) => void) | null;
  /**
   * T = I exactly: the teacher columns of S Ω are S_{:,K:} + S_{:,:K} R, with no multiplication by T
   * (docs/theory.md §4 "Orthonormal teachers").
   */
  private readonly teacherIdentity: boolean;
  /**
   * For packed entry i < nQ + KM (a Q or R entry): its position in Ω (n×n) above the diagonal
   * (row i_, column j_ ≥ i_) and the mirrored position below. Because A is K×n with the same row
   * stride, they also address A_ij and A_ji (for R: A_{k,K+m} and an unused mirror).
   */
  private readonly upper: Int32Array;
  private readonly lower: Int32Array;

  constructor(
    readonly name: FlowName,
    readonly act: Activation,
    readonly fixed: Overlaps,
    options: FlowOptions,
  ) {
    const { K, M } = fixed;
    this.definition = flowDefinition(name);
    this.layout = new StateLayout(K, M, this.definition.trainsReadouts);
    this.n = K + M;
    this.lr = options.lr;
    this.lrReadout = options.lrReadout ?? options.lr;
    this.labelNoise = options.labelNoise ?? 0;
    this.batch = options.batch ?? 1;
    const n = this.n;
    this.omega = fieldCovariance(fixed);
    this.c = signedCoefficients(fixed);
    this.teacherIdentity = isIdentity(fixed.T, M);
    this.stein = new Float64Array(K * n);
    this.b = new Float64Array(K * n);
    this.sym = new Float64Array(K * K);
    this.da = new Float64Array(K);
    this.radial = new Float64Array(K);
    const L = this.layout;
    this.upper = new Int32Array(L.aOffset);
    this.lower = new Int32Array(L.aOffset);
    for (let i = 0; i < K; i++) {
      for (let j = i; j < K; j++) {
        this.upper[L.q(i, j)] = i * n + j;
        this.lower[L.q(i, j)] = j * n + i;
      }
      for (let m = 0; m < M; m++) {
        this.upper[L.r(i, m)] = i * n + K + m;
        this.lower[L.r(i, m)] = (K + m) * n + i;
      }
    }
    this.extraTerm = this.definition.extraTerm ? this.definition.extraTerm(this) : null;
  }

  /** Load x into Ω (Q and R blocks, kept exactly symmetric, §7.3; T stays) and c (a when trained). */
  private loadField(x: Float64Array): void {
    const { upper, lower, omega } = this;
    const L = this.layout;
    for (let i = 0; i < upper.length; i++) {
      const v = x[i];
      omega[upper[i]] = v;
      omega[lower[i]] = v;
    }
    if (L.withReadouts) for (let k = 0; k < L.K; k++) this.c[k] = x[L.a(k)];
  }

  /** Population loss at state x (docs/theory.md §2). */
  loss(x: Float64Array): number {
    this.loadField(x);
    return lossFromField(this.act, this.omega, this.c, this.n);
  }

  /**
   * The field covariance Ω (n×n), signed coefficients c (n) and Stein coefficients S (K×n, §5) at
   * state x, copied into the caller's buffers: what the exact discrete population-GD map (gd-map.ts)
   * needs. Allocates nothing.
   */
  fieldAndStein(x: Float64Array, omega: Float64Array, c: Float64Array, stein: Float64Array): void {
    this.loadField(x);
    steinCoefficients(this.act, this.omega, this.c, this.layout.K, this.n, stein);
    omega.set(this.omega);
    c.set(this.c);
  }

  /** dx/dt = F(x) into dx (docs/theory.md §4.1–4.5). */
  rhs(x: Float64Array, dx: Float64Array): void {
    const { K } = this.layout;
    const n = this.n;
    const L = this.layout;
    this.loadField(x);
    steinCoefficients(this.act, this.omega, this.c, K, n, this.stein);
    driftFromStein(this.stein, this.omega, K, n, this.b, this.teacherIdentity);
    // A_kγ = −η a_k b_kγ, computed in place in b (§4).
    const b = this.b;
    for (let k = 0; k < K; k++) {
      const f = -this.lr * this.c[k];
      for (let g = 0; g < n; g++) b[k * n + g] *= f;
    }
    const A = b;
    switch (this.definition.constraint) {
      case 'none':
        this.plainGradientFlow(A, dx);
        break;
      case 'sphere':
        this.sphereFlow(A, x, dx);
        break;
      case 'stiefel':
        this.stiefelFlow(A, x, dx);
        break;
    }
    this.extraTerm?.(dx);
    if (L.withReadouts) {
      // da_k/dt = −η_a ∂L/∂a_k (§4.3).
      readoutGradient(this.act, this.omega, this.c, K, n, this.da);
      for (let k = 0; k < K; k++) dx[L.a(k)] = -this.lrReadout * this.da[k];
    }
  }

  /** §4.1: dQ_kl = A_kl + A_lk, dR_km = A_{k,K+m}. */
  private plainGradientFlow(A: Float64Array, dx: Float64Array): void {
    const { upper, lower } = this;
    const nQ = this.layout.nQ;
    for (let i = 0; i < nQ; i++) dx[i] = A[upper[i]] + A[lower[i]];
    for (let i = nQ; i < upper.length; i++) dx[i] = A[upper[i]];
  }

  /** §4.4 sphere: subtract the radial part; dQ_kk = 0 identically (set exactly, not by cancellation). */
  private sphereFlow(A: Float64Array, x: Float64Array, dx: Float64Array): void {
    const { K, M } = this.layout;
    const n = this.n;
    const L = this.layout;
    const radial = this.radial; // radial_k = A_kk / Q_kk
    for (let k = 0; k < K; k++) radial[k] = A[k * n + k] / Math.max(x[L.q(k, k)], VARIANCE_FLOOR);
    for (let k = 0; k < K; k++) {
      dx[L.q(k, k)] = 0;
      for (let l = k + 1; l < K; l++)
        dx[L.q(k, l)] = A[k * n + l] + A[l * n + k] - (radial[k] + radial[l]) * x[L.q(k, l)];
      for (let m = 0; m < M; m++) dx[L.r(k, m)] = A[k * n + K + m] - radial[k] * x[L.r(k, m)];
    }
  }

  /** §4.5 Stiefel (polar retraction limit): Σ = sym(A_Q); dR = A_R − ΣR; dQ = A_Q + A_Qᵀ − ΣQ − QΣ. */
  private stiefelFlow(A: Float64Array, x: Float64Array, dx: Float64Array): void {
    const { K, M } = this.layout;
    const n = this.n;
    const L = this.layout;
    const sym = this.sym;
    for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) sym[k * K + l] = 0.5 * (A[k * n + l] + A[l * n + k]);
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) {
        let sq = 0;
        for (let j = 0; j < K; j++) sq += sym[k * K + j] * x[L.q(j, l)] + x[L.q(k, j)] * sym[j * K + l];
        dx[L.q(k, l)] = A[k * n + l] + A[l * n + k] - sq;
      }
      for (let m = 0; m < M; m++) {
        let sr = 0;
        for (let j = 0; j < K; j++) sr += sym[k * K + j] * x[L.r(j, m)];
        dx[L.r(k, m)] = A[k * n + K + m] - sr;
      }
    }
  }

  pack(o: Overlaps): Float64Array {
    return packOverlaps(o, this.layout);
  }

  unpack(x: Float64Array): Overlaps {
    return unpackOverlaps(x, this.layout, this.fixed);
  }
}

/** Whether the M×M row-major matrix T is exactly the identity. */
function isIdentity(T: Float64Array, M: number): boolean {
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) if (T[i * M + j] !== (i === j ? 1 : 0)) return false;
  return true;
}
