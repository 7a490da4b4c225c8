import type { Activation } from './activations/activation.js';
import { lossFromField, readoutGradient } from './loss.js';
import { type Overlaps, fieldCovariance, signedCoefficients } from '../model/overlaps.js';
import { steinCoefficients, tangentCoefficients } from './stein.js';
import type { ConstraintName } from '../network/config.js';

/**
 * Float64 population quantities of ONE seed from its overlaps, in preallocated buffers (no allocation
 * per call). With U = [W; W*] (rows u_γ, n = K+M) and Ω = UUᵀ/d the field covariance (docs/theory.md §0):
 *
 *   ∇_{w_k}L = (1/d) Σ_γ G_kγ u_γ,   G_kγ = a_k S_kγ,                     (§5, Stein form, any d)
 *
 * with S = steinCoefficients(Ω, c). Because every gradient lies in span(U), the gradient, its tangent
 * projections and their norms are all K×n coefficient matrices acting on U, computed here exactly from Ω.
 */
export class PopulationGeometry {
  readonly n: number;
  readonly omega: Float64Array<ArrayBuffer>;
  readonly c: Float64Array<ArrayBuffer>;
  /** G = a∘S (K×n, row-major): the Euclidean gradient coefficients. */
  readonly G: Float64Array;
  /** ∂L/∂a (K). */
  readonly readoutGrad: Float64Array;
  private readonly stein: Float64Array;
  private readonly H: Float64Array;
  private readonly work: Float64Array;

  constructor(
    readonly act: Activation,
    readonly K: number,
    readonly M: number,
  ) {
    const n = K + M;
    this.n = n;
    this.omega = new Float64Array(n * n);
    this.c = new Float64Array(n);
    this.G = new Float64Array(K * n);
    this.readoutGrad = new Float64Array(K);
    this.stein = new Float64Array(K * n);
    this.H = new Float64Array(K * n);
    this.work = new Float64Array(K * K);
  }

  /**
   * Load Ω from `rows` = W Uᵀ (the K×n upper block [Q, R] of Ω times d, row-major, read from
   * `offset`; multiplied by `scale` = 1/d here), the teacher block T (M×M), the readouts a (K values
   * from `aOffset`) and v.
   */
  loadRows(
    rows: ArrayLike<number>,
    offset: number,
    scale: number,
    T: Float64Array,
    a: ArrayLike<number>,
    aOffset: number,
    v: Float64Array,
  ): void {
    const { K, M, n, omega } = this;
    for (let k = 0; k < K; k++) {
      for (let g = 0; g < n; g++) omega[k * n + g] = rows[offset + k * n + g] * scale;
    }
    // Ω must be exactly symmetric (§7.3): mirror the upper triangle of Q and the R block.
    for (let k = 0; k < K; k++) for (let l = 0; l < k; l++) omega[k * n + l] = omega[l * n + k];
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) omega[(K + m) * n + k] = omega[k * n + K + m];
      for (let l = 0; l < M; l++) omega[(K + m) * n + K + l] = T[m * M + l];
    }
    for (let k = 0; k < K; k++) this.c[k] = a[aOffset + k];
    for (let m = 0; m < M; m++) this.c[K + m] = -v[m];
  }

  loadOverlaps(o: Overlaps): void {
    fieldCovariance(o, this.omega);
    signedCoefficients(o, this.c);
  }

  /** True when Ω holds only finite numbers (a diverged seed must not reach the integrals). */
  finite(): boolean {
    for (let i = 0; i < this.omega.length; i++) if (!Number.isFinite(this.omega[i])) return false;
    return true;
  }

  /** Population loss L (docs/theory.md §2, with the ½). */
  loss(): number {
    return lossFromField(this.act, this.omega, this.c, this.n);
  }

  /** G = a∘S and ∂L/∂a from the loaded Ω (§5, §4.3). */
  computeGradient(): void {
    const { K, n } = this;
    steinCoefficients(this.act, this.omega, this.c, K, n, this.stein);
    for (let k = 0; k < K; k++) {
      const ak = this.c[k];
      for (let g = 0; g < n; g++) this.G[k * n + g] = ak * this.stein[k * n + g];
    }
    readoutGradient(this.act, this.omega, this.c, K, n, this.readoutGrad);
  }

  /**
   * Norm of the (projected) population gradient in units that are O(1) at any d:
   *   √( d·‖P ∇_W L‖²_F + [layers = both] ‖∇_a L‖² ),   d·‖P ∇_W L‖²_F = tr(H Ω Hᵀ),
   * where H = coefficients of the tangent projection P of the constraint (stein.ts tangentCoefficients).
   * It is the speed of the flow per unit learning rate; it vanishes at every fixed point of the flow.
   * Call computeGradient() first.
   */
  gradientNorm(constraint: ConstraintName, withReadouts: boolean): number {
    const { K, n, omega, H } = this;
    tangentCoefficients(constraint, this.G, omega, K, n, this.work, H);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      for (let g = 0; g < n; g++) {
        const h = H[k * n + g];
        if (h === 0) continue;
        let row = 0;
        for (let b = 0; b < n; b++) row += omega[g * n + b] * H[k * n + b];
        sum += h * row;
      }
    }
    if (withReadouts) for (let k = 0; k < K; k++) sum += this.readoutGrad[k] ** 2;
    return Math.sqrt(Math.max(0, sum));
  }
}
