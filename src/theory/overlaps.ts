import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InputError } from '../errors.js';
import type { StateLayout } from './state.js';

/**
 * The shared data model (architecture.md): order parameters of one network, float64, row-major.
 * Q = WWᵀ/d (K×K), R = WW*ᵀ/d (K×M), T = W*W*ᵀ/d (M×M), student readouts a (K), teacher readouts v (M).
 */
export interface Overlaps {
  K: number;
  M: number;
  Q: Float64Array;
  R: Float64Array;
  T: Float64Array;
  a: Float64Array;
  v: Float64Array;
}

/** Serialised form (the overlaps JSON file `ode --init` reads). */
export interface OverlapsJSON {
  Q: number[][];
  R: number[][];
  T?: number[][];
  a?: number[];
  v?: number[];
}

/** Relative tolerance for symmetry and for the PSD test of the joint Gram matrix (float32 networks included). */
export const GRAM_TOLERANCE = 1e-6;

export function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

/**
 * Q = I, R = 0, T = I, a = v = 1: the overlaps a Flow needs as its `fixed` part (teacher T, readouts v)
 * when the states themselves come from elsewhere (the k1 ansatz, random initialisations).
 */
export function teacherOnlyOverlaps(K: number, M: number): Overlaps {
  return { K, M, Q: identity(K), R: new Float64Array(K * M), T: identity(M), a: new Float64Array(K).fill(1), v: new Float64Array(M).fill(1) };
}

/**
 * Joint Gram matrix of students and teachers, Ω = [[Q, R], [Rᵀ, T]] (n = K+M, row-major): the covariance
 * of the field vector h (equations.md §0), exact at any d.
 */
export function fieldCovariance(o: Overlaps, out = new Float64Array((o.K + o.M) ** 2)): Float64Array {
  const { K, M } = o;
  const n = K + M;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) out[i * n + j] = o.Q[i * K + j];
    for (let m = 0; m < M; m++) {
      out[i * n + K + m] = o.R[i * M + m];
      out[(K + m) * n + i] = o.R[i * M + m];
    }
  }
  for (let m = 0; m < M; m++) for (let l = 0; l < M; l++) out[(K + m) * n + K + l] = o.T[m * M + l];
  return out;
}

/** Signed coefficients c = (a, −v) so that err = Σ_α c_α g(h_α) (equations.md §0). */
export function signedCoefficients(o: Overlaps, out = new Float64Array(o.K + o.M)): Float64Array {
  out.set(o.a, 0);
  for (let m = 0; m < o.M; m++) out[o.K + m] = -o.v[m];
  return out;
}

/** Pack (Q, R[, a]) into the ODE state vector of `layout` (equations.md §6). */
export function packOverlaps(o: Overlaps, layout: StateLayout, out = new Float64Array(layout.dim)): Float64Array {
  const { K, M } = o;
  for (let i = 0; i < K; i++) for (let j = i; j < K; j++) out[layout.q(i, j)] = o.Q[i * K + j];
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) out[layout.r(k, m)] = o.R[k * M + m];
  if (layout.withReadouts) for (let k = 0; k < K; k++) out[layout.a(k)] = o.a[k];
  return out;
}

/** Inverse of packOverlaps; T and v (and a when not trained) come from `fixed`. */
export function unpackOverlaps(x: Float64Array, layout: StateLayout, fixed: Overlaps): Overlaps {
  const { K, M } = layout;
  const Q = new Float64Array(K * K);
  const R = new Float64Array(K * M);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) Q[i * K + j] = x[layout.q(i, j)];
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) R[k * M + m] = x[layout.r(k, m)];
  const a = layout.withReadouts ? Float64Array.from({ length: K }, (_, k) => x[layout.a(k)]) : fixed.a.slice();
  return { K, M, Q, R, T: fixed.T.slice(), a, v: fixed.v.slice() };
}

function matrixFromJSON(value: unknown, rows: number, cols: number, where: string): Float64Array {
  if (!Array.isArray(value) || value.length !== rows) throw new InputError(where, `must be an array of ${rows} rows`);
  const out = new Float64Array(rows * cols);
  value.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row) || row.length !== cols) throw new InputError(`${where}[${i}]`, `must be an array of ${cols} numbers`);
    row.forEach((entry: unknown, j: number) => {
      if (typeof entry !== 'number' || !Number.isFinite(entry)) throw new InputError(`${where}[${i}][${j}]`, 'must be a finite number');
      out[i * cols + j] = entry;
    });
  });
  return out;
}

function vectorFromJSON(value: unknown, length: number, where: string): Float64Array {
  return matrixFromJSON([value], 1, length, where).subarray(0, length).slice();
}

function checkSymmetric(A: Float64Array, n: number, where: string): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const scale = Math.max(1, Math.abs(A[i * n + j]), Math.abs(A[j * n + i]));
      if (Math.abs(A[i * n + j] - A[j * n + i]) > GRAM_TOLERANCE * scale) {
        throw new InputError(`${where}[${i}][${j}]`, `matrix is not symmetric (${A[i * n + j]} vs ${A[j * n + i]})`);
      }
    }
  }
}

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

/**
 * Validate shapes, symmetry and realisability: the joint Gram matrix Ω must be positive semidefinite
 * (otherwise no weights have these overlaps, equations.md §6 "Realisability").
 */
export function validateOverlaps(o: Overlaps, where = 'overlaps'): void {
  checkSymmetric(o.Q, o.K, `${where}.Q`);
  checkSymmetric(o.T, o.M, `${where}.T`);
  const n = o.K + o.M;
  const omega = fieldCovariance(o);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(omega[i * n + i]));
  const lambdaMin = minEigenvalue(omega, n);
  if (lambdaMin < -GRAM_TOLERANCE * Math.max(1, scale)) {
    throw new InputError(where, `joint Gram matrix [[Q, R], [Rᵀ, T]] is not positive semidefinite (smallest eigenvalue ${lambdaMin.toExponential(3)}): no weights have these overlaps`);
  }
}

/** Parse and validate an overlaps JSON value; T defaults to I_M, a and v to ones. */
export function overlapsFromJSON(json: unknown, where = 'overlaps'): Overlaps {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(where, 'must be a JSON object with Q and R');
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!['Q', 'R', 'T', 'a', 'v'].includes(key)) throw new InputError(`${where}.${key}`, 'unknown key (expected Q, R, T, a, v)');
  }
  if (!Array.isArray(obj.Q) || obj.Q.length === 0) throw new InputError(`${where}.Q`, 'must be a non-empty K×K array');
  if (!Array.isArray(obj.R) || obj.R.length === 0 || !Array.isArray(obj.R[0])) throw new InputError(`${where}.R`, 'must be a non-empty K×M array');
  const K = obj.Q.length;
  const M = (obj.R[0] as unknown[]).length;
  if (M === 0) throw new InputError(`${where}.R`, 'must have at least one column (M ≥ 1)');
  const o: Overlaps = {
    K,
    M,
    Q: matrixFromJSON(obj.Q, K, K, `${where}.Q`),
    R: matrixFromJSON(obj.R, K, M, `${where}.R`),
    T: obj.T === undefined ? identity(M) : matrixFromJSON(obj.T, M, M, `${where}.T`),
    a: obj.a === undefined ? new Float64Array(K).fill(1) : vectorFromJSON(obj.a, K, `${where}.a`),
    v: obj.v === undefined ? new Float64Array(M).fill(1) : vectorFromJSON(obj.v, M, `${where}.v`),
  };
  validateOverlaps(o, where);
  return o;
}

function rowsOf(A: Float64Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from(A.subarray(i * cols, (i + 1) * cols)));
}

export function overlapsToJSON(o: Overlaps): Required<OverlapsJSON> {
  return {
    Q: rowsOf(o.Q, o.K, o.K),
    R: rowsOf(o.R, o.K, o.M),
    T: rowsOf(o.T, o.M, o.M),
    a: Array.from(o.a),
    v: Array.from(o.v),
  };
}
