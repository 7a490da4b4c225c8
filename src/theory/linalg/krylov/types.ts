/** The operator, options and results of the Krylov–Schur solver (krylov-schur.ts). */

/** out = A v. Must not keep references to v or out. */
export type MatVec = (v: Float64Array, out: Float64Array) => void;

/** Which end of the spectrum: largest real part, or largest modulus (for transformed operators). */
export type Which = 'largest-real' | 'largest-magnitude';

/** The ordering key of an eigenvalue re ± i·im for `which` (larger is better). */
export function spectralKey(which: Which, re: number, im: number): number {
  return which === 'largest-real' ? re : Math.hypot(re, im);
}

export interface KrylovSchurOptions {
  /** Dimension m of the Krylov space before a restart (default min(n, max(2·maxNev + 8, 24))). */
  ncv?: number;
  /** Largest nev that solve() will be asked for (sizes the default ncv); default 8. */
  maxNev?: number;
  /** Relative residual tolerance (see krylov-schur.ts); default 1e-10. */
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
