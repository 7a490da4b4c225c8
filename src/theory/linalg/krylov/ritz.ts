import { blockEigenvalue, blockSize, schurEigenvector } from './schur-blocks.js';
import { type RitzPair, type Which, spectralKey } from './types.js';

/**
 * Ritz values and vectors of a Krylov decomposition A V_k = V_k S + v_{k+1} btᵀ whose projected matrix S
 * is in real Schur form (row-major, leading dimension m): one Ritz value per diagonal block of S.
 */

/** A diagonal block of S: first column, size (1 or 2), eigenvalue re ± i·im (im ≥ 0), key by `which`. */
export interface SchurBlock {
  start: number;
  size: number;
  re: number;
  im: number;
  key: number;
  /** ‖A y − θ y‖ of the unit Ritz vector y; NaN until computed. */
  residual: number;
}

/** The diagonal blocks of the m×m Schur form S in column order (ev: scratch of length 2). */
export function schurBlocks(S: Float64Array, m: number, which: Which, ev: Float64Array): SchurBlock[] {
  const out: SchurBlock[] = [];
  for (let j = 0; j < m;) {
    const size = blockSize(S, m, m, j);
    blockEigenvalue(S, m, m, j, ev);
    out.push({
      start: j,
      size,
      re: ev[0],
      im: ev[1],
      key: spectralKey(which, ev[0], ev[1]),
      residual: Number.NaN,
    });
    j += size;
  }
  return out;
}

/**
 * Ritz pairs of the given blocks (all within the first p columns of S, leading dimension ld) from the
 * basis V (column i at i·n), best first by `which`; converged when the residual is ≤ threshold. yr, yi:
 * scratch for the Schur eigenvectors.
 */
export function ritzPairs(
  blocks: readonly SchurBlock[],
  S: Float64Array,
  ld: number,
  p: number,
  V: Float64Array,
  n: number,
  which: Which,
  threshold: number,
  yr: Float64Array,
  yi: Float64Array,
): RitzPair[] {
  const sorted = [...blocks].sort(
    (a, b) => spectralKey(which, b.re, b.im) - spectralKey(which, a.re, a.im) || a.start - b.start,
  );
  const pairs: RitzPair[] = [];
  for (const b of sorted) {
    // Eigenvector of the leading p×p Schur block (its rows/columns are unchanged by truncation).
    schurEigenvector(S, ld, p, b.start, yr, yi);
    const vr = new Float64Array(n);
    const vi = b.size === 2 ? new Float64Array(n) : null;
    for (let i = 0; i < b.start + b.size; i++) {
      const off = i * n;
      const cr = yr[i];
      const ci = yi[i];
      for (let r = 0; r < n; r++) vr[r] += cr * V[off + r];
      if (vi !== null) for (let r = 0; r < n; r++) vi[r] += ci * V[off + r];
    }
    const converged = b.residual <= threshold;
    if (b.size === 1) {
      pairs.push({ re: b.re, im: 0, vector: vr, imag: null, residual: b.residual, converged });
    } else {
      pairs.push({ re: b.re, im: b.im, vector: vr, imag: vi, residual: b.residual, converged });
      pairs.push({ re: b.re, im: -b.im, vector: vr, imag: vi, residual: b.residual, converged });
    }
  }
  return pairs;
}
