/**
 * out[k, g] = Σ_b A[k, b] B[g, b] for rows k < `rows` and columns g in [g0, g1): dot products of rows
 * of A with rows of B, both row-major with the same stride, i.e. a block of A Bᵀ (of A B when B is
 * symmetric: the drift b = S Ω of docs/theory.md §4, stein.ts driftFromStein). The sum runs over
 * b < len; with `identityBeyond`, B[g, b] for b ≥ len is taken to be δ_gb, which adds A[k, g] (the
 * orthonormal teacher block T = I of Ω, skipped rather than multiplied). That reading needs g0 ≥ len (the
 * added column is then one of the skipped ones); callers keep it, the kernel does not check.
 *
 * A 4 × 2 block of outputs per pass: each loaded B entry serves four rows of A and each A entry two
 * rows of B, with the eight sums in registers — 1.3× the 2 × 2 form at K = M = 17 and 1.4× at 100
 * (measured side by side when it replaced that form, 2026-12-01; a 4 × 3 block gave nothing more: scalar
 * JavaScript is at one multiply-add per cycle here). Allocates nothing.
 */
export function rowDotBlock(
  A: Float64Array,
  B: Float64Array,
  rows: number,
  stride: number,
  g0: number,
  g1: number,
  len: number,
  identityBeyond: boolean,
  out: Float64Array,
): void {
  let k = 0;
  for (; k + 3 < rows; k += 4) {
    const s0 = k * stride;
    const s1 = s0 + stride;
    const s2 = s1 + stride;
    const s3 = s2 + stride;
    let g = g0;
    for (; g + 1 < g1; g += 2) {
      const r0 = g * stride;
      const r1 = r0 + stride;
      let a0 = 0;
      let a1 = 0;
      let b0 = 0;
      let b1 = 0;
      let c0 = 0;
      let c1 = 0;
      let d0 = 0;
      let d1 = 0;
      if (identityBeyond) {
        a0 = A[s0 + g];
        a1 = A[s0 + g + 1];
        b0 = A[s1 + g];
        b1 = A[s1 + g + 1];
        c0 = A[s2 + g];
        c1 = A[s2 + g + 1];
        d0 = A[s3 + g];
        d1 = A[s3 + g + 1];
      }
      for (let b = 0; b < len; b++) {
        const o0 = B[r0 + b];
        const o1 = B[r1 + b];
        let x = A[s0 + b];
        a0 += x * o0;
        a1 += x * o1;
        x = A[s1 + b];
        b0 += x * o0;
        b1 += x * o1;
        x = A[s2 + b];
        c0 += x * o0;
        c1 += x * o1;
        x = A[s3 + b];
        d0 += x * o0;
        d1 += x * o1;
      }
      out[s0 + g] = a0;
      out[s0 + g + 1] = a1;
      out[s1 + g] = b0;
      out[s1 + g + 1] = b1;
      out[s2 + g] = c0;
      out[s2 + g + 1] = c1;
      out[s3 + g] = d0;
      out[s3 + g + 1] = d1;
    }
    for (; g < g1; g++) {
      const r0 = g * stride;
      let a0 = identityBeyond ? A[s0 + g] : 0;
      let b0 = identityBeyond ? A[s1 + g] : 0;
      let c0 = identityBeyond ? A[s2 + g] : 0;
      let d0 = identityBeyond ? A[s3 + g] : 0;
      for (let b = 0; b < len; b++) {
        const o = B[r0 + b];
        a0 += A[s0 + b] * o;
        b0 += A[s1 + b] * o;
        c0 += A[s2 + b] * o;
        d0 += A[s3 + b] * o;
      }
      out[s0 + g] = a0;
      out[s1 + g] = b0;
      out[s2 + g] = c0;
      out[s3 + g] = d0;
    }
  }
  for (; k < rows; k++) {
    const s0 = k * stride;
    for (let g = g0; g < g1; g++) {
      const r0 = g * stride;
      let a0 = identityBeyond ? A[s0 + g] : 0;
      for (let b = 0; b < len; b++) a0 += A[s0 + b] * B[r0 + b];
      out[s0 + g] = a0;
    }
  }
}
