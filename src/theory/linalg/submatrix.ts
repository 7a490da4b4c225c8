/**
 * The principal submatrix a[idx, idx] of the n×n row-major matrix `a`, written to `out` (m×m for
 * m = idx.length): the covariance of a subset of fields (docs/theory.md §1, the 4×4 covariance of one
 * index quadruple of the SGD sum, §4.2). Indices may repeat (coincident fields, §1.4). No allocation.
 */
export function principalSubmatrix(a: Float64Array, n: number, idx: Int32Array, out: Float64Array): Float64Array {
  const m = idx.length;
  for (let s = 0; s < m; s++) {
    const row = idx[s] * n;
    for (let t = 0; t < m; t++) out[s * m + t] = a[row + idx[t]];
  }
  return out;
}
