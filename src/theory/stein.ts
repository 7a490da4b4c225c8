import { type Activation, VARIANCE_FLOOR } from './activations/activation.js';
import type { StudentConstraint } from './init.js';

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
 * b_kγ = Σ_β S_kβ Ω_γβ is a dot product of two contiguous rows; computing a 2×2 block of outputs per
 * pass reuses every loaded entry twice and keeps the sums in registers (~3× faster than the axpy form
 * at K = M = 17). This K·n² product is the arithmetic floor of the fast form.
 */
export function driftFromStein(S: Float64Array, omega: Float64Array, K: number, n: number, out: Float64Array): void {
  let k = 0;
  for (; k + 1 < K; k += 2) {
    const sa = k * n;
    const sb = sa + n;
    let g = 0;
    for (; g + 1 < n; g += 2) {
      const r0 = g * n;
      const r1 = r0 + n;
      let a0 = 0;
      let a1 = 0;
      let b0 = 0;
      let b1 = 0;
      for (let b = 0; b < n; b++) {
        const x = S[sa + b];
        const y = S[sb + b];
        const o0 = omega[r0 + b];
        const o1 = omega[r1 + b];
        a0 += x * o0;
        a1 += x * o1;
        b0 += y * o0;
        b1 += y * o1;
      }
      out[sa + g] = a0;
      out[sa + g + 1] = a1;
      out[sb + g] = b0;
      out[sb + g + 1] = b1;
    }
    for (; g < n; g++) {
      const r0 = g * n;
      let a0 = 0;
      let b0 = 0;
      for (let b = 0; b < n; b++) {
        a0 += S[sa + b] * omega[r0 + b];
        b0 += S[sb + b] * omega[r0 + b];
      }
      out[sa + g] = a0;
      out[sb + g] = b0;
    }
  }
  for (; k < K; k++) {
    const sa = k * n;
    for (let g = 0; g < n; g++) {
      const r0 = g * n;
      let a0 = 0;
      for (let b = 0; b < n; b++) a0 += S[sa + b] * omega[r0 + b];
      out[sa + g] = a0;
    }
  }
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
