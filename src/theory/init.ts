import { InputError } from '../model/errors.js';
import { NormalSampler } from '../random/normal.js';
import type { ConstraintName } from '../model/optimizer.js';
import { flowDefinition } from './flows/index.js';
import { type Overlaps, identity } from '../model/overlaps.js';

/**
 * Orthonormalise the `rows` rows of W (rows×d, row-major) in place, in float64, by modified Gram–Schmidt
 * applied twice ("twice is enough": one pass leaves O(ε·cond) loss of orthogonality), and scale them
 * to norm √d so that their Gram matrix /d is I. Requires rows ≤ d (and full row rank, which holds with
 * probability 1 for Gaussian rows).
 */
export function orthonormaliseRows(W: Float64Array, rows: number, d: number): Float64Array {
  if (rows > d) throw new RangeError(`orthonormal rows need rows <= d (rows = ${rows}, d = ${d})`);
  for (let pass = 0; pass < 2; pass++) {
    for (let m = 0; m < rows; m++) {
      const row = m * d;
      for (let p = 0; p < m; p++) {
        const prev = p * d;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += W[row + i] * W[prev + i];
        for (let i = 0; i < d; i++) W[row + i] -= dot * W[prev + i];
      }
      let norm2 = 0;
      for (let i = 0; i < d; i++) norm2 += W[row + i] * W[row + i];
      const inv = 1 / Math.sqrt(norm2);
      for (let i = 0; i < d; i++) W[row + i] *= inv;
    }
  }
  const scale = Math.sqrt(d);
  for (let i = 0; i < rows * d; i++) W[i] *= scale;
  return W;
}

/** A fresh M×d standard-normal matrix from `sampler`, orthonormalised (orthonormaliseRows): T = I (§0). */
export function orthonormalTeacher(M: number, d: number, sampler: NormalSampler): Float64Array {
  return orthonormaliseRows(sampler.fill(new Float64Array(M * d)), M, d);
}

/** Scale each row of W (rows×d) to norm √d (the sphere |w_k|² = d of ngd, docs/theory.md §4.4). */
function normaliseRows(W: Float64Array, rows: number, d: number): void {
  for (let k = 0; k < rows; k++) {
    let norm2 = 0;
    for (let i = 0; i < d; i++) norm2 += W[k * d + i] * W[k * d + i];
    const scale = Math.sqrt(d / norm2);
    for (let i = 0; i < d; i++) W[k * d + i] *= scale;
  }
}

/**
 * Where the random students live: unconstrained N(0, 1) rows, on the sphere |w_k|² = d (ngd, §4.4:
 * Q_kk = 1) or on the Stiefel manifold WWᵀ = dI (ongd, §4.5: Q = I).
 */
export type StudentConstraint = ConstraintName;

export function studentConstraintOf(flow: string): StudentConstraint {
  return flowDefinition(flow).constraint;
}

/**
 * Row Gram matrix A Bᵀ/norm of row-major A (rowsA×d) and B (rowsB×d), float64. The default norm = d is
 * the overlap definition (§0); norm = 1 gives the plain product A Bᵀ.
 */
export function rowGram(
  A: Float64Array,
  rowsA: number,
  B: Float64Array,
  rowsB: number,
  d: number,
  norm = d,
): Float64Array {
  const G = new Float64Array(rowsA * rowsB);
  for (let i = 0; i < rowsA; i++) {
    for (let j = 0; j < rowsB; j++) {
      let dot = 0;
      for (let x = 0; x < d; x++) dot += A[i * d + x] * B[j * d + x];
      G[i * rowsB + j] = dot / norm;
    }
  }
  return G;
}

/** Σ_x A[a + x]·B[b + x] over x = 0, …, d − 1 in this order (float32 entries are read exactly as float64). */
function rowDot(A: ArrayLike<number>, a: number, B: ArrayLike<number>, b: number, d: number): number {
  let dot = 0;
  for (let x = 0; x < d; x++) dot += A[a + x] * B[b + x];
  return dot;
}

/**
 * Gram matrix AAᵀ/d (§0) of the `rows` rows of length d of A starting at `offset`: only the upper triangle
 * is summed, then mirrored, so it is exactly symmetric (§7.3). Each entry is the same sum, in the same
 * order, as rowGram's (a product of two doubles does not depend on the order of its factors).
 */
export function symmetricGram(A: ArrayLike<number>, offset: number, rows: number, d: number): Float64Array {
  const G = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      G[i * rows + j] = rowDot(A, offset + i * d, A, offset + j * d, d) / d;
      G[j * rows + i] = G[i * rows + j];
    }
  }
  return G;
}

/**
 * Overlaps (§0) of the K×d student rows of W starting at `offset` (e.g. one seed's block of an ensemble's
 * float32 weights) and the teacher W* (M×d) whose Gram T = W*W*ᵀ/d is passed in, computed once for a fixed
 * teacher and shared, not copied: Q = WWᵀ/d (symmetricGram), R = WW*ᵀ/d (the sums of rowGram); a = v = 1.
 */
export function studentOverlaps(
  W: ArrayLike<number>,
  offset: number,
  Wstar: Float64Array,
  T: Float64Array,
  K: number,
  M: number,
  d: number,
): Overlaps {
  const R = new Float64Array(K * M);
  for (let k = 0; k < K; k++) {
    for (let m = 0; m < M; m++) R[k * M + m] = rowDot(W, offset + k * d, Wstar, m * d, d) / d;
  }
  return {
    K,
    M,
    Q: symmetricGram(W, offset, K, d),
    R,
    T,
    a: new Float64Array(K).fill(1),
    v: new Float64Array(M).fill(1),
  };
}

/** Overlaps of student weights W (K×d) and teacher weights W* (M×d), row-major: Q, R, T (§0); a = v = 1. */
export function overlapsFromWeights(W: Float64Array, Wstar: Float64Array, K: number, M: number, d: number): Overlaps {
  return studentOverlaps(W, 0, Wstar, symmetricGram(Wstar, 0, M, d), K, M, d);
}

/**
 * Random initial overlaps (issue 2 "Initial conditions"): standard-normal student weights W (K×d, drawn
 * first, row-major; projected onto the sphere or the Stiefel manifold when `constraint` asks) and an
 * orthonormal teacher (M×d, drawn next from the same seeded stream), at finite d. d = K is the
 * Safran–Shamir setting. Q = I, R = 0 exactly is an invariant symmetric manifold of the flow, so this
 * finite-d noise is what lets the dynamics leave it. T (and Q_kk for the sphere, Q for Stiefel) are set
 * to their exact constrained values, which the float64 orthonormalisation reproduces to round-off;
 * a = v = 1.
 */
export function randomOverlaps(
  K: number,
  M: number,
  d: number,
  seed: number,
  where = '--init-d',
  constraint: StudentConstraint = 'none',
): Overlaps {
  if (!(Number.isInteger(d) && d >= 1)) throw new InputError(where, `must be a positive integer, got ${d}`);
  if (M > d) throw new InputError(where, `must be at least M = ${M} (an orthonormal teacher needs M <= d), got ${d}`);
  if (constraint === 'stiefel' && K > d)
    throw new InputError(where, `must be at least K = ${K} (orthonormal students, WWᵀ = dI, need K <= d), got ${d}`);
  const sampler = new NormalSampler(seed);
  const W = sampler.fill(new Float64Array(K * d));
  if (constraint === 'sphere') normaliseRows(W, K, d);
  if (constraint === 'stiefel') orthonormaliseRows(W, K, d);
  const Wstar = orthonormalTeacher(M, d, sampler);
  const overlaps = overlapsFromWeights(W, Wstar, K, M, d);
  overlaps.T = identity(M);
  if (constraint === 'sphere') for (let k = 0; k < K; k++) overlaps.Q[k * K + k] = 1;
  if (constraint === 'stiefel') overlaps.Q = identity(K);
  return overlaps;
}
