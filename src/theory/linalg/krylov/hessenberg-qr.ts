/**
 * Small dense real Schur machinery for the projected matrix of the Krylov–Schur solver: Householder
 * Hessenberg reduction and Francis double-shift QR. Matrices are row-major with leading dimension ld; Z
 * accumulates the orthogonal transformations (A_original = Z T Zᵀ on the window). `lo` is the first
 * row/column of the active window: rows/columns < lo are an already-triangular (locked) leading block,
 * coupled to the window only through the rows above it, which every transformation updates.
 */

const EPS = Number.EPSILON;

/** Householder reduction of A[lo:n, lo:n] to upper Hessenberg form (A ← PᵀAP, Z ← ZP). */
export function hessenbergReduce(
  A: Float64Array,
  ld: number,
  n: number,
  lo: number,
  Z: Float64Array,
  work: Float64Array,
): void {
  for (let c = lo; c < n - 2; c++) {
    let alpha = 0;
    for (let i = c + 1; i < n; i++) alpha += A[i * ld + c] ** 2;
    alpha = Math.sqrt(alpha);
    let tail = 0;
    for (let i = c + 2; i < n; i++) tail = Math.max(tail, Math.abs(A[i * ld + c]));
    if (tail === 0) continue;
    const x0 = A[(c + 1) * ld + c];
    const beta = x0 >= 0 ? -alpha : alpha;
    // v = x − beta e₁, P = I − τ v vᵀ with τ = 2/vᵀv; stored in work[c+1 .. n−1].
    let vv = 0;
    for (let i = c + 1; i < n; i++) {
      const vi = i === c + 1 ? x0 - beta : A[i * ld + c];
      work[i] = vi;
      vv += vi * vi;
    }
    const tau = 2 / vv;
    for (let j = c; j < n; j++) {
      let s = 0;
      for (let i = c + 1; i < n; i++) s += work[i] * A[i * ld + j];
      s *= tau;
      for (let i = c + 1; i < n; i++) A[i * ld + j] -= s * work[i];
    }
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let i = c + 1; i < n; i++) s += A[r * ld + i] * work[i];
      s *= tau;
      for (let i = c + 1; i < n; i++) A[r * ld + i] -= s * work[i];
      let t = 0;
      for (let i = c + 1; i < n; i++) t += Z[r * ld + i] * work[i];
      t *= tau;
      for (let i = c + 1; i < n; i++) Z[r * ld + i] -= t * work[i];
    }
    A[(c + 1) * ld + c] = beta;
    for (let i = c + 2; i < n; i++) A[i * ld + c] = 0;
  }
}

/**
 * Francis double-shift QR on the Hessenberg window H[lo:n, lo:n] to real Schur form (quasi-upper-
 * triangular; 2×2 diagonal blocks hold complex pairs, real pairs are split), updating the rows above
 * the window and accumulating Z. The iteration is the Schur phase of EISPACK hqr2 (as in JAMA /
 * ml-matrix), with exact zeros written at deflations, an iteration limit, and exceptional shifts every
 * 10 iterations (alternating hqr2's two kinds) instead of only at iterations 10 and 30: Krylov
 * projections of these Jacobians carry pairs of nearly coincident (nearly defective) eigenvalues, on
 * which the plain double shift can cycle for thousands of iterations (seen at K = M = 17; LAPACK's
 * dlahqr also shifts exceptionally every 10 iterations). Returns false if an eigenvalue (1×1 or 2×2
 * block) needed more than maxIterations iterations.
 */
export function francisSchur(
  H: Float64Array,
  ld: number,
  nn: number,
  lo: number,
  Z: Float64Array,
  maxIterations = 200,
): boolean {
  const at = (i: number, j: number) => H[i * ld + j];
  let norm = 0;
  for (let i = lo; i < nn; i++) for (let j = Math.max(i - 1, lo); j < nn; j++) norm += Math.abs(at(i, j));
  let n = nn - 1;
  let exshift = 0;
  let iter = 0;
  let p = 0;
  let q = 0;
  let r = 0;
  let s = 0;
  let w = 0;
  let x = 0;
  let y = 0;
  let z = 0;
  while (n >= lo) {
    let l = n;
    while (l > lo) {
      s = Math.abs(at(l - 1, l - 1)) + Math.abs(at(l, l));
      if (s === 0) s = norm;
      if (Math.abs(at(l, l - 1)) < EPS * s) break;
      l--;
    }
    if (l > lo) H[l * ld + l - 1] = 0;
    if (l === n) {
      H[n * ld + n] += exshift;
      n--;
      iter = 0;
    } else if (l === n - 1) {
      w = at(n, n - 1) * at(n - 1, n);
      p = (at(n - 1, n - 1) - at(n, n)) / 2;
      q = p * p + w;
      z = Math.sqrt(Math.abs(q));
      H[n * ld + n] += exshift;
      H[(n - 1) * ld + n - 1] += exshift;
      x = at(n, n);
      if (q >= 0) {
        // Real pair: rotate the 2×2 block to upper triangular form.
        z = p >= 0 ? p + z : p - z;
        x = at(n, n - 1);
        s = Math.abs(x) + Math.abs(z);
        p = x / s;
        q = z / s;
        r = Math.sqrt(p * p + q * q);
        p /= r;
        q /= r;
        for (let j = n - 1; j < nn; j++) {
          z = at(n - 1, j);
          H[(n - 1) * ld + j] = q * z + p * at(n, j);
          H[n * ld + j] = q * at(n, j) - p * z;
        }
        for (let i = 0; i <= n; i++) {
          z = at(i, n - 1);
          H[i * ld + n - 1] = q * z + p * at(i, n);
          H[i * ld + n] = q * at(i, n) - p * z;
        }
        for (let i = 0; i < nn; i++) {
          z = Z[i * ld + n - 1];
          Z[i * ld + n - 1] = q * z + p * Z[i * ld + n];
          Z[i * ld + n] = q * Z[i * ld + n] - p * z;
        }
        H[n * ld + n - 1] = 0;
      }
      n -= 2;
      iter = 0;
    } else {
      x = at(n, n);
      y = 0;
      w = 0;
      if (l < n) {
        y = at(n - 1, n - 1);
        w = at(n, n - 1) * at(n - 1, n);
      }
      if (iter % 20 === 10) {
        exshift += x;
        for (let i = lo; i <= n; i++) H[i * ld + i] -= x;
        s = Math.abs(at(n, n - 1)) + Math.abs(at(n - 1, n - 2));
        x = y = 0.75 * s;
        w = -0.4375 * s * s;
      }
      if (iter > 0 && iter % 20 === 0) {
        s = (y - x) / 2;
        s = s * s + w;
        if (s > 0) {
          s = Math.sqrt(s);
          if (y < x) s = -s;
          s = x - w / ((y - x) / 2 + s);
          for (let i = lo; i <= n; i++) H[i * ld + i] -= s;
          exshift += s;
          x = y = w = 0.964;
        }
      }
      if (++iter > maxIterations) return false;
      let m = n - 2;
      while (m >= l) {
        z = at(m, m);
        r = x - z;
        s = y - z;
        p = (r * s - w) / at(m + 1, m) + at(m, m + 1);
        q = at(m + 1, m + 1) - z - r - s;
        r = at(m + 2, m + 1);
        s = Math.abs(p) + Math.abs(q) + Math.abs(r);
        p /= s;
        q /= s;
        r /= s;
        if (m === l) break;
        if (
          Math.abs(at(m, m - 1)) * (Math.abs(q) + Math.abs(r)) <
          EPS * (Math.abs(p) * (Math.abs(at(m - 1, m - 1)) + Math.abs(z) + Math.abs(at(m + 1, m + 1))))
        )
          break;
        m--;
      }
      for (let i = m + 2; i <= n; i++) {
        H[i * ld + i - 2] = 0;
        if (i > m + 2) H[i * ld + i - 3] = 0;
      }
      for (let k = m; k <= n - 1; k++) {
        const notlast = k !== n - 1;
        if (k !== m) {
          p = at(k, k - 1);
          q = at(k + 1, k - 1);
          r = notlast ? at(k + 2, k - 1) : 0;
          x = Math.abs(p) + Math.abs(q) + Math.abs(r);
          if (x !== 0) {
            p /= x;
            q /= x;
            r /= x;
          }
        }
        if (x === 0) break;
        s = Math.sqrt(p * p + q * q + r * r);
        if (p < 0) s = -s;
        if (s !== 0) {
          if (k !== m) H[k * ld + k - 1] = -s * x;
          else if (l !== m) H[k * ld + k - 1] = -at(k, k - 1);
          p += s;
          x = p / s;
          y = q / s;
          z = r / s;
          q /= p;
          r /= p;
          for (let j = k; j < nn; j++) {
            p = at(k, j) + q * at(k + 1, j);
            if (notlast) {
              p += r * at(k + 2, j);
              H[(k + 2) * ld + j] -= p * z;
            }
            H[k * ld + j] -= p * x;
            H[(k + 1) * ld + j] -= p * y;
          }
          for (let i = 0; i <= Math.min(n, k + 3); i++) {
            p = x * at(i, k) + y * at(i, k + 1);
            if (notlast) {
              p += z * at(i, k + 2);
              H[i * ld + k + 2] -= p * r;
            }
            H[i * ld + k] -= p;
            H[i * ld + k + 1] -= p * q;
          }
          for (let i = 0; i < nn; i++) {
            p = x * Z[i * ld + k] + y * Z[i * ld + k + 1];
            if (notlast) {
              p += z * Z[i * ld + k + 2];
              Z[i * ld + k + 2] -= p * r;
            }
            Z[i * ld + k] -= p;
            Z[i * ld + k + 1] -= p * q;
          }
        }
      }
    }
  }
  // The bulge chase leaves stale entries below the subdiagonal (never read above): clear them.
  for (let i = lo + 2; i < nn; i++) for (let j = lo; j < i - 1; j++) H[i * ld + j] = 0;
  return true;
}
