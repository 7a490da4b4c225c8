import { addFourFieldSets } from './four-field-sets.js';
import { genericEntry, recursionI4 } from './generic-recursion.js';
import { leakyCombination, leakyRowsGeneric } from './leaky.js';
import {
  CONDITION_FLOOR,
  INV_FOUR_PI,
  INV_TWO_PI,
  condThetaRelu,
  det3,
  growWorkspace,
  prepareTables,
  workspace,
} from './workspace.js';

/*
 * S_kl = Σ_{α,β} c_α c_β E[θ(λ_k) θ(λ_l) relu(h_α) relu(h_β)] for ReLU (docs/theory.md §4.2), organised by
 * field sets instead of index quadruples so that work shared between quadruples is done once.
 *
 * Four distinct fields (u, v | w, z) = (k, l | α, β). Two Stein steps (§1.1; Tallis' second moment of a
 * truncated normal) give, with every quantity taken from the regularised covariance C,
 *
 *   I4 = C_wz P4 + Σ_{pairs {a,b} of the four} coef_ab · D_ab,
 *   coef_ab = C_wa G_a(z,b) + C_wb G_b(z,a),   G_a(x,y) = C_xy − C_xa C_ay / C_aa   (G_a(a,·) = 0),
 *   D_ab = p_ab(0,0) · P2(ρ_{cd·ab}),           p_ab(0,0) = 1/(2π √(C_aa C_bb − C_ab²)),
 *
 * where {c,d} is the complementary pair and ρ_{cd·ab} the partial correlation of (c,d) given (a,b). This
 * is the §1.1 formula "I4 = Σ_j C_wj φ_j J3(S^(j); ·) + C_wz P4" with J3 expanded and its terms grouped by
 * the pair of conditioned fields. P4 and the six D_ab depend only on the 4-field set, which occurs in up to
 * six role assignments (any two of its students as (k,l)); G is a 3-field table and p_ab a 2-field table.
 * For four fields "given the other two" is "given all the rest", so ρ_{cd·ab} = −adj_cd/√(adj_cc adj_dd)
 * from the adjugate of the set's correlation matrix. P4 itself comes from the star-path quadrature of
 * orthant.ts (its node count set by the a-priori error bound there), and is only needed when some role
 * has C_wz ≠ 0: with orthonormal teachers (T = I) the sets of two students and two teachers never need it.
 *
 * Coincident indices (§1.4) are the 2- and 3-field patterns, in closed form with the same tables:
 *   E[relu_u relu_w] = C_uw P2_uw + √det_uw/(2π)                                   (§1.1 I2)
 *   E[θ_u relu_w²]   = C_wu √det_uw/(2π C_uu) + C_ww P2_uw                          (§1.4, I3_relu(u,w,w))
 *   E[θ_u relu_v relu_w] = C_vu φ_u B_u(v,w) + C_vv φ_v B_v(u,w) + C_vw P3(u,v,w)   (Stein on v)
 *   E[θ_u θ_v relu_w²]   = C_wu φ_u B_u(v,w) + C_wv φ_v B_v(u,w) + C_ww P3(u,v,w)   (Stein on one w)
 * with φ_u = 1/√(2π C_uu), B_a(x,y) = E[θ_x relu_y | x_a = 0] = (G_a(y,x)/√G_a(x,x) + √G_a(y,y))/(2√(2π))
 * and P3 Sheppard's formula. E[relu_u²] = C_uu/2.
 *
 * Agreement with the generic θ-moment recursion (relu-i4.ts): the same formulas in exact arithmetic, on
 * the same §1.1-regularised covariance. Round-off differs, by about ε/λ_min of the fields involved, so
 * field sets whose correlation determinant is below CONDITION_FLOOR (near-parallel or near-antiparallel
 * fields, rank-deficient Ω), and any set holding literally identical fields (which §1.4 merges) or a
 * zero-variance field (§7.2), are evaluated by that recursion quadruple by quadruple, exactly as before.
 */

/**
 * S (K×K, row-major, symmetric) for ReLU (slope 0) or leaky ReLU (slope α, §1.3): the same value as
 * Σ_{α≤β} (2 − δ_αβ) c_α c_β I4(k,l,α,β) over k ≤ l with reluI4 (relu-i4.ts) per quadruple and the 4-set
 * P4 shared, which is what sgd-term.ts computed before; see the header above (and leaky.ts) for the organisation. `omega` is
 * Ω (n×n), `c` the signed coefficients.
 */
export function reluSecondMoment(
  slope: number,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  growWorkspace(n, K);
  prepareTables(omega, n);
  const { Cr, rho, asinRho, sqrtDet, phi, invVar, G, special, acc } = workspace;
  acc.fill(0, 0, K * K);
  if (slope !== 0 && leakyRowsGeneric(c, K, n)) {
    // Every entry takes the per-quadruple sum (e.g. students converged onto teachers): skip the ReLU part.
    for (let k = 0; k < K; k++) for (let l = k; l < K; l++) acc[k * K + l] = genericEntry(slope, omega, c, n, k, l);
    writeSymmetric(K, out);
    return;
  }

  addFourFieldSets(omega, c, K, n);

  for (let k = 0; k < K; k++) {
    const ck = c[k];
    for (let l = k + 1; l < K; l++) {
      const cl = c[l];
      // Three fields (k, l, α): α = β (θ_k θ_l relu_α²) and one relu slot on k or l (θ_l relu_k relu_α,
      // θ_k relu_l relu_α). Old quadruple order: (k, l, α, α), (k, l, min(k,α), max(k,α)), likewise for l.
      for (let a = 0; a < n; a++) {
        if (a === k || a === l) continue;
        const ca = c[a];
        if (ca === 0) continue;
        if ((special[k] | special[l] | special[a]) === 0 && det3(rho, k, l, a, n) >= CONDITION_FLOOR) {
          const Bk = condThetaRelu(G, k, l, a, n); // E[θ_l relu_α | x_k = 0]
          const Bl = condThetaRelu(G, l, k, a, n); // E[θ_k relu_α | x_l = 0]
          const p3 = 0.125 + (asinRho[k * n + l] + asinRho[k * n + a] + asinRho[l * n + a]) * INV_FOUR_PI;
          const tk = phi[k] * Bk;
          const tl = phi[l] * Bl;
          const cka = Cr[k * n + a];
          const cla = Cr[l * n + a];
          const ckl = Cr[k * n + l];
          let s = ca * (cka * tk + cla * tl + Cr[a * n + a] * p3); // θ_k θ_l relu_α²
          if (ck !== 0) s += 2 * ck * (ckl * tl + Cr[k * n + k] * tk + cka * p3); // θ_l relu_k relu_α
          if (cl !== 0) s += 2 * cl * (ckl * tk + Cr[l * n + l] * tl + cla * p3); // θ_k relu_l relu_α
          acc[k * K + l] += ca * s;
        } else {
          let s = ca * recursionI4(omega, n, k, l, a, a, Number.NaN);
          if (ck !== 0) s += 2 * ck * recursionI4(omega, n, k, l, Math.min(k, a), Math.max(k, a), Number.NaN);
          if (cl !== 0) s += 2 * cl * recursionI4(omega, n, k, l, Math.min(l, a), Math.max(l, a), Number.NaN);
          acc[k * K + l] += ca * s;
        }
      }
      // Two fields: (k, l, k, k) θ_l relu_k², (k, l, l, l) θ_k relu_l², (k, l, k, l) relu_k relu_l.
      if ((special[k] | special[l]) === 0 && 1 - rho[k * n + l] * rho[k * n + l] >= CONDITION_FLOOR) {
        const ckl = Cr[k * n + l];
        const p2 = 0.25 + asinRho[k * n + l] * INV_TWO_PI;
        const sd = sqrtDet[k * n + l];
        let s = 0;
        if (ck !== 0) s += ck * ck * (ckl * sd * INV_TWO_PI * invVar[l] + Cr[k * n + k] * p2);
        if (cl !== 0) s += cl * cl * (ckl * sd * INV_TWO_PI * invVar[k] + Cr[l * n + l] * p2);
        if (ck !== 0 && cl !== 0) s += 2 * ck * cl * (ckl * p2 + sd * INV_TWO_PI);
        acc[k * K + l] += s;
      } else {
        let s = 0;
        if (ck !== 0) s += ck * ck * recursionI4(omega, n, k, l, k, k, Number.NaN);
        if (cl !== 0) s += cl * cl * recursionI4(omega, n, k, l, l, l, Number.NaN);
        if (ck !== 0 && cl !== 0) s += 2 * ck * cl * recursionI4(omega, n, k, l, k, l, Number.NaN);
        acc[k * K + l] += s;
      }
    }

    // k = l. Three fields (k | α, β), α < β: θ_k relu_α relu_β, Stein on α.
    let s = 0;
    for (let a = 0; a < n; a++) {
      if (a === k) continue;
      const ca = c[a];
      if (ca === 0) continue;
      let sa = 0;
      for (let b = a + 1; b < n; b++) {
        if (b === k) continue;
        const cb = c[b];
        if (cb === 0) continue;
        if ((special[k] | special[a] | special[b]) === 0 && det3(rho, k, a, b, n) >= CONDITION_FLOOR) {
          const p3 = 0.125 + (asinRho[k * n + a] + asinRho[k * n + b] + asinRho[a * n + b]) * INV_FOUR_PI;
          sa +=
            cb *
            (Cr[a * n + k] * phi[k] * condThetaRelu(G, k, a, b, n) +
              Cr[a * n + a] * phi[a] * condThetaRelu(G, a, k, b, n) +
              Cr[a * n + b] * p3);
        } else {
          sa += cb * recursionI4(omega, n, k, k, a, b, Number.NaN);
        }
      }
      s += 2 * ca * sa;
      // Two fields (k | α): θ_k relu_α² (k, k, α, α) and relu_k relu_α (k, k, min, max).
      if ((special[k] | special[a]) === 0 && 1 - rho[k * n + a] * rho[k * n + a] >= CONDITION_FLOOR) {
        const cka = Cr[k * n + a];
        const p2 = 0.25 + asinRho[k * n + a] * INV_TWO_PI;
        const sd = sqrtDet[k * n + a];
        s += ca * ca * (cka * sd * INV_TWO_PI * invVar[k] + Cr[a * n + a] * p2);
        if (ck !== 0) s += 2 * ck * ca * (cka * p2 + sd * INV_TWO_PI);
      } else {
        s += ca * ca * recursionI4(omega, n, k, k, a, a, Number.NaN);
        if (ck !== 0) s += 2 * ck * ca * recursionI4(omega, n, k, k, Math.min(k, a), Math.max(k, a), Number.NaN);
      }
    }
    // One field: E[relu_k²] = C_kk/2 (regularised, as the recursion evaluates it).
    if (ck !== 0)
      s += ck * ck * (special[k] === 0 ? 0.5 * Cr[k * n + k] : recursionI4(omega, n, k, k, k, k, Number.NaN));
    acc[k * K + k] += s;
  }

  if (slope !== 0) leakyCombination(slope, omega, c, K, n);
  writeSymmetric(K, out);
}

/** out = acc (upper triangle) mirrored. */
function writeSymmetric(K: number, out: Float64Array): void {
  const { acc } = workspace;
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) {
      out[k * K + l] = acc[k * K + l];
      out[l * K + k] = acc[k * K + l];
    }
  }
}
