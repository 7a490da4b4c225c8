import type { Activation } from './activations/activation.js';
import { erfSecondMoment } from './integrals/erf-sgd.js';
import { reluSecondMoment } from './integrals/relu-sgd.js';

/**
 * S_kl = Σ_{α,β} c_α c_β I4(k, l, α, β) = E[g′(λ_k) g′(λ_l) err²] for k, l < K (equations.md §4.2), written
 * to `out` (K×K row-major, symmetric). `omega` is the n×n field covariance Ω (n = K+M, §0) and `c` the
 * signed coefficients (a, −v).
 *
 * Each activation family has a sum that shares the work between index quadruples: ReLU and leaky ReLU by
 * field sets with closed-form Stein terms and a star-path P4 (integrals/relu-sgd.ts), erf with everything
 * that depends on (k, l) alone hoisted out of the (α, β) sum (integrals/erf-sgd.ts). Both equal the sum
 * of Activation.I4 over the quadruples, including coincident indices (§1.4).
 */
export function sgdSecondMoment(act: Activation, omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void {
  switch (act.name) {
    case 'relu':
    case 'leaky-relu':
      reluSecondMoment(act.alpha ?? 0, omega, c, K, n, out);
      break;
    case 'erf':
      erfSecondMoment(omega, c, K, n, out);
      break;
  }
}
