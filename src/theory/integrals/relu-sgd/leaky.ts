import { thetaMoment } from '../theta-moment.js';
import { genericEntry } from './generic-recursion.js';
import { CONDITION_FLOOR, INV_FOUR_PI, INV_TWO_PI, condThetaRelu, det3, workspace } from './workspace.js';

/*
 * Leaky ReLU, g = a·x + b·relu(x), g′ = a + b·θ (a = slope, b = 1 − a; docs/theory.md §1.3). Expanding the
 * sixteen branches of every I4 and summing over (α, β) first, with L = Σ_γ c_γ h_γ (one Gaussian
 * variable) and E = Σ_γ c_γ relu(h_γ):
 *
 *   S_kl = E[(a + bθ_k)(a + bθ_l)(aL + bE)²] = a²T(∅) + ab(T(k) + T(l)) + b²T(kl)   (k ≠ l),
 *   S_kk = a²T(∅) + (2ab + b²)T(k),     T(Θ) = a² E[Θ L²] + 2ab E[Θ L E] + b² E[Θ E²].
 *
 * E[θ_k θ_l E²] and E[θ_k E²] are the ReLU S_kl and S_kk (acc, computed first); the others are elementary,
 * by Stein on L with v_j = Cov(L, h_j) = Σ_γ c_γ C_γj, V = Var L:
 *   E[L²] = V,  E[θ_k L²] = V/2,  E[θ_k θ_l L²] = V P2_kl + p_kl(0,0)[v_k(v_l − v_k C_kl/C_kk) + v_l(v_k − v_l C_kl/C_ll)],
 *   E[L E] = Σ_γ c_γ v_γ/2,  E[θ_k L E] = Σ_γ c_γ [v_k √det_kγ/(2π C_kk) + v_γ P2_kγ],
 *   E[θ_k θ_l L E] = Σ_γ c_γ [v_k φ_k B_k(l,γ) + v_l φ_l B_l(k,γ) + v_γ P3(k,l,γ)],
 *   E[E²] = Σ_{α,β} c_α c_β E[relu_α relu_β].
 * The coincident terms (γ ∈ {k, l}) are the same formulas with G_a(a,·) = 0, asin r_aa = π/2, det_aa = 0,
 * which is what merging identical fields (§1.4) gives; L carries the regularised variances, as every
 * merged field of the per-quadruple sum does (§1.1). An entry whose pairs (k,γ), (l,γ) or triples
 * (k,l,γ) fall below CONDITION_FLOOR, or that meets a special field, is summed quadruple by quadruple
 * through reluI4 as before (genericEntry).
 */

/** v_j = Cov(L, h_j) on the regularised covariance, and E[θ_k L E] per student. */
let covL = new Float64Array(0);
let thetaLE = new Float64Array(0);
/** 1: row k of S takes genericEntry (leakyRowsGeneric). */
let rowGeneric = new Uint8Array(0);
/** θ flags and powers of E[relu_α relu_β] for thetaMoment, and its 2×2 covariance. */
const PAIR_THETAS = Int32Array.of(1, 1);
const PAIR_POWERS = Int32Array.of(1, 1);
const C2 = new Float64Array(4);

/**
 * Fill rowGeneric (1: student k is special or meets a pair (k, γ), c_γ ≠ 0, below CONDITION_FLOOR) and
 * report whether every row is generic, including when a special field sits inside L or E (c_γ ≠ 0): the
 * per-quadruple sum merges it with its duplicate, the decomposition would not.
 */
export function leakyRowsGeneric(c: Float64Array, K: number, n: number): boolean {
  const { rho, special } = workspace;
  if (rowGeneric.length < n) rowGeneric = new Uint8Array(n);
  let all = true;
  let specialInSums = false;
  for (let g = 0; g < n; g++) if (special[g] !== 0 && c[g] !== 0) specialInSums = true;
  for (let k = 0; k < K; k++) {
    let generic = specialInSums || special[k] !== 0;
    for (let g = 0; g < n && !generic; g++) {
      const r = rho[k * n + g];
      if (g !== k && c[g] !== 0 && !(1 - r * r >= CONDITION_FLOOR)) generic = true;
    }
    rowGeneric[k] = generic ? 1 : 0;
    all &&= generic;
  }
  return all;
}

/** Turn the ReLU sums in acc into the leaky S (header above); rowGeneric is set by leakyRowsGeneric. */
export function leakyCombination(slope: number, omega: Float64Array, c: Float64Array, K: number, n: number): void {
  const { Cr, rho, asinRho, sqrtDet, density, phi, invVar, G, acc } = workspace;
  if (covL.length < n) {
    covL = new Float64Array(n);
    thetaLE = new Float64Array(n);
  }
  const a = slope;
  const b = 1 - slope;
  let V = 0;
  let LE = 0;
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let g = 0; g < n; g++) if (c[g] !== 0) v += c[g] * Cr[g * n + j];
    covL[j] = v;
    V += c[j] * v;
    LE += 0.5 * c[j] * v;
  }
  // E[E²]: α = β gives E[relu²] = C_αα/2; a pair below the floor takes the recursion, as its I4 terms did.
  let EE = 0;
  for (let al = 0; al < n; al++) {
    const ca = c[al];
    if (ca === 0) continue;
    EE += ca * ca * 0.5 * Cr[al * n + al];
    for (let be = al + 1; be < n; be++) {
      const cb = c[be];
      if (cb === 0) continue;
      const r = rho[al * n + be];
      let i2: number;
      if (1 - r * r >= CONDITION_FLOOR) {
        i2 = Cr[al * n + be] * (0.25 + asinRho[al * n + be] * INV_TWO_PI) + sqrtDet[al * n + be] * INV_TWO_PI;
      } else {
        C2[0] = omega[al * n + al];
        C2[1] = C2[2] = omega[al * n + be];
        C2[3] = omega[be * n + be];
        i2 = thetaMoment(C2, 2, PAIR_THETAS, PAIR_POWERS);
      }
      EE += 2 * ca * cb * i2;
    }
  }
  for (let k = 0; k < K; k++) {
    if (rowGeneric[k] !== 0) continue;
    let w = 0;
    const vk = covL[k];
    for (let g = 0; g < n; g++) {
      const cg = c[g];
      if (cg === 0) continue;
      w += cg * (vk * sqrtDet[k * n + g] * invVar[k] * INV_TWO_PI + covL[g] * (0.25 + asinRho[k * n + g] * INV_TWO_PI));
    }
    thetaLE[k] = w;
  }
  const a2 = a * a;
  const ab2 = 2 * a * b;
  const b2 = b * b;
  const tEmpty = a2 * V + ab2 * LE + b2 * EE;
  for (let k = 0; k < K; k++) {
    if (rowGeneric[k] !== 0) continue;
    // T(k), reading E[θ_k E²] = acc_kk before the last loop below replaces acc_kk by S_kk.
    thetaLE[k] = a2 * 0.5 * V + ab2 * thetaLE[k] + b2 * acc[k * K + k];
  }
  for (let k = 0; k < K; k++) {
    for (let l = k + 1; l < K; l++) {
      const r = rho[k * n + l];
      if (rowGeneric[k] !== 0 || rowGeneric[l] !== 0 || !(1 - r * r >= CONDITION_FLOOR)) {
        acc[k * K + l] = genericEntry(slope, omega, c, n, k, l);
        continue;
      }
      const vk = covL[k];
      const vl = covL[l];
      const ckl = Cr[k * n + l];
      const p2 = 0.25 + asinRho[k * n + l] * INV_TWO_PI;
      const thetaThetaLL =
        V * p2 + density[k * n + l] * (vk * (vl - vk * ckl * invVar[k]) + vl * (vk - vl * ckl * invVar[l]));
      let thetaThetaLE = 0;
      let ok = true;
      for (let g = 0; g < n; g++) {
        const cg = c[g];
        if (cg === 0) continue;
        if (g !== k && g !== l && !(det3(rho, k, l, g, n) >= CONDITION_FLOOR)) {
          ok = false;
          break;
        }
        const p3 = 0.125 + (asinRho[k * n + l] + asinRho[k * n + g] + asinRho[l * n + g]) * INV_FOUR_PI;
        thetaThetaLE +=
          cg * (vk * phi[k] * condThetaRelu(G, k, l, g, n) + vl * phi[l] * condThetaRelu(G, l, k, g, n) + covL[g] * p3);
      }
      if (!ok) {
        acc[k * K + l] = genericEntry(slope, omega, c, n, k, l);
        continue;
      }
      const tkl = a2 * thetaThetaLL + ab2 * thetaThetaLE + b2 * acc[k * K + l];
      acc[k * K + l] = a2 * tEmpty + a * b * (thetaLE[k] + thetaLE[l]) + b2 * tkl;
    }
  }
  for (let k = 0; k < K; k++) {
    acc[k * K + k] =
      rowGeneric[k] !== 0 ? genericEntry(slope, omega, c, n, k, k) : a2 * tEmpty + (ab2 + b2) * thetaLE[k];
  }
}
