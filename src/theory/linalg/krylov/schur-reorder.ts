import { blockEigenvalue, blockSize } from './schur-blocks.js';
import { type Which, spectralKey } from './types.js';

/**
 * Reordering of a real Schur form T = Zᵀ A Z (row-major, leading dimension ld; Z accumulates the
 * orthogonal transformations) by swaps of adjacent diagonal blocks, so that the wanted eigenvalues come
 * first: the Krylov–Schur restart.
 */

const EPS = Number.EPSILON;

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
export class SwapWork {
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
    return spectralKey(which, ev[0], ev[1]);
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
