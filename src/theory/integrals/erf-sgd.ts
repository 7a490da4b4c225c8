import { clipCorrelation } from '../activations/activation.js';

const FOUR_OVER_PI_SQUARED = 4 / (Math.PI * Math.PI);

/** Per-(k, l) vectors over the fields γ (p_γ, q_γ, 1/√Λ1(γ); see below), grown when n grows. */
let pg = new Float64Array(0);
let qg = new Float64Array(0);
let invSqrtL1 = new Float64Array(0);

/**
 * S_kl = Σ_{α,β} c_α c_β I4(k, l, α, β) for erf (docs/theory.md §4.2) with the §1.2 closed form
 * I4 = (4/π²) asin(Λ0/√(Λ1Λ2))/√Λ4 (variables 1..4 = k, l, α, β), written to `out` (K×K, symmetric).
 *
 * Only the last two variables vary inside the (α, β) sum, so everything that depends on (k, l) alone is
 * hoisted: Λ4 = (1+C_kk)(1+C_ll) − C_kl², and with p_γ = (1+C_ll) C_kγ − C_kl C_lγ, q_γ = (1+C_kk) C_lγ −
 * C_kl C_kγ the two other Λ are
 *   Λ1(α) = Λ4 (1 + C_αα) − (C_kα p_α + C_lα q_α)        (Λ2 is Λ1 at β),
 *   Λ0(α, β) = Λ4 C_αβ − (C_kα p_β + C_lα q_β),
 * so one (α, β) term costs three multiply-adds and an asin. Λ1 > 0 for coincident indices too (§1.2), so
 * no case needs special handling. I4(k,l,α,β) = I4(k,l,β,α) and S_kl = S_lk: α ≤ β and k ≤ l only.
 */
export function erfSecondMoment(omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void {
  if (pg.length < n) {
    pg = new Float64Array(n);
    qg = new Float64Array(n);
    invSqrtL1 = new Float64Array(n);
  }
  for (let k = 0; k < K; k++) {
    const rowK = k * n;
    const ckk1 = 1 + omega[rowK + k];
    for (let l = k; l < K; l++) {
      const rowL = l * n;
      const cll1 = 1 + omega[rowL + l];
      const ckl = omega[rowK + l];
      const lambda4 = ckk1 * cll1 - ckl * ckl;
      for (let g = 0; g < n; g++) {
        const ckg = omega[rowK + g];
        const clg = omega[rowL + g];
        const p = cll1 * ckg - ckl * clg;
        const q = ckk1 * clg - ckl * ckg;
        pg[g] = p;
        qg[g] = q;
        invSqrtL1[g] = 1 / Math.sqrt(lambda4 * (1 + omega[g * n + g]) - (ckg * p + clg * q));
      }
      let s = 0;
      for (let al = 0; al < n; al++) {
        const ca = c[al];
        if (ca === 0) continue;
        const cka = omega[rowK + al];
        const cla = omega[rowL + al];
        const ia = invSqrtL1[al];
        const rowA = al * n;
        // α = β: weight c_α²; α < β: 2 c_α c_β (the two orders).
        let sa =
          0.5 * ca * Math.asin(clipCorrelation((lambda4 * omega[rowA + al] - (cka * pg[al] + cla * qg[al])) * ia * ia));
        for (let be = al + 1; be < n; be++) {
          const cb = c[be];
          if (cb === 0) continue;
          sa +=
            cb *
            Math.asin(
              clipCorrelation((lambda4 * omega[rowA + be] - (cka * pg[be] + cla * qg[be])) * ia * invSqrtL1[be]),
            );
        }
        s += 2 * ca * sa;
      }
      const v = (FOUR_OVER_PI_SQUARED / Math.sqrt(lambda4)) * s;
      out[k * K + l] = v;
      out[l * K + k] = v;
    }
  }
}
