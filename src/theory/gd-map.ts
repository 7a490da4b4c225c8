import { InputError } from '../model/errors.js';
import type { Flow } from './flow.js';
import { readoutGradient } from './loss.js';
import { studentConstraintOf } from './init.js';
import { driftFromStein, tangentCoefficients } from './stein.js';
import { SymmetricWorkspace, inverseSqrtSymmetric } from './linalg/symmetric-eigen.js';

/**
 * The exact discrete population-GD map x_{n+1} = Φ_τ(x_n) on the packed overlaps (state.ts), i.e. what
 * ONE step of a population-gradient network (src/network: PopulationSource, then the constraint step)
 * does to (Q, R, a) at any d. The flows gd, gd2l, ngd and ongd are its τ → 0 limits; `ode --method euler`
 * differs from it at O(dt²) per step (O(dt) globally).
 *
 * Why it closes (docs/theory.md §5): with U = [W; W*] (rows u_γ, n = K+M) every update of a step lies in
 * span(U), so the pre-retraction weights are W̃ = H U for a K×n coefficient matrix H, and
 *   Q̃ = H Ω Hᵀ,   R̃ = (H Ω)_{:,K:n}      (Ω = UUᵀ/d, the field covariance of §0),
 * with no approximation. The network's step, in the u-basis (τ = lr·dt, G = a∘S with S the Stein
 * coefficients so that ∇_{w_k}L = (1/d) Σ_γ G_kγ u_γ, P = GΩ so that the update ΔW = −τGU has
 * ΔW Uᵀ/d = −τP):
 * - gd, gd2l (§4.1, §4.3): W̃ = W − τGU, so H = E − τG with E = [I_K, 0]. Expanded,
 *   Q̃ = Q − τ(P_W + P_Wᵀ) + τ² GΩGᵀ: the Euler step in overlap space plus the τ² term.
 * - ngd (§4.4): the tangent step w̃_k = w_k + Δw_k − (Δw_k·w_k/|w_k|²) w_k, so
 *   H_k = (1 + τ P_kk/Q_kk) e_k − τ G_k; then the sphere retraction w_k ← √d w̃_k/|w̃_k|:
 *   Q'_kl = Q̃_kl/√(Q̃_kk Q̃_ll), R'_km = R̃_km/√Q̃_kk.
 * - ongd (§4.5): the tangent step W̃ = W + ΔW − sym(ΔW Wᵀ/d) W, so H = [I + τ sym(P_W), 0] − τG; then
 *   the polar retraction W ← (W̃W̃ᵀ/d)^{-1/2} W̃: Q' = I, R' = Q̃^{-1/2} R̃ (Q̃^{-1/2} by Jacobi).
 * - gd2l readouts: a' = a − τ_a ∂L/∂a (§4.3, τ_a = lr_a·dt) evaluated at the OLD state, like G: the
 *   network computes both updates from the same weights and applies them together.
 * Here P_W = P_{:,0:K}. Online SGD (sgd) has no such map: its network steps are random.
 *
 * Float64 throughout; all workspaces are allocated once, `step` allocates nothing.
 */
export class PopulationGdMap {
  /** First-layer and readout steps τ = lr·dt, τ_a = lr_a·dt. */
  readonly tau: number;
  readonly tauReadout: number;
  private readonly n: number;
  private readonly omega: Float64Array;
  private readonly c: Float64Array;
  /** G = a∘S (K×n). */
  private readonly G: Float64Array;
  /** H, the coefficients of W̃ in the u-basis (K×n), and X = HΩ (K×n). */
  private readonly H: Float64Array;
  private readonly X: Float64Array;
  /** Q̃ (K×K; for ongd it first holds P_W), Q̃^{-1/2} (K×K), 1/√Q̃_kk (K), ∂L/∂a (K). */
  private readonly gram: Float64Array;
  private readonly polar: Float64Array;
  private readonly rowScale: Float64Array;
  private readonly readoutGrad: Float64Array;
  private readonly eigen: SymmetricWorkspace;

  constructor(
    readonly flow: Flow,
    readonly dt: number,
    where = '--method',
  ) {
    if (!flow.definition.gradientFlow) {
      throw new InputError(
        where,
        `the exact map exists for the population gradient flows; ${flow.name} takes random steps: use dopri5 or euler`,
      );
    }
    if (!(Number.isFinite(dt) && dt > 0)) throw new RangeError(`dt must be positive and finite, got ${dt}`);
    const { K } = flow.layout;
    const n = flow.n;
    this.n = n;
    this.tau = flow.lr * dt;
    this.tauReadout = flow.lrReadout * dt;
    this.omega = new Float64Array(n * n);
    this.c = new Float64Array(n);
    this.G = new Float64Array(K * n);
    this.H = new Float64Array(K * n);
    this.X = new Float64Array(K * n);
    this.gram = new Float64Array(K * K);
    this.polar = new Float64Array(K * K);
    this.rowScale = new Float64Array(K);
    this.readoutGrad = new Float64Array(K);
    this.eigen = new SymmetricWorkspace(K);
  }

  /** xNew = Φ_τ(x). A step that cannot be taken (non-finite numbers, Q̃ not positive definite for ongd) gives NaN. */
  step(x: Float64Array, xNew: Float64Array): void {
    const { flow, n, omega, c, G, H, X, gram } = this;
    const L = flow.layout;
    const K = L.K;
    flow.fieldAndStein(x, omega, c, G);
    for (let k = 0; k < K; k++) for (let g = 0; g < n; g++) G[k * n + g] *= c[k];
    this.updateCoefficients();
    // X = HΩ (the product of a K×n matrix with the symmetric Ω), Q̃ = X Hᵀ, R̃ = X_{:,K:n}.
    driftFromStein(H, omega, K, n, X);
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) {
        let s = 0;
        for (let g = 0; g < n; g++) s += X[k * n + g] * H[l * n + g];
        gram[k * K + l] = s;
        gram[l * K + k] = s;
      }
    }
    switch (flow.definition.constraint) {
      case 'sphere':
        this.sphereRetraction(xNew);
        break;
      case 'stiefel':
        this.polarRetraction(xNew);
        break;
      default:
        this.noRetraction(xNew);
    }
    if (L.withReadouts) {
      readoutGradient(flow.act, omega, c, K, n, this.readoutGrad);
      for (let k = 0; k < K; k++) xNew[L.a(k)] = x[L.a(k)] - this.tauReadout * this.readoutGrad[k];
    }
  }

  /**
   * H = E − τ·(tangent projection of G): the network's (tangent) update of W in the u-basis, see the
   * class comment (gram serves as scratch; it is overwritten with Q̃ afterwards).
   */
  private updateCoefficients(): void {
    const { flow, n, omega, G, H, gram, tau } = this;
    const K = flow.layout.K;
    tangentCoefficients(studentConstraintOf(flow.name), G, omega, K, n, gram, H);
    for (let i = 0; i < H.length; i++) H[i] *= -tau;
    for (let k = 0; k < K; k++) H[k * n + k] += 1;
  }

  /** gd, gd2l: (Q', R') = (Q̃, R̃). */
  private noRetraction(xNew: Float64Array): void {
    const { n, X, gram } = this;
    const L = this.flow.layout;
    const { K, M } = L;
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) xNew[L.q(k, l)] = gram[k * K + l];
      for (let m = 0; m < M; m++) xNew[L.r(k, m)] = X[k * n + K + m];
    }
  }

  /** ngd: w_k ← √d w̃_k/|w̃_k|, so Q'_kl = Q̃_kl/√(Q̃_kk Q̃_ll) (Q'_kk = 1 exactly), R'_km = R̃_km/√Q̃_kk. */
  private sphereRetraction(xNew: Float64Array): void {
    const { n, X, gram } = this;
    const L = this.flow.layout;
    const { K, M } = L;
    const inv = this.rowScale;
    for (let k = 0; k < K; k++) inv[k] = 1 / Math.sqrt(gram[k * K + k]);
    for (let k = 0; k < K; k++) {
      xNew[L.q(k, k)] = Number.isFinite(inv[k]) ? 1 : NaN;
      for (let l = k + 1; l < K; l++) xNew[L.q(k, l)] = gram[k * K + l] * inv[k] * inv[l];
      for (let m = 0; m < M; m++) xNew[L.r(k, m)] = X[k * n + K + m] * inv[k];
    }
  }

  /** ongd: W ← Q̃^{-1/2} W̃, so Q' = I and R' = Q̃^{-1/2} R̃. */
  private polarRetraction(xNew: Float64Array): void {
    const { n, X, gram, polar } = this;
    const L = this.flow.layout;
    const { K, M } = L;
    if (!inverseSqrtSymmetric(gram, polar, this.eigen)) {
      xNew.fill(NaN);
      return;
    }
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) xNew[L.q(k, l)] = k === l ? 1 : 0;
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let j = 0; j < K; j++) s += polar[k * K + j] * X[j * n + K + m];
        xNew[L.r(k, m)] = s;
      }
    }
  }
}
