import { InputError } from '../model/errors.js';
import { GRAM_TOLERANCE, type Overlaps, fieldCovariance, identity } from '../model/overlaps.js';
import { minEigenvalue } from './linalg/eigen.js';

function matrixFromJSON(value: unknown, rows: number, cols: number, where: string): Float64Array {
  if (!Array.isArray(value) || value.length !== rows) throw new InputError(where, `must be an array of ${rows} rows`);
  const out = new Float64Array(rows * cols);
  value.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row) || row.length !== cols)
      throw new InputError(`${where}[${i}]`, `must be an array of ${cols} numbers`);
    row.forEach((entry: unknown, j: number) => {
      if (typeof entry !== 'number' || !Number.isFinite(entry))
        throw new InputError(`${where}[${i}][${j}]`, 'must be a finite number');
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
 * Validate shapes, symmetry and realisability: the joint Gram matrix Ω must be positive semidefinite
 * (otherwise no weights have these overlaps, docs/theory.md §6 "Realisability").
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
    throw new InputError(
      where,
      `joint Gram matrix [[Q, R], [Rᵀ, T]] is not positive semidefinite (smallest eigenvalue ${lambdaMin.toExponential(3)}): no weights have these overlaps`,
    );
  }
}

/** Parse and validate an overlaps JSON value; T defaults to I_M, a and v to ones. */
export function overlapsFromJSON(json: unknown, where = 'overlaps'): Overlaps {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InputError(where, 'must be a JSON object with Q and R');
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    // `fixedPoint` (fixed-points output) and `state` (stats states.jsonl) describe the point; they are not read.
    if (!['Q', 'R', 'T', 'a', 'v', 'fixedPoint', 'state'].includes(key))
      throw new InputError(`${where}.${key}`, 'unknown key (expected Q, R, T, a, v)');
  }
  if (!Array.isArray(obj.Q) || obj.Q.length === 0) throw new InputError(`${where}.Q`, 'must be a non-empty K×K array');
  if (!Array.isArray(obj.R) || obj.R.length === 0 || !Array.isArray(obj.R[0]))
    throw new InputError(`${where}.R`, 'must be a non-empty K×M array');
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
