import type { Flow } from '../theory/flow.js';
import { KrylovSchur } from '../theory/linalg/krylov/krylov-schur.js';
import type { KrylovSchurResult } from '../theory/linalg/krylov/types.js';
import { fieldCovariance } from '../model/overlaps.js';
import { minEigenvalue } from '../theory/linalg/eigen.js';
import { FreeCoordinates } from './free-coordinates.js';
import { JACOBIAN_STEP } from './jacobian.js';
import { type KrylovEigenvalue, type TaggedEigenvalue, tagRealisable } from './krylov-realisability.js';
import { RealisabilityTest, STABILITY_DEFAULTS, type StabilityOptions, type Verdict } from './stability.js';

/**
 * Matrix-free linear stability of a fixed point (issue #9): the rightmost eigenvalues of the Jacobian
 * of F on the free coordinates by Krylov–Schur (src/theory/linalg/krylov/), from Jacobian–vector
 * products of F by central differences, with the realisability test of stability.ts. It answers what
 * analyseStability answers for a non-global point — verdict, the largest realisable real part, the
 * unstable and marginal realisable directions — plus the leading unstable direction, at a few hundred
 * right-hand sides instead of an O(n³) dense nonsymmetric eigendecomposition.
 *
 * Products, not a transformed operator: at K = M = 17 (bench/stability.ts) Krylov–Schur on J itself
 * converged the 6 rightmost eigenvalues in 57–125 products; Chebyshev filters T_d(J) on
 * [1.02 λ_min, −0.05] needed 600–2400, exp(TJ) by RK4 steps 5000–31000, and shift-invert needs the
 * dense Jacobian (2n right-hand sides, n = 442) plus an LU. The Krylov space of J contains every
 * polynomial filter of its degree, and exact-shift restarts pick a near-optimal one; a fixed
 * transformation spends products on a worse polynomial (Taylor steps are far from minimax on the stiff
 * interval [−9, −0.04]), and shifts J + σI leave the Krylov space unchanged. The rightmost eigenvalues
 * are an isolated end of the spectrum: the Chebyshev rate exp(−2√(δ/Δ)) per product, δ ≈ 0.035 (gap
 * below the wanted ones), Δ ≈ 9 (spread), predicts ≈ 160 products to 1e-9 — as measured.
 *
 * Defaults beyond STABILITY_DEFAULTS (same zeroLoss / zeroEigenvalue / nullSpace / cone):
 * - tol 1e-9: Ritz residual ≤ tol·‖J‖_est (‖J‖_est ≈ |λ_min| ≈ 9 at K = M = 17, so ≈ 1e-8 absolute).
 *   One central-difference product has an error ≈ 1e-9 at K = M = 17 (measured against a Richardson
 *   reference: h² truncation ≈ 1e3·h² ≈ 1e-9 at h = 1e-6, round-off ε|F|/h below it), so the
 *   residual cannot go much below ~1e-9; 10× above that floor, and two orders below the marginal
 *   tolerance zeroEigenvalue = 1e-6, so that |Re λ| is resolved far better than the stable /
 *   degenerate / unstable cut needs.
 * - nev 6, maxNev 24, ncv max(40, maxNev + 16) = 40: the Krylov space is sized once for the largest request;
 *   the wanted count starts at nev and doubles (continuing the same decomposition) while the
 *   rightmost nev do not yet reach below −zeroEigenvalue or contain no realisable direction.
 * - maxProducts 4000 (8000 right-hand sides, ≈ 0.5–1 s at K = M = 17 with the orthogonalisation;
 *   typical runs use 60–250): a run that needs more is reported as not complete rather than looping.
 * - multiplicityRounds 0: counts of multiple eigenvalues are lower bounds unless rounds are asked for.
 */
export const KRYLOV_STABILITY_DEFAULTS = {
  ...STABILITY_DEFAULTS,
  tol: 1e-9,
  nev: 6,
  maxNev: 24,
  maxProducts: 4000,
  seed: 1,
  multiplicityRounds: 0,
} as const;

export interface KrylovStabilityOptions extends StabilityOptions {
  tol?: number;
  nev?: number;
  maxNev?: number;
  /** Krylov space dimension (default max(40, maxNev + 16), at most the number of free coordinates). */
  ncv?: number;
  maxProducts?: number;
  seed?: number;
  /**
   * Extra deflated rounds from fresh random vectors after convergence (KrylovSchur.restartFresh), to
   * resolve further copies of multiple eigenvalues right of −tol; stops early when a round finds none.
   */
  multiplicityRounds?: number;
  /** Start vector on the free coordinates (default: seeded random). */
  start?: Float64Array;
}

/**
 * analyseStability's verdicts, plus `undetermined`: no realisable direction among the computed
 * eigenvalues (all of the rightmost maxNev leave the PSD cone of Ω) or the iteration hit maxProducts
 * before certifying anything. Seen only at degenerate points with coincident units (|ρ| = 1, where the
 * Jacobian is not defined, §7.4: the K = M = 8 families with L ≥ 1.2 have up to 40 unrealisable
 * unstable directions); a caller can fall back to the dense analysis there.
 */
export type KrylovVerdict = Verdict | 'undetermined';

export interface EscapeDirection {
  /** Re λ of the leading unstable realisable eigenvalue (the growth rate along it). */
  rate: number;
  imag: number;
  /**
   * Unit direction in the packed state (zero on constrained coordinates): the eigenvector (for a
   * complex pair its real part, or its imaginary part when only that is realisable). Signed so that x + ε·direction keeps Ω ⪰ 0 to first order when Ω is
   * singular (the K = M families); otherwise its largest component is positive.
   */
  direction: Float64Array;
}

export interface KrylovStabilityReport {
  verdict: KrylovVerdict;
  loss: number;
  /** The computed rightmost eigenvalues, by decreasing real part (empty at the global minimum). */
  eigenvalues: KrylovEigenvalue[];
  /** Realisable computed eigenvalues with Re λ > tol (a lower bound when a multiple eigenvalue is only partly resolved). */
  nUnstable: number;
  nUnrealisableUnstable: number;
  /** Realisable computed eigenvalues with |Re λ| ≤ tol. */
  nZero: number;
  /** Largest real part among realisable eigenvalues (NaN at the global minimum or if none was found). */
  maxRealEigenvalue: number;
  gramNullity: number;
  /** The leading unstable realisable direction (null unless the verdict is saddle). */
  escape: EscapeDirection | null;
  /**
   * All wanted Ritz values converged, the last of them has Re λ < −tol and a realisable one was found:
   * every eigenvalue right of −tol (up to the multiplicity caveat of Krylov methods) is in the list.
   */
  complete: boolean;
  /** Jacobian–vector products, right-hand-side evaluations (2 per product) and restarts used. */
  products: number;
  rhsEvaluations: number;
  restarts: number;
}

/**
 * v ↦ J v for J = ∂F/∂y on the free coordinates at y0, by the central difference
 * (F(y0 + h v) − F(y0 − h v)) / 2h with h = step·max(1, ‖y0‖∞)/‖v‖∞, so that the largest coordinate
 * moves by the step jacobian.ts uses per column (1e-6, relative). Error per product at K = M = 17
 * (measured at a k1 = 5 saddle, ‖Jv‖ ≈ 2): ≈ 1e-9 at h = 1e-6 — the h² truncation term (third
 * derivatives ~1e3 from the √(1−ρ²) terms of units close to alignment) and the round-off ε|F|/h
 * balance near there (h = 1e-7: 3e-9, h = 1e-5: 1e-7). A forward difference would halve the cost
 * but its error is O(h|F''|): 4e-6 at h = 1e-6, at best 7e-8 at h = 1e-8 — 70× worse, and the
 * product becomes visibly nonlinear in v, capping the attainable Ritz residual near 1e-7, too close
 * to the 1e-6 marginal tolerance. Allocation-free after construction.
 */
export class JacobianVectorProduct {
  readonly size: number;
  evaluations = 0;
  private readonly y0: Float64Array;
  private readonly yp: Float64Array;
  private readonly ym: Float64Array;
  private readonly fp: Float64Array;
  private readonly fm: Float64Array;
  private readonly scale: number;

  constructor(
    private readonly free: FreeCoordinates,
    y0: Float64Array,
    private readonly step = JACOBIAN_STEP,
  ) {
    this.size = free.size;
    this.y0 = Float64Array.from(y0);
    this.yp = new Float64Array(this.size);
    this.ym = new Float64Array(this.size);
    this.fp = new Float64Array(this.size);
    this.fm = new Float64Array(this.size);
    let m = 1;
    for (let i = 0; i < this.size; i++) m = Math.max(m, Math.abs(y0[i]));
    this.scale = m;
  }

  readonly apply = (v: Float64Array, out: Float64Array): void => {
    const n = this.size;
    let vmax = 0;
    for (let i = 0; i < n; i++) vmax = Math.max(vmax, Math.abs(v[i]));
    if (vmax === 0) {
      out.fill(0);
      return;
    }
    const h = (this.step * this.scale) / vmax;
    for (let i = 0; i < n; i++) {
      this.yp[i] = this.y0[i] + h * v[i];
      this.ym[i] = this.y0[i] - h * v[i];
    }
    this.free.residual(this.yp, this.fp);
    this.free.residual(this.ym, this.fm);
    this.evaluations += 2;
    const inv = 1 / (2 * h);
    for (let i = 0; i < n; i++) out[i] = (this.fp[i] - this.fm[i]) * inv;
  };
}

/** Unit packed direction of a free-coordinate vector, signed as EscapeDirection documents. */
function escapeDirection(
  flow: Flow,
  x: Float64Array,
  free: FreeCoordinates,
  v: Float64Array,
  gramNullity: number,
): Float64Array {
  const d = new Float64Array(flow.layout.dim);
  let norm = 0;
  for (let i = 0; i < free.size; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  let big = 0;
  for (let i = 0; i < free.size; i++) {
    d[free.indices[i]] = v[i] / norm;
    if (Math.abs(v[i]) > Math.abs(big)) big = v[i];
  }
  let sign = big < 0 ? -1 : 1;
  if (gramNullity > 0) {
    // Which of ±d keeps Ω PSD: compare λ_min(Ω) a small step along each (first order: ε·λ(Z), Z as in RealisabilityTest).
    const eps = 1e-4;
    const n = flow.n;
    const lambda = (s: number) => {
      const xs = Float64Array.from(x);
      for (let i = 0; i < xs.length; i++) xs[i] += s * eps * d[i];
      return minEigenvalue(fieldCovariance(flow.unpack(xs)), n);
    };
    sign = lambda(1) >= lambda(-1) ? 1 : -1;
  }
  if (sign < 0) for (let i = 0; i < d.length; i++) d[i] = -d[i];
  return d;
}

/**
 * Linear stability of a fixed point x of `flow` by Krylov–Schur on Jacobian–vector products (see the
 * module comment). Mirrors analyseStability: |L| < zeroLoss → global-minimum (no Jacobian, §7.4);
 * otherwise eigenvalues are tagged realisable (RealisabilityTest: δΩ keeps Ω ⪰ 0 on its null space)
 * from the right, down to the first realisable one and through all with Re λ ≥ −tol — per vector as
 * the dense code does, and per cluster of equal eigenvalues where that is basis-dependent
 * (tagRealisable); saddle iff a realisable Re λ > tol, degenerate iff otherwise a realisable
 * |Re λ| ≤ tol, else stable, with tol = zeroEigenvalue·η (1e-6: marginal eigenvalues are those with
 * |Re λ| ≤ 1e-6, listed and counted in nZero, as in analyseStability); `undetermined` when no
 * realisable eigenvalue was found among maxNev. The wanted count grows (nev → 2·nev, ≤ maxNev) until
 * the rightmost computed eigenvalues reach below −tol and include a realisable one.
 *
 * A Krylov method started from one vector resolves one direction per eigenvalue at a time; copies of
 * an exactly multiple eigenvalue (the permutation symmetry of the families makes these common) enter
 * only through rounding and may be missed, so nUnstable / nZero count the directions found (≥ 1 per
 * distinct unstable eigenvalue). The verdict, maxRealEigenvalue and escape do not depend on this.
 */
export function analyseStabilityKrylov(
  flow: Flow,
  x: Float64Array,
  options: KrylovStabilityOptions = {},
): KrylovStabilityReport {
  const o = { ...KRYLOV_STABILITY_DEFAULTS, ...options };
  const loss = flow.loss(x);
  const empty = {
    eigenvalues: [],
    nUnstable: 0,
    nUnrealisableUnstable: 0,
    nZero: 0,
    escape: null,
    products: 0,
    rhsEvaluations: 0,
    restarts: 0,
  };
  if (Math.abs(loss) < o.zeroLoss)
    return { verdict: 'global-minimum', loss, ...empty, maxRealEigenvalue: Number.NaN, gramNullity: 0, complete: true };
  const free = new FreeCoordinates(flow, x);
  const y = free.restrict(x);
  const jvp = new JacobianVectorProduct(free, y, o.jacobianStep ?? JACOBIAN_STEP);
  const test = new RealisabilityTest(flow, x, free, o.nullSpace, o.cone);
  const tol = o.zeroEigenvalue * flow.lr;
  const size = free.size;
  const maxNev = Math.min(o.maxNev, Math.max(1, size - 2));
  const solver = new KrylovSchur(jvp.apply, size, {
    ncv: o.ncv ?? Math.max(40, maxNev + 16),
    maxNev,
    tol: o.tol,
    seed: o.seed,
    ...(o.start ? { start: o.start } : {}),
  });
  let nev = Math.min(o.nev, maxNev);
  let result: KrylovSchurResult;
  let tagged: TaggedEigenvalue[];
  let complete: boolean;
  for (;;) {
    result = solver.solve(nev, o.maxProducts);
    tagged = tagRealisable(result, test, tol, o.cone);
    const reachedBelow = tagged.length > 0 && tagged[tagged.length - 1].re < -tol;
    const found = tagged.some((e) => e.realisable === true);
    complete = result.status === 'converged' && reachedBelow && found;
    if (complete || result.status !== 'converged' || nev >= maxNev || nev >= size) break;
    nev = Math.min(2 * nev, maxNev);
  }
  // Optional deflated rounds from fresh random vectors: each can add one more copy of every multiple
  // eigenvalue right of −tol (the counts, not the verdict, depend on these).
  const rightOf = (list: TaggedEigenvalue[]) => list.filter((e) => e.re >= -tol).length;
  for (let round = 0; round < o.multiplicityRounds && complete; round++) {
    const before = rightOf(tagged);
    const nevRound = Math.min(maxNev, tagged.length + Math.max(2, before));
    if (nevRound <= tagged.length) break;
    solver.restartFresh();
    const next = solver.solve(nevRound, o.maxProducts);
    if (next.status !== 'converged') break;
    const nextTagged = tagRealisable(next, test, tol, o.cone);
    result = next;
    tagged = nextTagged;
    if (rightOf(tagged) === before) break;
  }
  const realisable = tagged.filter((e) => e.realisable === true);
  const nUnstable = realisable.filter((e) => e.re > tol).length;
  const nUnrealisableUnstable = tagged.filter((e) => e.realisable === false && e.re > tol).length;
  const nZero = realisable.filter((e) => Math.abs(e.re) <= tol).length;
  // A converged realisable unstable Ritz pair is proof of a saddle whatever else happened. Otherwise the
  // list must have converged and contain a realisable eigenvalue (then everything right of it, and so
  // every unstable or marginal direction, is in it) to tell degenerate from stable.
  const certainSaddle = realisable.some((e) => e.re > tol && e.converged);
  const decided = result.status === 'converged' && realisable.length > 0;
  const verdict: KrylovVerdict =
    certainSaddle || (decided && nUnstable > 0)
      ? 'saddle'
      : !decided
        ? 'undetermined'
        : nZero > 0
          ? 'degenerate'
          : 'stable';
  const leading = realisable.length > 0 ? realisable[0] : null;
  const escape: EscapeDirection | null =
    verdict === 'saddle' && leading !== null && leading.realVector !== undefined
      ? {
          rate: leading.re,
          imag: Math.abs(leading.im),
          direction: escapeDirection(flow, x, free, leading.realVector, test.nullity),
        }
      : null;
  return {
    verdict,
    loss,
    eigenvalues: tagged.map(({ pair: _pair, realVector: _v, ...e }) => e),
    nUnstable,
    nUnrealisableUnstable,
    nZero,
    maxRealEigenvalue: leading !== null ? leading.re : Number.NaN,
    gramNullity: test.nullity,
    escape,
    complete,
    products: result.products,
    rhsEvaluations: jvp.evaluations,
    restarts: result.restarts,
  };
}
