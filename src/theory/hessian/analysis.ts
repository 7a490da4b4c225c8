import { InputError } from '../../model/errors.js';
import type { Overlaps } from '../../model/overlaps.js';
import { symmetricEigen } from '../linalg/eigen.js';
import {
  type Contact,
  FD_HESSIAN_STEP,
  type HessianOptions,
  finiteDifferenceHessian,
  parameterCount,
  reluContacts,
  reluHessian,
  reluWeightGradient,
  reluWeightLoss,
} from './relu-hessian.js';
import { type EigenvalueGroup, groupEigenvalues, symmetricEigenvalues } from './spectrum.js';
import { REALISE_RANK_TOLERANCE, type WeightPoint, realiseAtDimension } from './weights.js';

/**
 * The weight-space Hessian of a point given by its overlaps, and what its spectrum says (the `hessian`
 * command; docs/theory.md §17 for the convention V = W/√d, docs/hessian.md for the derivations).
 */
export type HessianMethod = 'exact' | 'fd';
export const HESSIAN_METHODS: readonly HessianMethod[] = ['exact', 'fd'];

/**
 * Default tolerances, relative to the spectral scale s = max|λ| (1 if H = 0). An eigenvalue with
 * |λ| ≤ zero·s counts as zero; sorted eigenvalues closer than cluster·s are chained into one group
 * (spectrum.ts groupEigenvalues).
 * - exact: the closed form is accurate to ~1e-13·s, and at a Newton-polished critical point
 *   (|∇L| ~ 1e-12) a rotation zero mode has |λ| ~ |∇L| (docs/hessian.md "Zero modes": H(Av) = A∇L), so
 *   1e-8 separates zeros from the smallest genuine curvatures (≥ 3e-3 at the K = M = 8 k1 = 2 minimum).
 * - fd: central differences with h = FD_HESSIAN_STEP·|v_k| are accurate to ~1e-10·s away from contacts,
 *   but at a contact (zero or (anti)parallel vectors, where L is not C³) only to O(h): exactly h/2π at
 *   V = V* = I (measured 1.6e-6), 4.8e-6 at a K = 4 saddle with coincident students. 1e-5 covers that.
 */
export const SPECTRUM_TOLERANCES: Readonly<Record<HessianMethod, { zero: number; cluster: number }>> = {
  exact: { zero: 1e-8, cluster: 1e-8 },
  fd: { zero: 1e-5, cluster: 1e-5 },
};

/**
 * Largest number of parameters P = K·d (+K) of a Hessian spectrum: the dense P×P eigendecomposition costs
 * O(P³) (K = d = 20, P = 400, takes well under a second; P = 1200 about half a minute).
 */
export const MAX_PARAMETERS = 1200;

/** |∇L| at or below this (absolute) and the summary calls the point critical (Newton-polished points reach ~1e-12). */
export const CRITICAL_GRADIENT = 1e-8;

export interface WeightRealisation {
  point: WeightPoint;
  /** r = rank Ω and r* = rank T (the teacher rows' rank), at REALISE_RANK_TOLERANCE. */
  rank: number;
  teacherRank: number;
  /** Largest eigenvalue of Ω dropped as zero: the realisation error of Ω. */
  droppedMax: number;
}

/** Numerical rank of a PSD matrix at REALISE_RANK_TOLERANCE·λ_max (the same rule as realiseAtDimension). */
function psdRank(A: Float64Array, n: number): number {
  const { values } = symmetricEigen(A, n);
  const top = Math.max(0, ...values);
  return values.filter((l) => l > REALISE_RANK_TOLERANCE * top).length;
}

/**
 * Weights realising `o` at dimension d (default rank Ω). Everything that would make the Hessian
 * undefined is an InputError here, before any computation: d < rank (naming `dFlag`), and a zero
 * student (|v_k|² ≤ REALISE_RANK_TOLERANCE·max Ω_ii: L is not differentiable there, docs/hessian.md "Regularity"; naming `fromFlag`).
 */
export function realiseForHessian(
  o: Overlaps,
  d: number | undefined,
  dFlag: string,
  fromFlag: string,
): WeightRealisation {
  let r: ReturnType<typeof realiseAtDimension>;
  try {
    r = realiseAtDimension(o, d);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(dFlag, err.message.replace(/^d: /, ''));
    throw err;
  }
  const { point } = r;
  // "Zero" in the sense of the rank rule: |v_k|² at or below REALISE_RANK_TOLERANCE × the largest diagonal of Ω.
  const diagonal = [
    ...Array.from({ length: o.K }, (_, k) => o.Q[k * o.K + k]),
    ...Array.from({ length: o.M }, (_, m) => o.T[m * o.M + m]),
  ];
  const floor = REALISE_RANK_TOLERANCE * Math.max(...diagonal);
  for (let k = 0; k < o.K; k++) {
    let s = 0;
    for (let i = 0; i < point.d; i++) s += point.V[k * point.d + i] ** 2;
    if (s <= floor)
      throw new InputError(
        fromFlag,
        `student ${k} is the zero vector (Q[${k}][${k}] = ${o.Q[k * o.K + k]}): the loss is not differentiable there, no Hessian`,
      );
  }
  return { point, rank: r.rank, teacherRank: psdRank(o.T, o.M), droppedMax: r.droppedMax };
}

/**
 * Rotations of R^d fixing span(V*) pointwise leave L invariant; their orbit through V has dimension
 * (d − r)(r − r*) + (r − r*)(r − r* − 1)/2 (docs/hessian.md "Zero modes"), all zero modes at a critical
 * point. With the readouts as parameters (gd2l) the K rescalings a_k → t a_k, v_k → v_k/t (ReLU is
 * positively homogeneous) add K more.
 */
export function predictedZeroModes(
  d: number,
  rank: number,
  teacherRank: number,
  K: number,
  readouts: boolean,
): { rotations: number; rescalings: number; total: number } {
  const s = rank - teacherRank;
  const rotations = (d - rank) * s + (s * (s - 1)) / 2;
  const rescalings = readouts ? K : 0;
  return { rotations, rescalings, total: rotations + rescalings };
}

export interface HessianAnalysis {
  /** Number of parameters P = K·d (+ K with readouts). */
  size: number;
  /** All P eigenvalues, ascending. */
  eigenvalues: number[];
  groups: EigenvalueGroup[];
  loss: number;
  gradientNorm: number;
  contacts: Contact[];
  /** Absolute tolerances used (relative tolerance × scale). */
  scale: number;
  zeroTolerance: number;
  clusterTolerance: number;
  counts: { negative: number; zero: number; positive: number };
  /** The Hessian itself (P×P row-major) for callers that need eigenvectors (arcs). */
  H: Float64Array;
}

export interface AnalysisOptions extends HessianOptions {
  method: HessianMethod;
  /** Relative tolerances (default SPECTRUM_TOLERANCES[method]). */
  zero?: number;
  cluster?: number;
  /** Central-difference step of method fd (default FD_HESSIAN_STEP). */
  step?: number;
}

/** Hessian (closed form or central differences of the exact gradient), its spectrum, counts and clusters. */
export function analyseHessian(p: WeightPoint, options: AnalysisOptions): HessianAnalysis {
  const hopts: HessianOptions = { readouts: options.readouts ?? false };
  const size = parameterCount(p, hopts);
  const H =
    options.method === 'exact'
      ? reluHessian(p, hopts).H
      : finiteDifferenceHessian(p, hopts, options.step ?? FD_HESSIAN_STEP);
  const eigenvalues = symmetricEigenvalues(H, size);
  const g = reluWeightGradient(p, hopts);
  let g2 = 0;
  for (const x of g) g2 += x * x;
  const scale = Math.max(...eigenvalues.map(Math.abs)) || 1;
  const tol = SPECTRUM_TOLERANCES[options.method];
  const zeroTolerance = (options.zero ?? tol.zero) * scale;
  const clusterTolerance = (options.cluster ?? tol.cluster) * scale;
  const counts = { negative: 0, zero: 0, positive: 0 };
  for (const l of eigenvalues) {
    if (Math.abs(l) <= zeroTolerance) counts.zero++;
    else if (l < 0) counts.negative++;
    else counts.positive++;
  }
  return {
    size,
    eigenvalues,
    groups: groupEigenvalues(eigenvalues, clusterTolerance),
    loss: reluWeightLoss(p),
    gradientNorm: Math.sqrt(g2),
    contacts: reluContacts(p),
    scale,
    zeroTolerance,
    clusterTolerance,
    counts,
    H,
  };
}
