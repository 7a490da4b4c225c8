/**
 * Small dense symmetric eigenproblems without allocation, for the per-step polar retraction of the
 * exact population-GD map (gd-map.ts). ml-matrix's EigenvalueDecomposition allocates a few objects per
 * call; here the caller owns every buffer.
 */

/** Sweeps after which cyclic Jacobi stops even if not converged (it converges quadratically: ~6–10 suffice). */
const MAX_SWEEPS = 60;

/**
 * Cyclic Jacobi eigen-decomposition A = V diag(λ) Vᵀ of a symmetric K×K matrix (Golub & Van Loan,
 * Matrix Computations, §8.5, Algorithms 8.5.1–8.5.3). `a` (row-major) is overwritten (it ends
 * diagonal); `values` (K) receives λ; `vectors` (K×K, row-major) receives V, eigenvectors as columns.
 * Stops when the off-diagonal mass is below ε² of the total (relative accuracy ~1e-16 in each λ).
 */
export function jacobiEigen(a: Float64Array, K: number, values: Float64Array, vectors: Float64Array): void {
  vectors.fill(0);
  for (let i = 0; i < K; i++) vectors[i * K + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let total = 0;
    for (let p = 0; p < K; p++) {
      total += a[p * K + p] * a[p * K + p];
      for (let q = p + 1; q < K; q++) off += a[p * K + q] * a[p * K + q];
    }
    if (!(off > 1e-32 * (total + 2 * off))) break;
    for (let p = 0; p < K - 1; p++) {
      for (let q = p + 1; q < K; q++) rotate(a, vectors, K, p, q);
    }
  }
  for (let i = 0; i < K; i++) values[i] = a[i * K + i];
}

/** One Jacobi rotation J(p, q, θ) zeroing a_pq: A ← JᵀAJ, V ← VJ (GVL Algorithm 8.5.1, sym.schur2). */
function rotate(a: Float64Array, v: Float64Array, K: number, p: number, q: number): void {
  const apq = a[p * K + q];
  if (apq === 0) return;
  const theta = (a[q * K + q] - a[p * K + p]) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
  const c = 1 / Math.sqrt(1 + t * t);
  const s = t * c;
  for (let k = 0; k < K; k++) {
    const akp = a[k * K + p];
    const akq = a[k * K + q];
    a[k * K + p] = c * akp - s * akq;
    a[k * K + q] = s * akp + c * akq;
  }
  for (let k = 0; k < K; k++) {
    const apk = a[p * K + k];
    const aqk = a[q * K + k];
    a[p * K + k] = c * apk - s * aqk;
    a[q * K + k] = s * apk + c * aqk;
  }
  a[p * K + q] = 0;
  a[q * K + p] = 0;
  for (let k = 0; k < K; k++) {
    const vkp = v[k * K + p];
    const vkq = v[k * K + q];
    v[k * K + p] = c * vkp - s * vkq;
    v[k * K + q] = s * vkp + c * vkq;
  }
}

/** Workspace of inverseSqrtSymmetric for K×K matrices. */
export class SymmetricWorkspace {
  readonly matrix: Float64Array;
  readonly values: Float64Array;
  readonly vectors: Float64Array;

  constructor(readonly K: number) {
    this.matrix = new Float64Array(K * K);
    this.values = new Float64Array(K);
    this.vectors = new Float64Array(K * K);
  }
}

/** Eigenvalues at or below this fraction of the largest count as zero (A is then rank-deficient). */
const RANK_TOLERANCE = 1e-12;

/**
 * out = A^{-1/2} = V diag(λ^{-1/2}) Vᵀ for a symmetric positive definite K×K matrix A (row-major; only
 * read, through ½(A + Aᵀ)). Returns false (out untouched) unless every eigenvalue is finite and above
 * RANK_TOLERANCE × the largest: the polar retraction W ← (WWᵀ/d)^{-1/2} W needs rank K (docs/theory.md §4.5).
 */
export function inverseSqrtSymmetric(A: Float64Array, out: Float64Array, work: SymmetricWorkspace): boolean {
  const { K, matrix, values, vectors } = work;
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) matrix[i * K + j] = 0.5 * (A[i * K + j] + A[j * K + i]);
  for (let i = 0; i < K * K; i++) if (!Number.isFinite(matrix[i])) return false;
  jacobiEigen(matrix, K, values, vectors);
  let largest = 0;
  for (let e = 0; e < K; e++) largest = Math.max(largest, values[e]);
  for (let e = 0; e < K; e++) {
    if (!(values[e] > RANK_TOLERANCE * largest && values[e] < Infinity)) return false;
    values[e] = 1 / Math.sqrt(values[e]);
  }
  for (let i = 0; i < K; i++) {
    for (let j = i; j < K; j++) {
      let s = 0;
      for (let e = 0; e < K; e++) s += vectors[i * K + e] * values[e] * vectors[j * K + e];
      out[i * K + j] = s;
      out[j * K + i] = s;
    }
  }
  return true;
}
