import { EigenvalueDecomposition } from 'ml-matrix';
import { THRESHOLDS } from '../model/config.js';
import type { Flow } from '../theory/flow.js';
import { fieldCovariance } from '../model/overlaps.js';
import { symmetricEigen } from '../theory/linalg/eigen.js';
import { FreeCoordinates } from './free-coordinates.js';
import { JACOBIAN_STEP, centralDifferenceJacobian } from './jacobian.js';

/**
 * Defaults (η = 1 time units; the eigenvalue tolerance scales with the flow's η):
 * - zeroLoss 1e-9 (THRESHOLDS.zeroLoss): docs/theory.md §7.4 treats |L| < 1e-9 as 0; there the Jacobian is singular
 *   (√(1−ρ²) terms), so no Jacobian is formed and the verdict is `global-minimum`.
 * - zeroEigenvalue 1e-6: central-difference Jacobian entries carry ~1e-10 error (jacobian.ts), which a
 *   non-normal matrix can amplify by a few orders in its eigenvalues; the slowest physical directions
 *   are ~−3e-3 at K = M = 17 (issue 5), far above this.
 * - nullSpace 1e-7: an eigenvalue of Ω below 1e-7·max(1, λ_max) counts as zero. At the K = M families
 *   Ω has an exact null space (Q = RRᵀ); after a Newton solve to |F| ~ 1e-12 its numerical eigenvalues
 *   are ~1e-12/|λ_slow| ≲ 1e-9.
 * - cone 1e-6: relative tolerance of the semidefiniteness test of the compressed direction below.
 */
export const STABILITY_DEFAULTS = {
  zeroLoss: THRESHOLDS.zeroLoss,
  zeroEigenvalue: 1e-6,
  nullSpace: 1e-7,
  cone: 1e-6,
} as const;

export interface StabilityOptions {
  zeroLoss?: number;
  zeroEigenvalue?: number;
  nullSpace?: number;
  cone?: number;
  jacobianStep?: number;
}

export interface Eigenvalue {
  re: number;
  im: number;
  /**
   * The eigendirection (or, for a complex pair, its real or imaginary part) is a realisable perturbation.
   * Undefined when not tested: the test (an eigen-decomposition per direction) is run only for
   * Re λ ≥ −tol and down to the first realisable eigenvalue, which is all the verdict and
   * maxRealEigenvalue need.
   */
  realisable?: boolean;
}

/** stable: every realisable eigenvalue has Re λ < −tol; saddle: some realisable Re λ > tol; degenerate: otherwise. */
export type Verdict = 'global-minimum' | 'stable' | 'saddle' | 'degenerate';

export interface StabilityReport {
  verdict: Verdict;
  loss: number;
  /** Sorted by decreasing real part; empty at the global minimum. */
  eigenvalues: Eigenvalue[];
  /** Realisable eigenvalues with Re λ > tol. */
  nUnstable: number;
  /** Eigenvalues with Re λ > tol whose direction leaves the PSD cone of Ω (not counted above). */
  nUnrealisableUnstable: number;
  /** Realisable eigenvalues with |Re λ| ≤ tol. */
  nZero: number;
  /** Largest real part among realisable eigenvalues (NaN at the global minimum). */
  maxRealEigenvalue: number;
  /** Dimension of the null space of Ω (0 when Ω is positive definite). */
  gramNullity: number;
}

/**
 * Z = Nᵀ δΩ(v) N, the compression of a direction's δΩ onto the null space N of Ω (docs/theory.md §6
 * "Realisability"): N holds the eigenvectors of Ω with eigenvalues ≤ nullTolerance·max(1, λ_max).
 * RealisabilityTest decides single vectors with it; the Krylov check (krylov-realisability.ts) also
 * tests whole eigenspaces.
 */
export class NullSpaceCompression {
  /** Dimension k of the null space of Ω (0 when Ω is positive definite). */
  readonly nullity: number;
  /** N (n × k, row-major). */
  private readonly N: Float64Array;
  private readonly n: number;

  constructor(
    private readonly flow: Flow,
    x: Float64Array,
    private readonly free: FreeCoordinates,
    nullTolerance: number,
  ) {
    const n = flow.n;
    this.n = n;
    const { values, vectors } = symmetricEigen(fieldCovariance(flow.unpack(x)), n);
    const threshold = nullTolerance * Math.max(1, ...values);
    const columns = values.flatMap((v, i) => (v <= threshold ? [i] : []));
    const k = columns.length;
    this.nullity = k;
    this.N = new Float64Array(n * k);
    columns.forEach((c, j) => {
      for (let i = 0; i < n; i++) this.N[i * k + j] = vectors.get(i, c);
    });
  }

  /**
   * Z (k × k, row-major) of the free-coordinate direction v, symmetrised and divided by max|δΩ|; null
   * when δΩ = 0. Formed as (Nᵀ δΩ) N with every sum in index order.
   */
  compress(v: Float64Array): Float64Array | null {
    const { n, nullity: k, N } = this;
    const M = this.flow.layout.M;
    const delta = this.free.embed(v, new Float64Array(this.flow.layout.dim));
    // δΩ of the direction: its Q and R blocks; T is fixed, so its block is zero.
    const dOmega = fieldCovariance({ ...this.flow.unpack(delta), T: new Float64Array(M * M) });
    const scale = dOmega.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
    if (scale === 0) return null;
    const left = new Float64Array(k * n);
    for (let a = 0; a < k; a++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += N[i * k + a] * dOmega[i * n + j];
        left[a * n + j] = s;
      }
    const Z = new Float64Array(k * k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += left[a * n + j] * N[j * k + b];
        Z[a * k + b] = s;
      }
    const z = new Float64Array(k * k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) z[a * k + b] = (0.5 * (Z[a * k + b] + Z[b * k + a])) / scale;
    return z;
  }
}

/**
 * Realisability of a state-space direction (docs/theory.md §6 "Realisability"). Only perturbations with
 * Ω + εδΩ ⪰ 0 for small ε > 0 correspond to weights. Where Ω is positive definite every direction is
 * realisable. Where it has a null space N (the K = M families: students in the teacher span), Ω + εδΩ
 * stays PSD to first order iff Z = Nᵀ δΩ N ⪰ 0; an eigendirection v and −v are the same direction of
 * the linear flow, so v is realisable iff Z is semidefinite of either sign. (Directions tangent to
 * the rank-deficient set have Z = 0. For the Lyapunov-type growth dS/dt = αS + Sαᵀ of the Schur
 * complement S = Q − RRᵀ, the eigendirections v_i v_iᵀ are semidefinite and v_i v_jᵀ + v_j v_iᵀ are not,
 * so this test keeps exactly the growth rates a weight perturbation can excite.)
 */
export class RealisabilityTest {
  readonly compression: NullSpaceCompression;
  readonly nullity: number;

  constructor(
    flow: Flow,
    x: Float64Array,
    free: FreeCoordinates,
    nullTolerance: number,
    private readonly coneTolerance: number,
  ) {
    this.compression = new NullSpaceCompression(flow, x, free, nullTolerance);
    this.nullity = this.compression.nullity;
  }

  /** Is the free-coordinate direction v realisable (as v or −v)? */
  isRealisable(v: number[]): boolean {
    if (this.nullity === 0) return true;
    const z = this.compression.compress(Float64Array.from(v));
    if (z === null) return true;
    const { values } = symmetricEigen(z, this.nullity);
    return Math.min(...values) >= -this.coneTolerance || Math.max(...values) <= this.coneTolerance;
  }
}

/**
 * Linear stability of a fixed point x of `flow` (docs/theory.md §6): eigenvalues of the central-
 * difference Jacobian of F on the free coordinates (ml-matrix, nonsymmetric), each tagged realisable
 * or not (RealisabilityTest). Never forms the Jacobian at the global minimum (§7.4).
 */
export function analyseStability(flow: Flow, x: Float64Array, options: StabilityOptions = {}): StabilityReport {
  const o = { ...STABILITY_DEFAULTS, ...options };
  const loss = flow.loss(x);
  const free = new FreeCoordinates(flow, x);
  if (Math.abs(loss) < o.zeroLoss) {
    return {
      verdict: 'global-minimum',
      loss,
      eigenvalues: [],
      nUnstable: 0,
      nUnrealisableUnstable: 0,
      nZero: 0,
      maxRealEigenvalue: Number.NaN,
      gramNullity: 0,
    };
  }
  const y = free.restrict(x);
  const J = centralDifferenceJacobian(
    (yy, out) => free.residual(yy, out),
    y,
    free.size,
    options.jacobianStep ?? JACOBIAN_STEP,
  );
  const eig = new EigenvalueDecomposition(J);
  const re = eig.realEigenvalues;
  const im = eig.imaginaryEigenvalues;
  const V = eig.eigenvectorMatrix;
  const test = new RealisabilityTest(flow, x, free, o.nullSpace, o.cone);
  const tol = o.zeroEigenvalue * flow.lr;
  const order = re.map((_, i) => i).sort((a, b) => re[b] - re[a]);
  let foundRealisable = false;
  const eigenvalues: Eigenvalue[] = order.map((i) => {
    if (re[i] < -tol && foundRealisable) return { re: re[i], im: im[i] };
    // ml-matrix (JAMA) stores a complex pair at columns i, i+1 as its real and imaginary parts.
    const partner = im[i] > 0 ? i + 1 : i - 1;
    const realisable = test.isRealisable(V.getColumn(i)) || (im[i] !== 0 && test.isRealisable(V.getColumn(partner)));
    foundRealisable ||= realisable;
    return { re: re[i], im: im[i], realisable };
  });
  const realisable = eigenvalues.filter((e) => e.realisable === true);
  const nUnstable = realisable.filter((e) => e.re > tol).length;
  const nUnrealisableUnstable = eigenvalues.filter((e) => e.realisable === false && e.re > tol).length;
  const nZero = realisable.filter((e) => Math.abs(e.re) <= tol).length;
  const verdict: Verdict = nUnstable > 0 ? 'saddle' : nZero > 0 ? 'degenerate' : 'stable';
  const maxRealEigenvalue = realisable.length > 0 ? realisable[0].re : Number.NaN;
  return {
    verdict,
    loss,
    eigenvalues,
    nUnstable,
    nUnrealisableUnstable,
    nZero,
    maxRealEigenvalue,
    gramNullity: test.nullity,
  };
}
