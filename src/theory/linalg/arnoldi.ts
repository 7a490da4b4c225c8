/**
 * Rightmost (or largest-magnitude) eigenvalues of a real nonsymmetric linear operator given only as a
 * matrix–vector product, by the Krylov–Schur method (Stewart, SIAM J. Matrix Anal. Appl. 23 (2001)
 * 601–614). Self-contained: typed arrays only, no dependencies.
 *
 * Why Krylov–Schur and not implicitly restarted Arnoldi (IRA, ARPACK): both keep a Krylov
 * decomposition A V_k = V_k B_k + v_{k+1} bᵀ and restart with the same implicit polynomial filter when
 * exact shifts are used (the two are mathematically equivalent). IRA applies the m − p unwanted Ritz
 * values one by one as implicit QR shifts (double shifts for complex pairs); with many shifts close to
 * wanted eigenvalues this chase is forward-unstable ("shift blurring") and locking/purging of
 * converged vectors needs extra machinery. Krylov–Schur instead reorders the real Schur form of the
 * small projected matrix, so that the wanted Ritz values come first, and truncates: the restart is a
 * sequence of orthogonal transformations of a small matrix, deflation (locking) is setting entries
 * of bᵀ to zero, and complex pairs are kept together automatically as 2×2 blocks. The small dense
 * pieces (Householder Hessenberg reduction, Francis double-shift QR, block swaps, quasi-triangular
 * eigenvectors) are below: O(m³) per restart, ≈ 1–2 ms at m = 40 in V8 — about what the restart's
 * products cost at K = M = 17 (a product there is two right-hand sides, ≈ 0.1 ms), so m stays ≲ 60.
 * Multiple eigenvalues: one start vector spans one direction of each eigenspace; restartFresh()
 * deflates the converged part and continues from a fresh random vector to pick up further copies.
 *
 * Orthogonalisation is classical Gram–Schmidt applied twice (CGS2: "twice is enough", orthogonality to
 * O(ε)), which reads each basis vector contiguously. All work arrays are allocated once per solver;
 * the expansion loop (product + CGS2) allocates nothing.
 *
 * Convergence: a Ritz pair (θ, y), ‖y‖ = 1, has residual ‖A V y − θ V y‖ = |bᵀ Z y| (Z the Schur vectors
 * of the projected matrix) without any extra product. A pair counts as converged when this is at most
 * tol · ‖A‖_est, ‖A‖_est the largest |Ritz value| seen so far (an estimate of the spectral radius, ≈
 * ‖A‖ for the nearly normal operators of interest). The default tol = 1e-10 is ~10⁶ ε: products that
 * are exact to rounding converge far below it; an operator with noise δ per product (finite-difference
 * Jacobians: δ ≈ 1e-10 relative) needs tol ≳ δ, or the residual stagnates at the noise floor
 * (callers pass their own). For a non-defective eigenvalue the error of θ is at most the residual
 * times the eigenvalue's condition number.
 */

/** out = A v. Must not keep references to v or out. */
export type MatVec = (v: Float64Array, out: Float64Array) => void;

/** Which end of the spectrum: largest real part, or largest modulus (for transformed operators). */
export type Which = 'largest-real' | 'largest-magnitude';

export interface KrylovSchurOptions {
  /** Dimension m of the Krylov space before a restart (default min(n, max(2·maxNev + 8, 24))). */
  ncv?: number;
  /** Largest nev that solve() will be asked for (sizes the default ncv); default 8. */
  maxNev?: number;
  /** Relative residual tolerance (see the module comment); default 1e-10. */
  tol?: number;
  /** Seed of the random start vector (deterministic). Default 1. */
  seed?: number;
  /** A start vector instead of a random one (copied; need not be normalised). */
  start?: Float64Array;
  which?: Which;
}

export interface RitzPair {
  re: number;
  im: number;
  /**
   * Real Ritz vector (unit 2-norm) for a real θ. For a complex θ = re ± i·im: the real part of the
   * Ritz vector y = vector + i·imag, normalised so that ‖vector‖² + ‖imag‖² = 1; the conjugate θ̄ has
   * the conjugate vector (same arrays).
   */
  vector: Float64Array;
  imag: Float64Array | null;
  /** ‖A y − θ y‖ for the unit Ritz vector y (from the Krylov decomposition, no extra product). */
  residual: number;
  converged: boolean;
}

/**
 * converged: all wanted Ritz pairs meet the tolerance; max-products: the product budget ran out;
 * stalled: locked and wanted vectors fill the Krylov space (ncv too small for this nev).
 */
export type KrylovSchurStatus = 'converged' | 'max-products' | 'stalled';

export interface KrylovSchurResult {
  /**
   * The wanted Ritz values, best first by `which` (a complex pair is two consecutive entries, +im then
   * −im, sharing their vector arrays). At least nev entries (one more when nev splits a pair), fewer
   * only when n is smaller.
   */
  pairs: RitzPair[];
  status: KrylovSchurStatus;
  /** Products A·v used so far by this solver (cumulative over solve() calls). */
  products: number;
  restarts: number;
  /** Largest |Ritz value| seen: the scale of the convergence test. */
  normEstimate: number;
}

const EPS = Number.EPSILON;

// ---------------------------------------------------------------------------------------------------
// Small dense real Schur machinery. Matrices are row-major with leading dimension ld; Z accumulates
// the orthogonal transformations (A_original = Z T Zᵀ on the window). `lo` is the first row/column of
// the active window: rows/columns < lo are an already-triangular (locked) leading block, coupled to the
// window only through the rows above it, which every transformation updates.
// ---------------------------------------------------------------------------------------------------

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

/** Size (1 or 2) of the diagonal block of quasi-triangular T starting at row j. */
function blockSize(T: Float64Array, ld: number, n: number, j: number): number {
  return j + 1 < n && T[(j + 1) * ld + j] !== 0 ? 2 : 1;
}

/** Eigenvalue (re, |im|) of the block at j into out[0], out[1]. */
function blockEigenvalue(T: Float64Array, ld: number, n: number, j: number, out: Float64Array): void {
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
 * Split a 2×2 block at j whose eigenvalues are real (which rounding can produce after a swap of a
 * pair with a tiny imaginary part) by a rotation onto an eigenvector; no-op for a complex pair.
 */
function standardiseBlock(T: Float64Array, ld: number, n: number, Z: Float64Array, j: number): void {
  if (blockSize(T, ld, n, j) !== 2) return;
  const a = T[j * ld + j];
  const b = T[j * ld + j + 1];
  const c = T[(j + 1) * ld + j];
  const d = T[(j + 1) * ld + j + 1];
  const p = 0.5 * (a - d);
  const disc = p * p + b * c;
  if (disc < 0) return;
  const lambda = 0.5 * (a + d) + (p >= 0 ? Math.sqrt(disc) : -Math.sqrt(disc));
  // Eigenvector (u0, u1) of [[a, b], [c, d]] for lambda, from the better-conditioned row.
  let u0 = b;
  let u1 = lambda - a;
  if (Math.abs(lambda - d) + Math.abs(c) > Math.abs(u0) + Math.abs(u1)) {
    u0 = lambda - d;
    u1 = c;
  }
  const h = Math.hypot(u0, u1);
  if (h === 0) return;
  const cs = u0 / h;
  const sn = u1 / h;
  rotate(T, ld, n, Z, j, cs, sn);
  T[(j + 1) * ld + j] = 0;
}

/** T ← GᵀTG, Z ← ZG with G the rotation [[cs, −sn], [sn, cs]] in the plane (j, j+1). */
function rotate(T: Float64Array, ld: number, n: number, Z: Float64Array, j: number, cs: number, sn: number): void {
  for (let col = j; col < n; col++) {
    const t0 = T[j * ld + col];
    const t1 = T[(j + 1) * ld + col];
    T[j * ld + col] = cs * t0 + sn * t1;
    T[(j + 1) * ld + col] = -sn * t0 + cs * t1;
  }
  for (let row = 0; row < Math.min(n, j + 2); row++) {
    const t0 = T[row * ld + j];
    const t1 = T[row * ld + j + 1];
    T[row * ld + j] = cs * t0 + sn * t1;
    T[row * ld + j + 1] = -sn * t0 + cs * t1;
  }
  for (let row = 0; row < n; row++) {
    const z0 = Z[row * ld + j];
    const z1 = Z[row * ld + j + 1];
    Z[row * ld + j] = cs * z0 + sn * z1;
    Z[row * ld + j + 1] = -sn * z0 + cs * z1;
  }
}

/** Scratch for swapBlocks (sizes ≤ 4). */
class SwapWork {
  readonly D = new Float64Array(16);
  readonly K = new Float64Array(16);
  readonly rhs = new Float64Array(4);
  readonly Q = new Float64Array(16);
  readonly u = new Float64Array(4);
  readonly row = new Float64Array(4);
}

/**
 * Swap the adjacent diagonal blocks of T at j (size n1) and j + n1 (size n2) by an orthogonal
 * similarity (LAPACK dlaexc's "direct swap", Bai & Demmel 1993): X solves the Sylvester equation
 * T11 X − X T22 = −T12, so [X; I] spans the invariant subspace of T22's eigenvalues; its QR factor Q
 * brings that subspace to the front. Rejected (returns false, T unchanged) when the transformed matrix
 * would not be block triangular to 10ε‖D‖ — only for nearly equal eigenvalues, whose order is
 * immaterial here.
 */
function swapBlocks(
  T: Float64Array,
  ld: number,
  n: number,
  Z: Float64Array,
  j: number,
  n1: number,
  n2: number,
  work: SwapWork,
): boolean {
  const nd = n1 + n2;
  if (n1 === 1 && n2 === 1) {
    const t11 = T[j * ld + j];
    const t22 = T[(j + 1) * ld + j + 1];
    const f = T[j * ld + j + 1];
    const g = t22 - t11;
    const h = Math.hypot(f, g);
    if (h === 0) return true;
    const cs = f / h;
    const sn = g / h;
    // dlaexc: rotate rows (j, j+1) right of the block and columns above it, then swap the diagonal.
    for (let col = j + 2; col < n; col++) {
      const a = T[j * ld + col];
      const b = T[(j + 1) * ld + col];
      T[j * ld + col] = cs * a + sn * b;
      T[(j + 1) * ld + col] = cs * b - sn * a;
    }
    for (let row = 0; row < j; row++) {
      const a = T[row * ld + j];
      const b = T[row * ld + j + 1];
      T[row * ld + j] = cs * a + sn * b;
      T[row * ld + j + 1] = cs * b - sn * a;
    }
    T[j * ld + j] = t22;
    T[(j + 1) * ld + j + 1] = t11;
    for (let row = 0; row < n; row++) {
      const a = Z[row * ld + j];
      const b = Z[row * ld + j + 1];
      Z[row * ld + j] = cs * a + sn * b;
      Z[row * ld + j + 1] = cs * b - sn * a;
    }
    return true;
  }
  const { D, K, rhs, Q, u, row } = work;
  let dnorm = 0;
  for (let r = 0; r < nd; r++) {
    for (let c = 0; c < nd; c++) {
      D[r * 4 + c] = T[(j + r) * ld + j + c];
      dnorm = Math.max(dnorm, Math.abs(D[r * 4 + c]));
    }
  }
  // Kronecker form of D11 X − X D22 = −D12, X (n1×n2) stored column-major: X[a + b·n1].
  const nk = n1 * n2;
  K.fill(0);
  for (let b = 0; b < n2; b++) {
    for (let a = 0; a < n1; a++) {
      const rIdx = a + b * n1;
      rhs[rIdx] = -D[a * 4 + n1 + b];
      for (let c = 0; c < n1; c++) K[rIdx * 4 + c + b * n1] += D[a * 4 + c];
      for (let c = 0; c < n2; c++) K[rIdx * 4 + a + c * n1] -= D[(n1 + c) * 4 + n1 + b];
    }
  }
  const smin = Math.max(EPS * dnorm, Number.MIN_VALUE);
  // Gaussian elimination with partial pivoting; tiny pivots perturbed to smin (dlasy2's policy).
  for (let c = 0; c < nk; c++) {
    let piv = c;
    for (let r = c + 1; r < nk; r++) if (Math.abs(K[r * 4 + c]) > Math.abs(K[piv * 4 + c])) piv = r;
    if (piv !== c) {
      for (let cc = 0; cc < nk; cc++) {
        const t = K[c * 4 + cc];
        K[c * 4 + cc] = K[piv * 4 + cc];
        K[piv * 4 + cc] = t;
      }
      const t = rhs[c];
      rhs[c] = rhs[piv];
      rhs[piv] = t;
    }
    if (Math.abs(K[c * 4 + c]) < smin) K[c * 4 + c] = smin;
    for (let r = c + 1; r < nk; r++) {
      const f = K[r * 4 + c] / K[c * 4 + c];
      if (f === 0) continue;
      for (let cc = c; cc < nk; cc++) K[r * 4 + cc] -= f * K[c * 4 + cc];
      rhs[r] -= f * rhs[c];
    }
  }
  for (let c = nk - 1; c >= 0; c--) {
    let s = rhs[c];
    for (let cc = c + 1; cc < nk; cc++) s -= K[c * 4 + cc] * rhs[cc];
    rhs[c] = s / K[c * 4 + c];
  }
  // M = [X; I] (nd × n2) into the first n2 columns of a scratch (row-major 4×4 in K), then Householder
  // QR of M, accumulating Q = H₁H₂ (nd × nd, row-major 4×4).
  K.fill(0);
  for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) K[a * 4 + b] = rhs[a + b * n1];
  for (let b = 0; b < n2; b++) K[(n1 + b) * 4 + b] = 1;
  Q.fill(0);
  for (let i = 0; i < nd; i++) Q[i * 4 + i] = 1;
  for (let c = 0; c < n2; c++) {
    let alpha = 0;
    for (let i = c; i < nd; i++) alpha += K[i * 4 + c] ** 2;
    alpha = Math.sqrt(alpha);
    const x0 = K[c * 4 + c];
    const beta = x0 >= 0 ? -alpha : alpha;
    let vv = 0;
    for (let i = c; i < nd; i++) {
      u[i] = i === c ? x0 - beta : K[i * 4 + c];
      vv += u[i] * u[i];
    }
    if (vv === 0) continue;
    const tau = 2 / vv;
    for (let cc = c; cc < n2; cc++) {
      let s = 0;
      for (let i = c; i < nd; i++) s += u[i] * K[i * 4 + cc];
      for (let i = c; i < nd; i++) K[i * 4 + cc] -= tau * s * u[i];
    }
    // Q ← Q H (H symmetric): rows of Q times (I − τuuᵀ).
    for (let r = 0; r < nd; r++) {
      let s = 0;
      for (let i = c; i < nd; i++) s += Q[r * 4 + i] * u[i];
      for (let i = c; i < nd; i++) Q[r * 4 + i] -= tau * s * u[i];
    }
  }
  // Trial on the copy: D' = Qᵀ D Q must be block triangular with the blocks exchanged.
  const Dp = K;
  for (let r = 0; r < nd; r++) {
    for (let c = 0; c < nd; c++) {
      let s = 0;
      for (let a = 0; a < nd; a++) {
        let t = 0;
        for (let b = 0; b < nd; b++) t += D[a * 4 + b] * Q[b * 4 + c];
        s += Q[a * 4 + r] * t;
      }
      Dp[r * 4 + c] = s;
    }
  }
  let lower = 0;
  for (let r = n2; r < nd; r++) for (let c = 0; c < n2; c++) lower = Math.max(lower, Math.abs(Dp[r * 4 + c]));
  if (lower > 10 * EPS * dnorm) return false;
  // Accept: T rows j..j+nd−1 (columns ≥ j) ← Qᵀ·, columns (rows < j+nd) ← ·Q, Z columns ← ·Q.
  for (let col = j; col < n; col++) {
    for (let r = 0; r < nd; r++) {
      let s = 0;
      for (let a = 0; a < nd; a++) s += Q[a * 4 + r] * T[(j + a) * ld + col];
      row[r] = s;
    }
    for (let r = 0; r < nd; r++) T[(j + r) * ld + col] = row[r];
  }
  for (let rr = 0; rr < j + nd; rr++) {
    for (let c = 0; c < nd; c++) {
      let s = 0;
      for (let a = 0; a < nd; a++) s += T[rr * ld + j + a] * Q[a * 4 + c];
      row[c] = s;
    }
    for (let c = 0; c < nd; c++) T[rr * ld + j + c] = row[c];
  }
  for (let rr = 0; rr < n; rr++) {
    for (let c = 0; c < nd; c++) {
      let s = 0;
      for (let a = 0; a < nd; a++) s += Z[rr * ld + j + a] * Q[a * 4 + c];
      row[c] = s;
    }
    for (let c = 0; c < nd; c++) Z[rr * ld + j + c] = row[c];
  }
  // Exact zeros below the new blocks (this also clears the subdiagonal of a new 1×1 block).
  for (let r = n2; r < nd; r++) for (let c = 0; c < n2; c++) T[(j + r) * ld + j + c] = 0;
  standardiseBlock(T, ld, n, Z, j);
  if (n1 === 2) standardiseBlock(T, ld, n, Z, j + n2);
  return true;
}

/**
 * Reorder the real Schur form on the window [lo, n) so that block keys (key(re, |im|)) decrease: an
 * adjacent-block bubble sort, each exchange an orthogonal swap (swapBlocks). Keys within 8ε‖T‖ are
 * not exchanged (no ping-pong between numerically equal eigenvalues).
 */
export function sortSchur(
  T: Float64Array,
  ld: number,
  n: number,
  lo: number,
  Z: Float64Array,
  which: Which,
  work = new SwapWork(),
): void {
  let tnorm = 0;
  for (let i = lo; i < n; i++) tnorm = Math.max(tnorm, Math.abs(T[i * ld + i]));
  const guardTol = 8 * EPS * Math.max(tnorm, Number.MIN_VALUE);
  const ev = new Float64Array(2);
  const keyAt = (j: number) => {
    blockEigenvalue(T, ld, n, j, ev);
    return which === 'largest-real' ? ev[0] : Math.hypot(ev[0], ev[1]);
  };
  const maxPasses = n * n + 10;
  for (let pass = 0; pass < maxPasses; pass++) {
    let swapped = false;
    let i = lo;
    while (i < n) {
      const s1 = blockSize(T, ld, n, i);
      const i2 = i + s1;
      if (i2 >= n) break;
      const s2 = blockSize(T, ld, n, i2);
      if (keyAt(i2) > keyAt(i) + guardTol && swapBlocks(T, ld, n, Z, i, s1, s2, work)) {
        swapped = true;
        i += blockSize(T, ld, n, i);
        continue;
      }
      i = i2;
    }
    if (!swapped) return;
  }
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

// ---------------------------------------------------------------------------------------------------
// Krylov–Schur
// ---------------------------------------------------------------------------------------------------

/** Deterministic N(0, 1) stream (mulberry32 + Box–Muller); the solver must not depend on global RNG. */
function gaussianStream(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(uniform(), Number.MIN_VALUE);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * A Krylov–Schur solver for one operator. solve(nev) may be called repeatedly with growing nev: it
 * continues from the current Krylov decomposition (the converged part is kept), so asking for more
 * eigenvalues costs only the additional products.
 */
export class KrylovSchur {
  readonly n: number;
  readonly m: number;
  readonly tol: number;
  readonly which: Which;
  products = 0;
  restarts = 0;
  normEstimate = 0;
  /** Basis V (n × (m+1)), column j at j·n. */
  private V: Float64Array;
  private Vnext: Float64Array;
  /** The two basis buffers (V and Vnext swap at each restart) and their column views. */
  private readonly buffers: Float64Array[];
  private readonly columns: Float64Array[][];
  /** Projected matrix B ((m+1) × m, row-major, ld m): A V_k = V_{k+1} B. */
  private readonly B: Float64Array;
  /** Schur work: S (m×m) and Z (m×m), ld m. */
  private readonly S: Float64Array;
  private readonly Z: Float64Array;
  private readonly bt: Float64Array;
  /** Ritz residual of each locked block at the time it was locked, by its first Schur column. */
  private readonly lockResidual: Float64Array;
  private readonly h: Float64Array;
  private readonly w: Float64Array;
  private readonly yr: Float64Array;
  private readonly yi: Float64Array;
  private readonly ev = new Float64Array(2);
  private readonly swap = new SwapWork();
  private readonly hwork: Float64Array;
  private readonly normal: () => number;
  /** Current size k of the decomposition, and the number of locked (deflated) leading columns. */
  private k = 0;
  private nlock = 0;
  private started = false;
  /** Columns holding the wanted blocks after the last solve() (all leading), and whether it converged. */
  private wantedEnd = 0;
  private lastConverged = false;

  constructor(
    private readonly op: MatVec,
    n: number,
    private readonly options: KrylovSchurOptions = {},
  ) {
    this.n = n;
    const maxNev = options.maxNev ?? 8;
    this.m = Math.min(n, options.ncv ?? Math.max(2 * maxNev + 8, 24));
    this.tol = options.tol ?? 1e-10;
    this.which = options.which ?? 'largest-real';
    const m = this.m;
    this.V = new Float64Array(n * (m + 1));
    this.Vnext = new Float64Array(n * (m + 1));
    this.buffers = [this.V, this.Vnext];
    this.columns = this.buffers.map((buf) => Array.from({ length: m + 1 }, (_, j) => buf.subarray(j * n, (j + 1) * n)));
    this.B = new Float64Array((m + 1) * m);
    this.S = new Float64Array(m * m);
    this.Z = new Float64Array(m * m);
    this.bt = new Float64Array(m);
    this.lockResidual = new Float64Array(m);
    this.h = new Float64Array(m + 1);
    this.w = new Float64Array(n);
    this.yr = new Float64Array(m);
    this.yi = new Float64Array(m);
    this.hwork = new Float64Array(m);
    this.normal = gaussianStream(options.seed ?? 1);
  }

  private key(re: number, im: number): number {
    return this.which === 'largest-real' ? re : Math.hypot(re, im);
  }

  /**
   * Orthogonalise w against V columns 0..j (CGS2), coefficients added into h[0..j]; returns ‖w‖.
   */
  private orthogonalise(w: Float64Array, j: number, h: Float64Array): number {
    const { V, n } = this;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) {
        let s = 0;
        const off = i * n;
        for (let r = 0; r < n; r++) s += V[off + r] * w[r];
        this.hwork[i] = s;
      }
      for (let i = 0; i <= j; i++) {
        const s = this.hwork[i];
        h[i] += s;
        const off = i * n;
        for (let r = 0; r < n; r++) w[r] -= s * V[off + r];
      }
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += w[r] * w[r];
    return Math.sqrt(norm);
  }

  /** A fresh random unit vector orthogonal to V columns 0..j, into column j+1 (j = −1: the start). */
  private randomColumn(j: number): void {
    const { V, n, w } = this;
    for (let attempt = 0; attempt < 5; attempt++) {
      for (let r = 0; r < n; r++) w[r] = this.normal();
      let norm0 = 0;
      for (let r = 0; r < n; r++) norm0 += w[r] * w[r];
      norm0 = Math.sqrt(norm0);
      this.h.fill(0);
      const norm = j >= 0 ? this.orthogonalise(w, j, this.h) : norm0;
      if (norm > 1e-8 * norm0) {
        const off = (j + 1) * n;
        for (let r = 0; r < n; r++) V[off + r] = w[r] / norm;
        return;
      }
    }
    throw new Error('KrylovSchur: could not draw a vector outside the current basis');
  }

  private start(): void {
    const { V, n } = this;
    const s = this.options.start;
    if (s !== undefined) {
      let norm = 0;
      for (let r = 0; r < n; r++) norm += s[r] * s[r];
      norm = Math.sqrt(norm);
      if (norm > 0 && Number.isFinite(norm)) {
        for (let r = 0; r < n; r++) V[r] = s[r] / norm;
        return;
      }
    }
    this.randomColumn(-1);
  }

  /** Arnoldi expansion of the decomposition from size k to m. */
  private expand(): void {
    const { B, n, m, w, h } = this;
    const V = this.V;
    const columns = V === this.buffers[0] ? this.columns[0] : this.columns[1];
    for (let j = this.k; j < m; j++) {
      this.op(columns[j], w);
      this.products++;
      h.fill(0, 0, j + 1);
      let wnorm0 = 0;
      for (let r = 0; r < n; r++) wnorm0 += w[r] * w[r];
      wnorm0 = Math.sqrt(wnorm0);
      const beta = this.orthogonalise(w, j, h);
      for (let i = 0; i <= j; i++) B[i * m + j] = h[i];
      for (let i = j + 1; i <= m; i++) B[i * m + j] = 0;
      if (j + 1 >= n) {
        // The whole space is spanned: the decomposition is exact (zero residual).
        this.k = m;
        V.fill(0, (j + 1) * n, (j + 2) * n);
        return;
      }
      if (beta <= 1e-12 * Math.max(wnorm0, this.normEstimate, Number.MIN_VALUE)) {
        // Invariant subspace: continue from a fresh random direction with a zero coupling.
        B[(j + 1) * m + j] = 0;
        this.randomColumn(j);
      } else {
        B[(j + 1) * m + j] = beta;
        const off = (j + 1) * n;
        for (let r = 0; r < n; r++) V[off + r] = w[r] / beta;
      }
    }
    this.k = m;
  }

  /**
   * Run until the nev wanted Ritz values (best first by `which`, a complex pair counted twice) have
   * converged or `maxProducts` products have been used in total.
   */
  solve(nev: number, maxProducts = 100 * this.n): KrylovSchurResult {
    const { n, m, B, S, Z, bt } = this;
    nev = Math.min(nev, n);
    if (nev > m - 2 && m < n) throw new RangeError(`KrylovSchur: nev = ${nev} needs ncv ≥ nev + 2 (ncv = ${m})`);
    if (!this.started) {
      this.start();
      this.started = true;
    }
    for (;;) {
      if (this.k < m) this.expand();
      // Schur form of the projected matrix; the locked leading block is already triangular.
      if (!this.schur(200) && !this.schur(20000))
        throw new Error('KrylovSchur: QR iteration on the projected matrix did not converge');
      sortSchur(S, m, m, this.nlock, Z, this.which, this.swap);
      // Residual row in the Schur basis: btᵀ = bᵀ Z, b = row m of B.
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += B[m * m + i] * Z[i * m + j];
        bt[j] = s;
      }
      // Blocks, their keys and the scale of the test.
      const blocks = this.blocks(m);
      for (const b of blocks) this.normEstimate = Math.max(this.normEstimate, Math.hypot(b.re, b.im));
      const threshold = this.tol * this.normEstimate;
      // The wanted blocks: best nev by key over all blocks (locked ones included).
      const order = blocks.map((_, i) => i).sort((a, b) => blocks[b].key - blocks[a].key || a - b);
      const wanted: number[] = [];
      let count = 0;
      for (const i of order) {
        if (count >= nev) break;
        wanted.push(i);
        count += blocks[i].size;
      }
      let allConverged = true;
      for (const i of wanted) {
        const b = blocks[i];
        // A locked block's residual entries were zeroed; report the residual it was locked at.
        b.residual = b.start < this.nlock ? this.lockResidual[b.start] : this.ritzResidual(b.start, m);
        if (!(b.residual <= threshold)) allConverged = false;
      }
      const done = allConverged || this.products >= maxProducts;
      // Lock leading active blocks that are wanted and whose Schur residual entries are negligible.
      const wantedSet = new Set(wanted);
      for (let bi = 0; bi < blocks.length; bi++) {
        const b = blocks[bi];
        if (b.start < this.nlock) continue;
        if (b.start !== this.nlock || !wantedSet.has(bi)) break;
        let small = true;
        for (let c = b.start; c < b.start + b.size; c++) if (!(Math.abs(bt[c]) <= threshold)) small = false;
        if (!small) break;
        this.lockResidual[b.start] = this.ritzResidual(b.start, m);
        for (let c = b.start; c < b.start + b.size; c++) bt[c] = 0;
        this.nlock += b.size;
      }
      // Truncate to p columns: everything wanted, the locked part, and half of the rest as a buffer.
      let wantedEnd = this.nlock;
      for (const i of wanted) wantedEnd = Math.max(wantedEnd, blocks[i].start + blocks[i].size);
      let p = Math.min(m - 1, Math.max(wantedEnd + 1, Math.floor((m + wantedEnd) / 2)));
      // Never split a 2×2 block; p < m so that the next expansion adds at least one vector.
      if (p > 0 && S[p * m + p - 1] !== 0) p = p - 1 >= wantedEnd ? p - 1 : p + 1;
      if (m >= n || p >= m) p = m;
      const stalled = !done && p >= m && m < n;
      this.truncate(p);
      this.wantedEnd = wantedEnd;
      this.lastConverged = allConverged;
      if (done || stalled) {
        return {
          pairs: this.ritzPairs(
            wanted.map((i) => blocks[i]),
            p,
          ),
          status: allConverged ? 'converged' : stalled ? 'stalled' : 'max-products',
          products: this.products,
          restarts: this.restarts,
          normEstimate: this.normEstimate,
        };
      }
      if (m >= n) throw new Error('KrylovSchur: full space spanned but not converged');
      this.restarts++;
    }
  }

  /**
   * Deflated restart from a fresh random vector: after a converged solve(), lock the wanted part (an
   * invariant subspace to within the tolerance) and continue the Krylov sequence from a random vector
   * orthogonal to it. A single start vector sees one direction per eigenspace (further copies of a
   * multiple eigenvalue enter only through rounding), so each such round can add one more copy of
   * every multiple wanted eigenvalue. Call solve() with a larger nev afterwards. Dropping the residual
   * coupling of the kept Schur vectors is a backward error of the size of their Ritz residuals (≤ the
   * tolerance, for nearly normal blocks). A no-op unless the last solve() converged and there is room.
   */
  restartFresh(): void {
    const { m, B } = this;
    const p = this.wantedEnd;
    if (!this.lastConverged || p === 0 || p >= Math.min(m, this.n) - 1) return;
    for (let j = this.nlock; j < p;) {
      const size = blockSize(this.S, m, p, j);
      this.lockResidual[j] = this.ritzResidual(j, m);
      j += size;
    }
    for (let i = p; i <= m; i++) for (let j = 0; j < m; j++) B[i * m + j] = 0;
    for (let i = 0; i < p; i++) for (let j = p; j < m; j++) B[i * m + j] = 0;
    this.nlock = p;
    this.k = p;
    this.randomColumn(p - 1);
  }

  /** Real Schur form S = Zᵀ B_m Z of the projected matrix (the locked leading block is already triangular). */
  private schur(maxIterations: number): boolean {
    const { m, B, S, Z } = this;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) S[i * m + j] = B[i * m + j];
    Z.fill(0);
    for (let i = 0; i < m; i++) Z[i * m + i] = 1;
    hessenbergReduce(S, m, m, this.nlock, Z, this.hwork);
    return francisSchur(S, m, m, this.nlock, Z, maxIterations);
  }

  private blocks(m: number): { start: number; size: number; re: number; im: number; key: number; residual: number }[] {
    const out: { start: number; size: number; re: number; im: number; key: number; residual: number }[] = [];
    for (let j = 0; j < m;) {
      const size = blockSize(this.S, m, m, j);
      blockEigenvalue(this.S, m, m, j, this.ev);
      out.push({
        start: j,
        size,
        re: this.ev[0],
        im: this.ev[1],
        key: this.key(this.ev[0], this.ev[1]),
        residual: Number.NaN,
      });
      j += size;
    }
    return out;
  }

  /** |btᵀ y| for the unit eigenvector y of the Schur block at j (into yr, yi). */
  private ritzResidual(j: number, m: number): number {
    schurEigenvector(this.S, m, m, j, this.yr, this.yi);
    let rr = 0;
    let ri = 0;
    for (let i = 0; i < m; i++) {
      rr += this.bt[i] * this.yr[i];
      ri += this.bt[i] * this.yi[i];
    }
    return Math.hypot(rr, ri);
  }

  /** V_p ← V_m Z[:, :p], v_p ← v_m, B ← [S_p; btᵀ_p]. */
  private truncate(p: number): void {
    const { n, m, Z, S, B, bt } = this;
    const V = this.V;
    const out = this.Vnext;
    out.fill(0, 0, p * n);
    for (let j = 0; j < p; j++) {
      const o = j * n;
      for (let i = 0; i < m; i++) {
        const z = Z[i * m + j];
        if (z === 0) continue;
        const off = i * n;
        for (let r = 0; r < n; r++) out[o + r] += z * V[off + r];
      }
    }
    out.set(V.subarray(m * n, (m + 1) * n), p * n);
    this.Vnext = V;
    this.V = out;
    B.fill(0);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) B[i * m + j] = S[i * m + j];
    for (let j = 0; j < p; j++) B[p * m + j] = bt[j];
    // Keep the truncated Schur form in S (for Ritz vectors after a final truncation).
    this.k = p;
  }

  /** Ritz pairs of the given blocks (all within the first p columns), from the truncated basis. */
  private ritzPairs(
    blocks: { start: number; size: number; re: number; im: number; residual: number }[],
    p: number,
  ): RitzPair[] {
    const { n, m, S, V } = this;
    const threshold = this.tol * this.normEstimate;
    const sorted = [...blocks].sort((a, b) => this.key(b.re, b.im) - this.key(a.re, a.im) || a.start - b.start);
    const pairs: RitzPair[] = [];
    for (const b of sorted) {
      // Eigenvector of the leading p×p Schur block (its rows/columns are unchanged by truncation).
      schurEigenvector(S, m, p, b.start, this.yr, this.yi);
      const vr = new Float64Array(n);
      const vi = b.size === 2 ? new Float64Array(n) : null;
      for (let i = 0; i < b.start + b.size; i++) {
        const off = i * n;
        const cr = this.yr[i];
        const ci = this.yi[i];
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
}

/** One-shot convenience: the nev eigenvalues of op (size n) that are best by `which`. */
export function krylovSchur(
  op: MatVec,
  n: number,
  nev: number,
  options: KrylovSchurOptions & { maxProducts?: number } = {},
): KrylovSchurResult {
  const solver = new KrylovSchur(op, n, { ...options, maxNev: Math.max(nev, options.maxNev ?? 0) });
  return solver.solve(nev, options.maxProducts);
}
