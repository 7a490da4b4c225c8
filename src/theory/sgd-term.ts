import type { Activation } from './activations/activation.js';
import { erfSecondMoment } from './integrals/erf-sgd.js';
import { orthant4Fast } from './integrals/orthant.js';
import { reluI4WithOrthant } from './integrals/relu-i4.js';
import { reluSecondMoment } from './integrals/relu-sgd.js';
import { THETA_MOMENT_REGULARISATION } from './integrals/theta-moment.js';

/** 4×4 covariance of one index quadruple (k, l, α, β), reused across calls (no allocation per RHS). */
const C4 = new Float64Array(16);
/** Regularised copy of C4 for a fresh P4 (§1.1 "Regularisation", as the θ-moment recursion applies it). */
const C4reg = new Float64Array(16);
/**
 * P4 of each 4-subset of fields, indexed by the combinatorial rank of its sorted indices; NaN = not yet
 * computed in this call. Grown when n grows.
 */
let orthantCache = new Float64Array(0);

/** Combinatorial-number-system rank of a < b < c < d: a + C(b,2) + C(c,3) + C(d,4). */
function subsetRank(a: number, b: number, c: number, d: number): number {
  return a + (b * (b - 1)) / 2 + (c * (c - 1) * (c - 2)) / 6 + (d * (d - 1) * (d - 2) * (d - 3)) / 24;
}

/** Rank of the set {k, l, α, β} given k < l and α < β (all distinct): a merge network for two sorted pairs. */
function quadRank(k: number, l: number, alpha: number, beta: number): number {
  const lo = Math.min(k, alpha);
  const hi = Math.max(l, beta);
  const m1 = Math.max(k, alpha);
  const m2 = Math.min(l, beta);
  return subsetRank(lo, Math.min(m1, m2), Math.max(m1, m2), hi);
}

/** P4 of the fields in C4 (currently filled for k, l, α, β), from the cache or computed once per call. */
function cachedOrthant(k: number, l: number, alpha: number, beta: number): number {
  const rank = quadRank(k, l, alpha, beta);
  let p4 = orthantCache[rank];
  if (Number.isNaN(p4)) {
    C4reg.set(C4);
    for (let i = 0; i < 4; i++) C4reg[i * 5] *= 1 + THETA_MOMENT_REGULARISATION;
    p4 = orthant4Fast(C4reg);
    orthantCache[rank] = p4;
  }
  return p4;
}

/**
 * S_kl = Σ_{α,β} c_α c_β I4(k, l, α, β) = E[g′(λ_k) g′(λ_l) err²] for k, l < K (equations.md §4.2), written
 * to `out` (K×K row-major, symmetric). `omega` is the n×n field covariance Ω (n = K+M, §0) and `c` the
 * signed coefficients (a, −v).
 *
 * ReLU and erf have dedicated sums that share the work between quadruples (integrals/relu-sgd.ts,
 * integrals/erf-sgd.ts). Leaky ReLU (α > 0) and any other activation take the generic sum below.
 */
export function sgdSecondMoment(act: Activation, omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void {
  const reluType = act.name === 'relu' || act.name === 'leaky-relu';
  if (reluType && (act.alpha ?? 0) === 0) reluSecondMoment(omega, c, K, n, out);
  else if (act.name === 'erf') erfSecondMoment(omega, c, K, n, out);
  else genericSecondMoment(act, omega, c, K, n, out);
}

/**
 * The sum quadruple by quadruple through I4. I4(k,l,α,β) = I4(k,l,β,α) and S_kl = S_lk, so only k ≤ l and
 * α ≤ β are evaluated. Coincident indices (k = l, α = β, α ∈ {k, l}) go to I4 as they are: ReLU-type I4
 * merges identical fields (§1.4). For leaky ReLU every generic quadruple needs P4 (§1.3, §7.7); P4 is
 * symmetric in its four fields and one 4-field set occurs in up to six (k,l,α,β), so each set's P4 is
 * computed once per call (orthant4Fast: the star path where it is accurate, else the 48-node rule). The
 * remaining cost is the θ-moment recursion of the 16 leaky branches per quadruple.
 */
function genericSecondMoment(act: Activation, omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void {
  const reluType = act.name === 'relu' || act.name === 'leaky-relu';
  const slope = act.alpha ?? 0;
  if (reluType) {
    const size = subsetRank(0, 1, 2, n);
    if (orthantCache.length < size) orthantCache = new Float64Array(size);
    orthantCache.fill(Number.NaN, 0, size);
  }
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) {
      let s = 0;
      for (let alpha = 0; alpha < n; alpha++) {
        const ca = c[alpha];
        if (ca === 0) continue;
        for (let beta = alpha; beta < n; beta++) {
          const cb = c[beta];
          if (cb === 0) continue;
          const idx0 = k * n;
          const idx1 = l * n;
          const idx2 = alpha * n;
          const idx3 = beta * n;
          C4[0] = omega[idx0 + k];
          C4[1] = C4[4] = omega[idx0 + l];
          C4[2] = C4[8] = omega[idx0 + alpha];
          C4[3] = C4[12] = omega[idx0 + beta];
          C4[5] = omega[idx1 + l];
          C4[6] = C4[9] = omega[idx1 + alpha];
          C4[7] = C4[13] = omega[idx1 + beta];
          C4[10] = omega[idx2 + alpha];
          C4[11] = C4[14] = omega[idx2 + beta];
          C4[15] = omega[idx3 + beta];
          let i4: number;
          if (reluType) {
            const distinct = k !== l && alpha !== beta && alpha !== k && alpha !== l && beta !== k && beta !== l;
            i4 = reluI4WithOrthant(C4, slope, distinct ? cachedOrthant(k, l, alpha, beta) : Number.NaN);
          } else {
            i4 = act.I4(C4);
          }
          s += (alpha === beta ? ca * ca : 2 * ca * cb) * i4;
        }
      }
      out[k * K + l] = s;
      out[l * K + k] = s;
    }
  }
}
