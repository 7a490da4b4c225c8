import { InputError } from '../../model/errors.js';
import { rowGram } from '../init.js';
import { type Overlaps, fieldCovariance } from '../../model/overlaps.js';
import { symmetricEigen } from '../linalg/eigen.js';

/**
 * A point of the weight-space landscape in the normalisation V = W/√d (docs/hessian.md): student rows
 * V (K×d), teacher rows V* (M×d), both row-major, readouts a (K) and v (M). Then the field covariance
 * is Ω = UUᵀ with U = [V; V*] (no 1/d): Q = VVᵀ, R = VV*ᵀ, T = V*V*ᵀ are exactly the overlaps of
 * docs/theory.md §0, and L(V) = ½E[(Σ_k a_k relu(v_k·x) − Σ_m v_m relu(v*_m·x))²] with x ~ N(0, I_d).
 */
export interface WeightPoint {
  K: number;
  M: number;
  d: number;
  V: Float64Array;
  Vstar: Float64Array;
  a: Float64Array;
  v: Float64Array;
}

/** U = [V; V*] (n×d, row-major, n = K + M): rows u_γ in the field order of docs/theory.md §0. */
export function stackedRows(p: WeightPoint, out = new Float64Array((p.K + p.M) * p.d)): Float64Array {
  out.set(p.V.subarray(0, p.K * p.d), 0);
  out.set(p.Vstar.subarray(0, p.M * p.d), p.K * p.d);
  return out;
}

/** The overlaps (Q, R, T, a, v) of a weight point: Q = VVᵀ, R = VV*ᵀ, T = V*V*ᵀ. */
export function overlapsOfPoint(p: WeightPoint): Overlaps {
  const { K, M, d } = p;
  const Q = rowGram(p.V, K, p.V, K, d, 1);
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) Q[j * K + i] = Q[i * K + j];
  const T = rowGram(p.Vstar, M, p.Vstar, M, d, 1);
  for (let i = 0; i < M; i++) for (let j = i + 1; j < M; j++) T[j * M + i] = T[i * M + j];
  return { K, M, Q, R: rowGram(p.V, K, p.Vstar, M, d, 1), T, a: p.a.slice(), v: p.v.slice() };
}

/**
 * Eigenvalues of Ω at or below this fraction of the largest count as zero when realising overlaps:
 * Newton-polished K = M fixed points have Ω's null-space eigenvalues at ~1e-12 (stability.ts nullSpace).
 */
export const REALISE_RANK_TOLERANCE = 1e-9;

export interface Realisation {
  point: WeightPoint;
  /** Numerical rank r of Ω (the smallest admissible d). */
  rank: number;
  /** Largest eigenvalue of Ω dropped as zero (its size is the realisation error of Ω), and the most negative one. */
  droppedMax: number;
  minEigenvalue: number;
}

/**
 * Weights at dimension d ≥ rank(Ω) realising given overlaps: Ω = UUᵀ with U = E_r √Λ_r (the r
 * eigenpairs above REALISE_RANK_TOLERANCE·λ_max), padded with zero columns to d. This is
 * perturb.ts `realiseWeights` with two differences that the Hessian needs: V-units (Ω = UUᵀ, no 1/d)
 * and any d ≥ r rather than d ≥ K + M, so that the K = M families (rank Ω = M) can be realised at
 * d = K as in the Safran–Shamir / Arjevani–Field setting. The factor is unique up to an orthogonal
 * transformation of R^d, under which the loss and the Hessian spectrum are invariant.
 */
export function realiseAtDimension(o: Overlaps, d?: number): Realisation {
  const { K, M } = o;
  const n = K + M;
  const { values, vectors } = symmetricEigen(fieldCovariance(o), n);
  const lambdaMax = Math.max(...values);
  const keep = values.flatMap((l, i) => (l > REALISE_RANK_TOLERANCE * Math.max(lambdaMax, 0) ? [i] : []));
  const rank = keep.length;
  const dim = d ?? rank;
  if (!(Number.isInteger(dim) && dim >= rank))
    throw new InputError('d', `must be an integer >= rank(Ω) = ${rank}, got ${dim}`);
  const U = new Float64Array(n * dim);
  keep.forEach((col, c) => {
    const s = Math.sqrt(values[col]);
    for (let i = 0; i < n; i++) U[i * dim + c] = vectors.get(i, col) * s;
  });
  const dropped = values.filter((_, i) => !keep.includes(i));
  const point: WeightPoint = {
    K,
    M,
    d: dim,
    V: U.slice(0, K * dim),
    Vstar: U.slice(K * dim),
    a: o.a.slice(),
    v: o.v.slice(),
  };
  return { point, rank, droppedMax: dropped.length ? Math.max(...dropped) : 0, minEigenvalue: Math.min(...values) };
}

/** The point with every row padded by zero columns to dimension d ≥ p.d (the same function of x's first p.d coordinates). */
export function padDimension(p: WeightPoint, d: number): WeightPoint {
  if (d < p.d) throw new InputError('d', `cannot pad from ${p.d} down to ${d}`);
  const pad = (A: Float64Array, rows: number) => {
    const out = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) out.set(A.subarray(r * p.d, (r + 1) * p.d), r * d);
    return out;
  };
  return { ...p, d, V: pad(p.V, p.K), Vstar: pad(p.Vstar, p.M), a: p.a.slice(), v: p.v.slice() };
}

/** The Arjevani–Field global minimum at k = d: V = V* = I_K, a = v = 1. */
export function identityGlobalMinimum(K: number): WeightPoint {
  const I = new Float64Array(K * K);
  for (let i = 0; i < K; i++) I[i * K + i] = 1;
  return {
    K,
    M: K,
    d: K,
    V: I.slice(),
    Vstar: I.slice(),
    a: new Float64Array(K).fill(1),
    v: new Float64Array(K).fill(1),
  };
}
