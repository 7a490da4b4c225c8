import type { Activation } from './activations/activation.js';
import { principalSubmatrix } from './linalg/submatrix.js';

/** 4×4 covariance of one index quadruple (k, l, α, β), reused across calls (no allocation per RHS). */
const C4 = new Float64Array(16);
const QUADRUPLE = new Int32Array(4);

/**
 * S_kl = Σ_{α,β} c_α c_β I4(k, l, α, β) = E[g′(λ_k) g′(λ_l) err²] for k, l < K (docs/theory.md §4.2), written
 * to `out` (K×K row-major, symmetric). `omega` is the n×n field covariance Ω (n = K+M, §0) and `c` the
 * signed coefficients (a, −v).
 *
 * Activations with a sum that shares work between index quadruples provide it (ReLU and leaky ReLU by
 * field sets with closed-form Stein terms and a star-path P4, integrals/relu-sgd/; erf with the
 * (k, l)-only factors hoisted, integrals/erf-sgd.ts). Any other activation gets the plain sum of its I4
 * over the quadruples, using I4(k,l,α,β) = I4(k,l,β,α) and S_kl = S_lk (coincident indices included, §1.4).
 */
export function sgdSecondMoment(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  if (act.sgdSecondMoment) act.sgdSecondMoment(omega, c, K, n, out);
  else quadrupleSecondMoment(act, omega, c, K, n, out);
}

/**
 * S by its definition: every (k ≤ l, α ≤ β) quadruple through act.I4 with its own 4×4 covariance — the
 * sum for activations without a shared-work form, and the reference of the SGD benchmark (bench/ode-sgd.ts).
 */
export function quadrupleSecondMoment(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) {
      let s = 0;
      for (let alpha = 0; alpha < n; alpha++) {
        if (c[alpha] === 0) continue;
        for (let beta = alpha; beta < n; beta++) {
          if (c[beta] === 0) continue;
          QUADRUPLE[0] = k;
          QUADRUPLE[1] = l;
          QUADRUPLE[2] = alpha;
          QUADRUPLE[3] = beta;
          s += (alpha === beta ? 1 : 2) * c[alpha] * c[beta] * act.I4(principalSubmatrix(omega, n, QUADRUPLE, C4));
        }
      }
      out[k * K + l] = s;
      out[l * K + k] = s;
    }
  }
}
