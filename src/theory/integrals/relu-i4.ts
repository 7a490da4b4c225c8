import { thetaMoment } from './theta-moment.js';

/**
 * I4 = E[g′(u) g′(v) g(w) g(z)] for leaky ReLU g(x) = αx + (1−α) relu(x) (α = 0: ReLU), docs/theory.md
 * §1.1, §1.3, §1.4. Scratch buffers are module-level so the SGD sum (§4.2) does not allocate.
 */

/** Slot (u, v, w, z) → index of its unique field. */
const fieldOf = new Int32Array(4);
/** Unique field → first slot holding it. */
const firstSlot = new Int32Array(4);
/** Covariance of the unique fields, row-major m×m. */
const U = new Float64Array(16);
const tU = new Uint8Array(4);
const pU = new Int32Array(4);
/** Summed coefficient of each θ pattern (bit f set: unique field f carries θ). */
const coefByMask = new Float64Array(16);

/**
 * `C` is the row-major 4×4 covariance of (u, v, w, z); `alpha` is the leaky slope (0 for ReLU).
 *
 * Literally identical fields (C_ii = C_jj = C_ij exactly, i.e. x_i = x_j almost surely) are merged first
 * (§1.4): the 4×4 covariance is then singular, and θ·θ = θ, θ·x = relu, relu·relu = x²θ keep it exact.
 * Numerically close but distinct fields are not merged; the θ-moment regularisation covers them (§1.1).
 *
 * Each slot factor has two branches (§1.3): g′ = α·1 + (1−α)·θ and g(x) = α·x + (1−α)·θ(x)x. Either
 * branch of a g slot contributes one power of x, so only the θ flags differ between the 16 products; the
 * coefficients are summed per θ pattern of the unique fields and each pattern is one θ-moment (§1.1).
 * For α = 0 only the all-θ pattern survives.
 */
export function reluI4(C: Float64Array, alpha: number): number {
  return reluI4WithOrthant(C, alpha, Number.NaN);
}

/**
 * reluI4 with the orthant probability P4 = P(u, v, w, z > 0) of the regularised C (§1.1) supplied by the
 * caller, or NaN to compute it. It is only used when the four fields are distinct; the SGD sum (§4.2)
 * shares one P4 between all orderings of a 4-field set (§7.7).
 */
export function reluI4WithOrthant(C: Float64Array, alpha: number, p4: number): number {
  let m = 0;
  for (let s = 0; s < 4; s++) {
    const css = C[s * 5];
    let f = -1;
    for (let g = 0; g < m; g++) {
      const r = firstSlot[g];
      if (C[r * 5] === css && C[s * 4 + r] === css) {
        f = g;
        break;
      }
    }
    if (f < 0) {
      f = m++;
      firstSlot[f] = s;
    }
    fieldOf[s] = f;
  }
  for (let a = 0; a < m; a++) {
    pU[a] = 0;
    for (let b = 0; b < m; b++) U[a * m + b] = C[firstSlot[a] * 4 + firstSlot[b]];
  }
  // Slots 2 and 3 (w, z) are the g slots: one power of their field each.
  pU[fieldOf[2]]++;
  pU[fieldOf[3]]++;

  coefByMask.fill(0);
  if (alpha === 0) {
    // ReLU, the common case: only the all-θ branch has a nonzero coefficient.
    coefByMask[(1 << m) - 1] = 1;
  } else {
    const beta = 1 - alpha;
    for (let branch = 0; branch < 16; branch++) {
      let coef = 1;
      let mask = 0;
      for (let s = 0; s < 4; s++) {
        if ((branch >> s) & 1) {
          coef *= beta;
          mask |= 1 << fieldOf[s];
        } else {
          coef *= alpha;
        }
      }
      coefByMask[mask] += coef;
    }
  }

  let sum = 0;
  for (let mask = 0; mask < 1 << m; mask++) {
    const coef = coefByMask[mask];
    if (coef === 0) continue;
    for (let f = 0; f < m; f++) tU[f] = (mask >> f) & 1;
    sum += coef * thetaMoment(U, m, tU, pU, m === 4 ? p4 : Number.NaN);
  }
  return sum;
}
