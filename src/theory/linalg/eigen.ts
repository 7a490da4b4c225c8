import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/**
 * Eigenvalues and eigenvectors (as columns) of a symmetric n×n matrix, row-major (ml-matrix; n ≤ a few
 * dozen here). The allocation-free Jacobi of symmetric-eigen.ts serves the per-step hot path instead.
 */
export function symmetricEigen(A: Float64Array, n: number): { values: number[]; vectors: Matrix } {
  const eig = new EigenvalueDecomposition(Matrix.from1DArray(n, n, A.subarray(0, n * n)), { assumeSymmetric: true });
  return { values: eig.realEigenvalues, vectors: eig.eigenvectorMatrix };
}

/** Smallest eigenvalue of a symmetric n×n matrix (row-major). */
export function minEigenvalue(A: Float64Array, n: number): number {
  return Math.min(...symmetricEigen(A, n).values);
}
