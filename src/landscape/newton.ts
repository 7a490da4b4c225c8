import { LuDecomposition, Matrix } from 'ml-matrix';
import type { Flow } from '../theory/flow.js';
import { maxAbs } from '../theory/solvers/types.js';
import { FreeCoordinates } from './free-coordinates.js';
import { JACOBIAN_STEP, type VectorField, centralDifferenceJacobian } from './jacobian.js';

/** Default target of max|F| (issue 5: "residual to 1e-12"); round-off in one rhs is ~1e-14 at K = M = 20. */
export const NEWTON_TOLERANCE = 1e-12;
export const NEWTON_MAX_ITERATIONS = 60;

export interface NewtonOptions {
  /** Stop when max_i |F_i| ≤ tolerance. */
  tolerance?: number;
  maxIterations?: number;
  /** Relative central-difference step of the Jacobian (JACOBIAN_STEP). */
  jacobianStep?: number;
}

/**
 * - converged: max|F| ≤ tolerance.
 * - stalled: no damped step decreases |F|² any more (a local minimum of |F|² that is not a root, or
 *   the round-off floor above the tolerance).
 * - max-iterations: the iteration budget ran out while still decreasing.
 * - non-finite: F is not finite at the start.
 */
export type NewtonStatus = 'converged' | 'stalled' | 'max-iterations' | 'non-finite';

export interface RootResult {
  y: Float64Array;
  /** max_i |F_i(y)|. */
  residual: number;
  iterations: number;
  status: NewtonStatus;
}

/** Largest Marquardt damping relative to max diag(JᵀJ) before the iteration is declared stalled. */
const MAX_RELATIVE_DAMPING = 1e14;
/** First damping tried after a rejected undamped step, relative to max diag(JᵀJ). */
const FIRST_RELATIVE_DAMPING = 1e-8;

function sumSquares(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

/** Linear algebra of one Jacobian, built lazily: LU of J for Newton steps, JᵀJ for damped steps. */
class LinearisedSystem {
  private lu: LuDecomposition | null = null;
  private normal: Matrix | null = null;
  readonly scale: number;

  constructor(readonly J: Matrix) {
    let scale = 0;
    for (let j = 0; j < J.columns; j++) {
      let column = 0;
      for (let i = 0; i < J.rows; i++) column += J.get(i, j) ** 2;
      scale = Math.max(scale, column);
    }
    /** max diag(JᵀJ): the scale of the Marquardt damping. */
    this.scale = scale;
  }

  /** Newton step −J⁻¹F (by LU, reused across chord steps), or null when J is singular. */
  newtonStep(f: Float64Array): Float64Array | null {
    this.lu ??= new LuDecomposition(this.J);
    if (this.lu.isSingular()) return null;
    return Float64Array.from(this.lu.solve(Matrix.columnVector(Array.from(f, (v) => -v))).getColumn(0));
  }

  /** Levenberg–Marquardt step −(JᵀJ + μ diag(JᵀJ))⁻¹JᵀF, or null when singular. */
  dampedStep(f: Float64Array, mu: number): Float64Array | null {
    this.normal ??= this.J.transpose().mmul(this.J);
    const A = this.normal.clone();
    const n = A.rows;
    // Marquardt's scaling by diag(JᵀJ), floored so that a zero column still gets damped.
    for (let i = 0; i < n; i++) A.set(i, i, A.get(i, i) + mu * Math.max(A.get(i, i), 1e-12 * this.scale));
    const lu = new LuDecomposition(A);
    if (lu.isSingular()) return null;
    const rhs = this.J.transpose().mmul(Matrix.columnVector(Array.from(f, (v) => -v)));
    return Float64Array.from(lu.solve(rhs).getColumn(0));
  }
}

/** Chord steps reuse one LU while each cuts |F|² by at least this factor (|F| roughly halves). */
const CHORD_CONTRACTION = 0.25;
/** At most this many chord steps per Jacobian. */
const MAX_CHORD_STEPS = 8;

/**
 * Solve F(y) = 0 (F: Rⁿ → Rⁿ) by Newton's method with Levenberg–Marquardt damping. Each iteration
 * forms a central-difference Jacobian (jacobian.ts, 2n evaluations of F) and tries the undamped Newton
 * step first (quadratic convergence near a regular root); when that fails to decrease |F|², the
 * damping μ grows ×10 (towards short gradient-descent steps on |F|², which always decrease it) and
 * shrinks ÷10 after each success. After an accepted Newton step the same LU is reused for further
 * "chord" steps (Shamanskii's method) while they contract |F| quickly: near a root a Jacobian costs
 * 2n evaluations of F and an O(n³) factorisation, a chord step one evaluation and two triangular solves.
 */
export function levenbergMarquardt(F: VectorField, y0: Float64Array, options: NewtonOptions = {}): RootResult {
  const tolerance = options.tolerance ?? NEWTON_TOLERANCE;
  const maxIterations = options.maxIterations ?? NEWTON_MAX_ITERATIONS;
  const step = options.jacobianStep ?? JACOBIAN_STEP;
  const n = y0.length;
  let y = Float64Array.from(y0);
  let f = new Float64Array(n);
  F(y, f);
  let residual = maxAbs(f);
  if (!Number.isFinite(residual)) return { y, residual, iterations: 0, status: 'non-finite' };
  let phi = sumSquares(f);
  let mu = 0;
  const trialF = new Float64Array(n);
  /** Try y + delta; keep it when |F|² < threshold. */
  const tryStep = (delta: Float64Array | null, threshold: number): boolean => {
    if (delta === null) return false;
    const trial = new Float64Array(n);
    for (let i = 0; i < n; i++) trial[i] = y[i] + delta[i];
    F(trial, trialF);
    const trialPhi = sumSquares(trialF);
    if (!(trialPhi < threshold)) return false;
    y = trial;
    f = Float64Array.from(trialF);
    phi = trialPhi;
    residual = maxAbs(f);
    return true;
  };
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (residual <= tolerance) return { y, residual, iterations: iteration, status: 'converged' };
    const system = new LinearisedSystem(centralDifferenceJacobian(F, y, n, step));
    // A zero or non-finite Jacobian gives no descent direction (and no scale for the damping).
    if (!(system.scale > 0 && Number.isFinite(system.scale)))
      return { y, residual, iterations: iteration, status: 'stalled' };
    for (;;) {
      const accepted = tryStep(mu === 0 ? system.newtonStep(f) : system.dampedStep(f, mu), phi);
      if (accepted) break;
      mu = mu === 0 ? FIRST_RELATIVE_DAMPING * system.scale : mu * 10;
      if (!(mu <= MAX_RELATIVE_DAMPING * system.scale)) {
        return { y, residual, iterations: iteration + 1, status: residual <= tolerance ? 'converged' : 'stalled' };
      }
    }
    if (mu === 0) {
      for (let chord = 0; chord < MAX_CHORD_STEPS && residual > tolerance; chord++) {
        if (!tryStep(system.newtonStep(f), CHORD_CONTRACTION * phi)) break;
      }
    }
    mu = mu <= FIRST_RELATIVE_DAMPING * system.scale ? 0 : mu / 10;
  }
  return { y, residual, iterations: maxIterations, status: residual <= tolerance ? 'converged' : 'max-iterations' };
}

export interface FixedPointResult {
  /** The packed state (constrained coordinates untouched). */
  x: Float64Array;
  /** max|F| over the free coordinates (= over all coordinates: the others vanish identically). */
  residual: number;
  iterations: number;
  status: NewtonStatus;
  loss: number;
}

/**
 * Newton–Levenberg–Marquardt on F(x) = flow.rhs(x) = 0 over the free coordinates of the flow
 * (free-coordinates.ts), from any packed start x0 (an ODE end point, an overlaps file, an ansatz
 * guess). Do not call it at the global minimum: the Jacobian is singular there (docs/theory.md §7.4).
 */
export function solveFixedPoint(flow: Flow, x0: Float64Array, options: NewtonOptions = {}): FixedPointResult {
  const free = new FreeCoordinates(flow, x0);
  const result = levenbergMarquardt((y, out) => free.residual(y, out), free.restrict(x0), options);
  const x = free.embed(result.y);
  return { x, residual: result.residual, iterations: result.iterations, status: result.status, loss: flow.loss(x) };
}
