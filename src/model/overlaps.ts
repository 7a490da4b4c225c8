import type { StateLayout } from './state-layout.js';

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
  return {
    K,
    M,
    Q: identity(K),
    R: new Float64Array(K * M),
    T: identity(M),
    a: new Float64Array(K).fill(1),
    v: new Float64Array(M).fill(1),
  };
}

/**
 * Joint Gram matrix of students and teachers, Ω = [[Q, R], [Rᵀ, T]] (n = K+M, row-major): the covariance
 * of the field vector h (docs/theory.md §0), exact at any d.
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

/** Signed coefficients c = (a, −v) so that err = Σ_α c_α g(h_α) (docs/theory.md §0). */
export function signedCoefficients(o: Overlaps, out = new Float64Array(o.K + o.M)): Float64Array {
  out.set(o.a, 0);
  for (let m = 0; m < o.M; m++) out[o.K + m] = -o.v[m];
  return out;
}

/** Pack (Q, R[, a]) into the ODE state vector of `layout` (docs/theory.md §6). */
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
