import type { Activation } from './activations/activation.js';

/**
 * Stein coefficients S (K×n, row-major) of the population gradient, for every activation:
 *
 *   S_kγ = c_γ J2(k,γ) + δ_kγ e_k,   e_k = Σ_β c_β D2(k,β),
 *
 * so that b = S Ω (b_kγ = E[err g′(λ_k) h_γ], equations.md §4) and the weight-space gradient is
 * ∇_{w_k}L = (a_k/d) Σ_γ S_kγ u_γ (§5, "ReLU Stein form", here for any g: it needs no Ω⁻¹ and is valid
 * for singular Ω, e.g. d = K, §7.6). For ReLU, J2 = P_kγ and D2 = s_kγ/(2π Ω_kk): this is the §4 fast
 * form with O(Kn) transcendental calls and one K×n×n product.
 */
export function steinCoefficients(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
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

/** out (K×n) = S (K×n) · Ω (n×n): b_kγ = E[err g′(λ_k) h_γ] (equations.md §4). */
export function driftFromStein(S: Float64Array, omega: Float64Array, K: number, n: number, out: Float64Array): void {
  out.fill(0, 0, K * n);
  for (let k = 0; k < K; k++) {
    for (let b = 0; b < n; b++) {
      const s = S[k * n + b];
      if (s === 0) continue;
      const row = b * n;
      const o = k * n;
      for (let g = 0; g < n; g++) out[o + g] += s * omega[row + g];
    }
  }
}

/**
 * Reference b_kγ = Σ_β c_β I3(k,γ,β) by the naive triple loop over I3 (equations.md §4.1): O(K n²)
 * transcendental calls. Kept for the benchmark ratio and as the test oracle of the fast form.
 */
export function driftNaive(act: Activation, omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void {
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
