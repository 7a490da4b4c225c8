/**
 * The diagonal blocks of a quasi-upper-triangular (real Schur) matrix T, row-major with leading
 * dimension ld: 1×1 blocks hold real eigenvalues, 2×2 blocks complex pairs. Their sizes, eigenvalues and
 * eigenvectors.
 */

const EPS = Number.EPSILON;

/** Size (1 or 2) of the diagonal block of quasi-triangular T starting at row j. */
export function blockSize(T: Float64Array, ld: number, n: number, j: number): number {
  return j + 1 < n && T[(j + 1) * ld + j] !== 0 ? 2 : 1;
}

/** Eigenvalue (re, |im|) of the block at j into out[0], out[1]. */
export function blockEigenvalue(T: Float64Array, ld: number, n: number, j: number, out: Float64Array): void {
  if (blockSize(T, ld, n, j) === 1) {
    out[0] = T[j * ld + j];
    out[1] = 0;
    return;
  }
  const a = T[j * ld + j];
  const b = T[j * ld + j + 1];
  const c = T[(j + 1) * ld + j];
  const d = T[(j + 1) * ld + j + 1];
  const p = 0.5 * (a - d);
  const disc = p * p + b * c;
  out[0] = 0.5 * (a + d);
  out[1] = disc < 0 ? Math.sqrt(-disc) : 0;
}

/**
 * Eigenvector y (complex, unit 2-norm: yr + i·yi) of quasi-triangular T for the block at j, supported
 * on rows 0 .. j + size − 1, by back substitution (LAPACK dtrevc's scheme, with tiny divisors replaced
 * by ε‖T‖). For a real eigenvalue yi = 0; for a complex pair the eigenvalue with +im.
 */
export function schurEigenvector(
  T: Float64Array,
  ld: number,
  n: number,
  j: number,
  yr: Float64Array,
  yi: Float64Array,
): void {
  yr.fill(0, 0, n);
  yi.fill(0, 0, n);
  const size = blockSize(T, ld, n, j);
  const ev = new Float64Array(2);
  blockEigenvalue(T, ld, n, j, ev);
  const [lr, li] = ev;
  let tnorm = 0;
  for (let i = 0; i < j + size; i++)
    tnorm = Math.max(tnorm, Math.abs(T[i * ld + i]) + (i > 0 ? Math.abs(T[i * ld + i - 1]) : 0));
  const smin = Math.max(EPS * tnorm, Number.MIN_VALUE);
  const last = j + size - 1;
  if (size === 1) {
    yr[j] = 1;
  } else {
    const a = T[j * ld + j];
    const b = T[j * ld + j + 1];
    const c = T[(j + 1) * ld + j];
    const d = T[(j + 1) * ld + j + 1];
    // (B − λI)u = 0: u = (b, λ − a) or (λ − d, c), whichever is larger.
    if (Math.abs(b) + Math.hypot(lr - a, li) >= Math.hypot(lr - d, li) + Math.abs(c)) {
      yr[j] = b;
      yr[j + 1] = lr - a;
      yi[j + 1] = li;
    } else {
      yr[j] = lr - d;
      yi[j] = li;
      yr[j + 1] = c;
    }
  }
  const BIG = 1e150;
  let i = j - 1;
  while (i >= 0) {
    const twoByTwo = i > 0 && T[i * ld + i - 1] !== 0;
    const top = twoByTwo ? i - 1 : i;
    // r_k = Σ_{c > i} T[k][c] y[c] for the rows of this block.
    let r0 = 0;
    let s0 = 0;
    let r1 = 0;
    let s1 = 0;
    for (let c = i + 1; c <= last; c++) {
      r1 += T[i * ld + c] * yr[c];
      s1 += T[i * ld + c] * yi[c];
      if (twoByTwo) {
        r0 += T[top * ld + c] * yr[c];
        s0 += T[top * ld + c] * yi[c];
      }
    }
    if (!twoByTwo) {
      // y_i = −r / (T_ii − λ), complex division.
      let dr = T[i * ld + i] - lr;
      const di = -li;
      if (Math.hypot(dr, di) < smin) dr = smin;
      const den = dr * dr + di * di;
      yr[i] = -(r1 * dr + s1 * di) / den;
      yi[i] = -(s1 * dr - r1 * di) / den;
    } else {
      // Solve [[a−λ, b], [c, d−λ]] (y_top, y_i) = −(r_top, r_i) by Cramer's rule in complex arithmetic.
      const ar = T[top * ld + top] - lr;
      const br = T[top * ld + i];
      const cr = T[i * ld + top];
      const drr = T[i * ld + i] - lr;
      const ai = -li;
      const dii = -li;
      // det = (a−λ)(d−λ) − bc
      let detR = ar * drr - ai * dii - br * cr;
      const detI = ar * dii + ai * drr;
      if (Math.hypot(detR, detI) < smin * smin) detR = smin * smin;
      const den = detR * detR + detI * detI;
      // y_top = (−r_top (d−λ) + b r_i)/det, y_i = (−r_i (a−λ) + c r_top)/det
      const ntR = -(r0 * drr - s0 * dii) + br * r1;
      const ntI = -(r0 * dii + s0 * drr) + br * s1;
      const niR = -(r1 * ar - s1 * ai) + cr * r0;
      const niI = -(r1 * ai + s1 * ar) + cr * s0;
      yr[top] = (ntR * detR + ntI * detI) / den;
      yi[top] = (ntI * detR - ntR * detI) / den;
      yr[i] = (niR * detR + niI * detI) / den;
      yi[i] = (niI * detR - niR * detI) / den;
    }
    let big = 0;
    for (let k = top; k <= last; k++) big = Math.max(big, Math.abs(yr[k]), Math.abs(yi[k]));
    if (big > BIG) {
      for (let k = top; k <= last; k++) {
        yr[k] /= big;
        yi[k] /= big;
      }
    }
    i = top - 1;
  }
  let norm = 0;
  for (let k = 0; k <= last; k++) norm += yr[k] * yr[k] + yi[k] * yi[k];
  norm = Math.sqrt(norm);
  for (let k = 0; k <= last; k++) {
    yr[k] /= norm;
    yi[k] /= norm;
  }
}
