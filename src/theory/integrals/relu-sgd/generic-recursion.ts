import { principalSubmatrix } from '../../linalg/submatrix.js';
import { orthant4 } from '../orthant.js';
import { reluI4WithOrthant } from '../relu-i4.js';
import { THETA_MOMENT_REGULARISATION } from '../theta-moment.js';
import { workspace } from './workspace.js';

/*
 * The generic per-quadruple path of the ReLU SGD second moment: I4 by the θ-moment recursion of
 * relu-i4.ts, exactly as the per-quadruple sum evaluated it, for the field sets the closed forms leave
 * out (ill-conditioned, literal duplicates, zero variances; see second-moment.ts).
 */

/** The 4×4 covariances of one quadruple (from Ω in slot order) and of a 4-set (regularised). */
const C4 = new Float64Array(16);
const C4reg = new Float64Array(16);
/** Field indices of one quadruple for the recursion paths below (no array literal per call). */
const quad = new Int32Array(4);
/** The same four indices sorted, when distinct (genericEntry's 4-set). */
const sortedQuad = new Int32Array(4);

/** I4(k, l, α, β) of the generic recursion, exactly as the per-quadruple sum evaluated it (C4 from Ω in slot order). */
export function recursionI4(
  omega: Float64Array,
  n: number,
  k: number,
  l: number,
  alpha: number,
  beta: number,
  p4: number,
): number {
  quad[0] = k;
  quad[1] = l;
  quad[2] = alpha;
  quad[3] = beta;
  return reluI4WithOrthant(principalSubmatrix(omega, n, quad, C4), 0, p4);
}

/** P4 of the sorted 4-set `fields` by orthant4 on its regularised covariance: the value the per-quadruple sum cached. */
export function recursionOrthant(omega: Float64Array, n: number, fields: Int32Array): number {
  principalSubmatrix(omega, n, fields, C4reg);
  for (let s = 0; s < 4; s++) C4reg[s * 5] *= 1 + THETA_MOMENT_REGULARISATION;
  return orthant4(C4reg);
}

/**
 * S_kl quadruple by quadruple through reluI4 (α ≤ β, in the order and with the P4 of the per-quadruple
 * sum: orthant4 of each index-distinct 4-set in increasing field order).
 */
export function genericEntry(
  slope: number,
  omega: Float64Array,
  c: Float64Array,
  n: number,
  k: number,
  l: number,
): number {
  const { p4Cache, p4Stamp, callStamp } = workspace;
  let s = 0;
  for (let al = 0; al < n; al++) {
    const ca = c[al];
    if (ca === 0) continue;
    for (let be = al; be < n; be++) {
      const cb = c[be];
      if (cb === 0) continue;
      let p4 = Number.NaN;
      if (k !== l && al !== be && al !== k && al !== l && be !== k && be !== l) {
        // Sort the four indices into sortedQuad (k < l and α < β: merge two sorted pairs).
        sortedQuad[0] = Math.min(k, al);
        sortedQuad[3] = Math.max(l, be);
        const m1 = Math.max(k, al);
        const m2 = Math.min(l, be);
        sortedQuad[1] = Math.min(m1, m2);
        sortedQuad[2] = Math.max(m1, m2);
        // One P4 per 4-set and call, shared by the entries it occurs in (combinatorial rank as the key).
        const rank =
          sortedQuad[0] +
          (sortedQuad[1] * (sortedQuad[1] - 1)) / 2 +
          (sortedQuad[2] * (sortedQuad[2] - 1) * (sortedQuad[2] - 2)) / 6 +
          (sortedQuad[3] * (sortedQuad[3] - 1) * (sortedQuad[3] - 2) * (sortedQuad[3] - 3)) / 24;
        if (p4Stamp[rank] === callStamp) {
          p4 = p4Cache[rank];
        } else {
          p4 = recursionOrthant(omega, n, sortedQuad);
          p4Cache[rank] = p4;
          p4Stamp[rank] = callStamp;
        }
      }
      quad[0] = k;
      quad[1] = l;
      quad[2] = al;
      quad[3] = be;
      for (let s1 = 0; s1 < 4; s1++) for (let t = 0; t < 4; t++) C4[s1 * 4 + t] = omega[quad[s1] * n + quad[t]];
      s += (al === be ? ca * ca : 2 * ca * cb) * reluI4WithOrthant(C4, slope, p4);
    }
  }
  return s;
}
