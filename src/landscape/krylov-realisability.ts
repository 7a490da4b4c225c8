import type { KrylovSchurResult, RitzPair } from '../theory/linalg/krylov/types.js';
import { symmetricEigen } from '../theory/linalg/eigen.js';
import type { Eigenvalue, RealisabilityTest } from './stability.js';

/*
 * Realisability tags of the Ritz values of the Krylov stability check (stability-krylov.ts): per vector
 * as analyseStability does, and per cluster of numerically equal eigenvalues where that depends on the
 * basis a solver returns (docs/theory.md §6 "Realisability").
 */

export interface KrylovEigenvalue extends Eigenvalue {
  /** Ritz residual ‖J y − λ y‖ for the unit Ritz vector y. */
  residual: number;
  converged: boolean;
}

/**
 * Ritz values closer than CLUSTER·‖J‖_est are one cluster for the realisability test (≈ 9e-7 at
 * K = M = 17, 4e-7 at 8). Exact multiplicities (the permutation symmetry of the families) come out
 * split by ~1e-11 – 1e-10 (finite-difference noise, Ritz error ≤ tol·‖J‖ ≈ 1e-8 for well-conditioned
 * eigenvalues), far inside; merging eigenvalues that truly differ by less than ~1e-6 only tests an
 * approximately invariant span, whose growth rates the stability cut (1e-6) cannot tell apart anyway.
 */
const CLUSTER = 1e-7;

export interface TaggedEigenvalue extends KrylovEigenvalue {
  pair: RitzPair;
  /** A realisable real direction for this eigenvalue (Re y, Im y, or a combination within its cluster). */
  realVector?: Float64Array;
}

const dotF = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/**
 * Realisable directions in the span of the real vectors v_1..v_p of a cluster of (numerically) equal
 * eigenvalues. Testing eigenvectors one by one (analyseStability) depends on the basis a solver
 * happens to return for a multiple eigenvalue: at the K = M families Ω is singular and an eigenspace
 * of the Lyapunov growth of S = Q − RRᵀ is {U C Uᵀ : C symmetric}, whose generic members are
 * indefinite although it contains the semidefinite U C Uᵀ, C ⪰ 0. Two tests, each verified with
 * RealisabilityTest on the combination it proposes:
 * - a PD element: with P an orthonormal basis of the joint range of the Z_i, the least-squares
 *   combination Z* = Σ c_i PᵀZ_iP closest to the identity; if Z* is positive definite (λ_min > 1e-3
 *   λ_max), the PSD members of the span form a full-dimensional cone, so the span has a basis of
 *   realisable directions: all p count;
 * - tangent directions: combinations with ‖Σ c_i Z_i‖_F ≤ cone (the Z_i are scaled by max|δΩ| as in
 *   RealisabilityTest, so this is its tolerance), i.e. Gram eigenvalues ≤ cone²; each counts.
 * A span whose only semidefinite members are singular on the joint range (and not tangent) is not
 * detected: then only the per-vector tests count.
 */
function clusterRealisability(
  test: RealisabilityTest,
  vectors: Float64Array[],
  cone: number,
): { count: number; combination: Float64Array | null } {
  const p = vectors.length;
  const k = test.nullity;
  const Z = vectors.map((v) => test.compression.compress(v) ?? new Float64Array(k * k));
  const combine = (c: ArrayLike<number>) => {
    const w = new Float64Array(vectors[0].length);
    for (let i = 0; i < p; i++) for (let r = 0; r < w.length; r++) w[r] += c[i] * vectors[i][r];
    return w;
  };
  // Joint range of the Z_i: eigenvectors of Σ Z_i Z_iᵀ.
  const A = new Float64Array(k * k);
  for (const z of Z)
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += z[a * k + c] * z[b * k + c];
        A[a * k + b] += s;
      }
  const range = symmetricEigen(A, k);
  const top = Math.max(...range.values);
  if (!(top > 0)) return { count: p, combination: vectors[0] };
  const cols = range.values.flatMap((v, i) => (v > 1e-10 * top ? [i] : []));
  const r = cols.length;
  // Zr = Vᵀ Z V with V (k×r) the range basis, as two products (O(k²r), not O(k²r²): K = M = 100 has k ≈ 100).
  const V = new Float64Array(k * r);
  for (let i = 0; i < k; i++) for (let a = 0; a < r; a++) V[i * r + a] = range.vectors.get(i, cols[a]);
  const ZV = new Float64Array(k * r);
  const Zr = Z.map((z) => {
    ZV.fill(0);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        const zij = z[i * k + j];
        for (let b = 0; b < r; b++) ZV[i * r + b] += zij * V[j * r + b];
      }
    const out = new Float64Array(r * r);
    for (let i = 0; i < k; i++)
      for (let a = 0; a < r; a++) {
        const via = V[i * r + a];
        for (let b = 0; b < r; b++) out[a * r + b] += via * ZV[i * r + b];
      }
    return out;
  });
  // Gram matrix of the compressed Z_i; its eigenvectors give the least-squares combination and the tangent ones.
  const G = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) G[i * p + j] = dotF(Zr[i], Zr[j]);
  const gram = symmetricEigen(G, p);
  const gmax = Math.max(...gram.values);
  const trace = Zr.map((z) => {
    let t = 0;
    for (let a = 0; a < r; a++) t += z[a * r + a];
    return t;
  });
  const c = new Float64Array(p);
  for (let e = 0; e < p; e++) {
    const mu = gram.values[e];
    if (!(mu > 1e-12 * gmax)) continue;
    let proj = 0;
    for (let i = 0; i < p; i++) proj += gram.vectors.get(i, e) * trace[i];
    for (let i = 0; i < p; i++) c[i] += (gram.vectors.get(i, e) * proj) / mu;
  }
  const zStar = new Float64Array(r * r);
  for (let i = 0; i < p; i++) for (let q = 0; q < r * r; q++) zStar[q] += c[i] * Zr[i][q];
  const star = symmetricEigen(zStar, r).values;
  if (Math.min(...star) > 1e-3 * Math.max(...star)) {
    const w = combine(c);
    if (test.isRealisable(Array.from(w))) return { count: p, combination: w };
  }
  let count = 0;
  let combination: Float64Array | null = null;
  const tangent = Math.max(1e-12 * gmax, cone * cone);
  for (let e = 0; e < p; e++) {
    if (gram.values[e] > tangent) continue;
    const w = combine(Array.from({ length: p }, (_, i) => gram.vectors.get(i, e)));
    if (test.isRealisable(Array.from(w))) {
      count++;
      combination ??= w;
    }
  }
  return { count, combination };
}

/**
 * Tag Ritz values realisable top-down, as analyseStability does — down to the first realisable one,
 * and all with Re ≥ −tol — but per cluster of numerically equal eigenvalues (|Δλ| ≤ CLUSTER·‖J‖_est,
 * single linkage) rather than per vector: each vector is tested (RealisabilityTest, as the dense code does),
 * and where Ω is singular the cluster's span is tested as a whole (clusterRealisability); the larger
 * count of realisable directions is tagged on the cluster's eigenvalues in order.
 */
export function tagRealisable(
  result: KrylovSchurResult,
  test: RealisabilityTest,
  tol: number,
  cone: number,
): TaggedEigenvalue[] {
  const clusterTol = CLUSTER * result.normEstimate;
  const sorted = [...result.pairs].sort((a, b) => b.re - a.re || b.im - a.im);
  // Groups: one per Ritz vector (a real eigenvalue, or both members of a complex pair).
  const groups: RitzPair[][] = [];
  for (const pair of sorted) {
    const g = groups.find((q) => q[0].vector === pair.vector);
    if (g) g.push(pair);
    else groups.push([pair]);
  }
  const clusters: RitzPair[][][] = [];
  for (const g of groups) {
    const near = (h: RitzPair[]) => Math.hypot(h[0].re - g[0].re, Math.abs(h[0].im) - Math.abs(g[0].im)) <= clusterTol;
    const last = clusters[clusters.length - 1];
    if (last !== undefined && last.some(near)) last.push(g);
    else clusters.push([g]);
  }
  const out: TaggedEigenvalue[] = [];
  let foundRealisable = false;
  for (const cluster of clusters) {
    const entries = cluster.flat();
    const base = (pair: RitzPair) => ({
      re: pair.re,
      im: pair.im,
      residual: pair.residual,
      converged: pair.converged,
      pair,
    });
    if (foundRealisable && entries.every((e) => e.re < -tol)) {
      out.push(...entries.map(base));
      continue;
    }
    // Per vector, as stability.ts: the real or the imaginary part of a complex eigenvector.
    const perVector = cluster.map((g) => {
      if (test.isRealisable(Array.from(g[0].vector))) return g[0].vector;
      const imag = g[0].imag;
      return imag !== null && test.isRealisable(Array.from(imag)) ? imag : null;
    });
    const tags: (Float64Array | null)[] = cluster.flatMap((g, i) => g.map(() => perVector[i]));
    const vectors = cluster.flatMap((g) => (g[0].imag === null ? [g[0].vector] : [g[0].vector, g[0].imag]));
    if (test.nullity > 0 && vectors.length >= 2) {
      const { count, combination } = clusterRealisability(test, vectors, cone);
      let tagged = tags.filter((t) => t !== null).length;
      for (let i = 0; i < tags.length && tagged < count && combination !== null; i++) {
        if (tags[i] !== null) continue;
        tags[i] = combination;
        tagged++;
      }
    }
    entries.forEach((pair, i) => {
      const v = tags[i];
      out.push(v === null ? { ...base(pair), realisable: false } : { ...base(pair), realisable: true, realVector: v });
    });
    foundRealisable ||= tags.some((t) => t !== null);
  }
  return out;
}
