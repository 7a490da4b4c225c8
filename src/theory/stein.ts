import { type Activation, VARIANCE_FLOOR } from './activations/activation.js';
import type { StudentConstraint } from './init.js';
import { rowDotBlock } from './linalg/row-dot-block.js';

/**
 * Stein coefficients S (K×n, row-major) of the population gradient, for every activation:
 *
 *   S_kγ = c_γ J2(k,γ) + δ_kγ e_k,   e_k = Σ_β c_β D2(k,β),
 *
 * so that b = S Ω (b_kγ = E[err g′(λ_k) h_γ], docs/theory.md §4) and the weight-space gradient is
 * ∇_{w_k}L = (a_k/d) Σ_γ S_kγ u_γ (§5, "ReLU Stein form", here for any g: it needs no Ω⁻¹ and is valid
 * for singular Ω, e.g. d = K, §7.6). For ReLU, J2 = P_kγ and D2 = s_kγ/(2π Ω_kk): this is the §4 fast
 * form with O(Kn) transcendental calls and one K×n×n product. ReLU and leaky ReLU take a specialised
 * kernel (integrals/relu-stein.ts) through Activation.steinCoefficients; other activations go through the
 * Activation's J2 and D2.
 */
export function steinCoefficients(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  if (act.steinCoefficients) {
    act.steinCoefficients(omega, c, K, n, out);
    return;
  }
  for (let k = 0; k < K; k++) {
    const ckk = omega[k * n + k];
    let e = 0;
    for (let b = 0; b < n; b++) {
      const ckb = omega[k * n + b];
      const cbb = omega[b * n + b];
      e += c[b] * act.D2(ckk, ckb, cbb);
      out[k * n + b] = c[b] * act.J2(ckk, ckb, cbb);
    }
    out[k * n + k] += e;
  }
}

/**
 * out (K×n) = S (K×n) · Ω (n×n): b_kγ = E[err g′(λ_k) h_γ] (docs/theory.md §4). Ω is symmetric, so
 * b_kγ = Σ_β S_kβ Ω_γβ is a dot product of two contiguous rows (linalg/row-dot-block.ts). This K·n²
 * product is the arithmetic floor of the fast form. With `teacherIdentity` (T = I, the orthonormal
 * teachers of every random initialisation, §4 "Orthonormal teachers", §15) the teacher block is not multiplied: for a teacher
 * column γ = K + m, Σ_{β ≥ K} S_kβ T_mβ = S_kγ, which removes K·M² of the K·n² multiply-adds (a quarter
 * at K = M).
 */
export function driftFromStein(
  S: Float64Array,
  omega: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
  teacherIdentity = false,
): void {
  if (!teacherIdentity) {
    rowDotBlock(S, omega, K, n, 0, n, n, false, out);
    return;
  }
  rowDotBlock(S, omega, K, n, 0, K, n, false, out);
  rowDotBlock(S, omega, K, n, K, n, K, true, out);
}

/**
 * Coefficients H (K×n) of the tangent projection of an update direction G U (G: K×n coefficients in the
 * u-basis of §5, U = [W; W*]) onto the constraint's tangent space at W:
 * - none: H = G;
 * - sphere (§4.4): (I − w_k w_kᵀ/|w_k|²) per row, H_k = G_k − ((GΩ)_kk/Ω_kk) e_k;
 * - Stiefel (§4.5): X − sym(X Wᵀ/d) W with X = GU, H = G − [sym(G Ω_{:,0:K}), 0].
 * `work` (K×K) is scratch; it ends holding (GΩ)_{:,0:K} unless constraint = none. Allocates nothing.
 */
export function tangentCoefficients(
  constraint: StudentConstraint,
  G: Float64Array,
  omega: Float64Array,
  K: number,
  n: number,
  work: Float64Array,
  H: Float64Array,
): void {
  H.set(G);
  if (constraint === 'none') return;
  const GW = work;
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < K; l++) {
      let s = 0;
      for (let g = 0; g < n; g++) s += G[k * n + g] * omega[g * n + l];
      GW[k * K + l] = s;
    }
  }
  if (constraint === 'sphere') {
    for (let k = 0; k < K; k++) H[k * n + k] -= GW[k * K + k] / Math.max(omega[k * n + k], VARIANCE_FLOOR);
    return;
  }
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < K; l++) H[k * n + l] -= 0.5 * (GW[k * K + l] + GW[l * K + k]);
  }
}

/**
 * Reference b_kγ = Σ_β c_β I3(k,γ,β) by the naive triple loop over I3 (docs/theory.md §4.1): O(K n²)
 * transcendental calls. Kept for the benchmark ratio and as the test oracle of the fast form.
 */
export function driftNaive(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  for (let k = 0; k < K; k++) {
    const ckk = omega[k * n + k];
    for (let g = 0; g < n; g++) {
      let sum = 0;
      for (let b = 0; b < n; b++) {
        sum += c[b] * act.I3(ckk, omega[k * n + g], omega[k * n + b], omega[g * n + b], omega[b * n + b]);
      }
      out[k * n + g] = sum;
    }
  }
}
