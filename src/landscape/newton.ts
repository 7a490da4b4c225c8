import type { Flow } from '../theory/flow.js';
import { LuFactorisation } from '../theory/linalg/lu.js';
import { maxAbs } from '../theory/solvers/types.js';
import { FreeCoordinates } from './free-coordinates.js';
import type { VectorField } from './jacobian.js';

/** Default target of max|F| (issue 5: "residual to 1e-12"); round-off in one rhs is ~1e-14 at K = M = 20. */
export const NEWTON_TOLERANCE = 1e-12;
export const NEWTON_MAX_ITERATIONS = 60;

export interface NewtonOptions {
  /** Stop when max_i |F_i| ≤ tolerance. */
  tolerance?: number;
  /** Jacobians formed (each n evaluations of F and one LU) before giving up. */
  maxIterations?: number;
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

/**
 * Relative forward-difference step of Newton's Jacobian, ≈ √ε: error ≈ √ε|F″| per entry (§6). The
 * root is where F = 0, whatever J is; a relative Jacobian error δ only turns quadratic convergence into
 * a contraction ≈ κ(J)·δ per step (≈ 3e3 · 1e-8 at K = M = 17), so half the 2n evaluations of the
 * central difference (jacobian.ts, needed for eigenvalues) buy nothing here.
 */
const FORWARD_STEP = 1.5e-8;
/** Chord steps reuse one LU while each cuts |F|² by at least this factor (|F| roughly halves). */
const CHORD_CONTRACTION = 0.25;
/** At most this many chord steps per Jacobian. */
const MAX_CHORD_STEPS = 8;
/** Levenberg–Marquardt damping range relative to max diag(JᵀJ) (failed Newton step or singular J). */
const FIRST_RELATIVE_DAMPING = 1e-8;
const MAX_RELATIVE_DAMPING = 1e14;

function sumSquares(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

/**
 * The workspaces of one Newton solve of size n (allocated once; iterations allocate nothing): the
 * iterate and its residual, a trial point, the Jacobian (row-major) and its LU.
 */
class NewtonWorkspace {
  y: Float64Array;
  f: Float64Array;
  phi = 0;
  residual = 0;
  private trialY: Float64Array;
  private trialF: Float64Array;
  readonly delta: Float64Array;
  readonly jacobian: Float64Array;
  readonly lu: LuFactorisation;
  private damped: LuFactorisation | null = null;
  private normal: Float64Array | null = null;

  constructor(
    private readonly F: VectorField,
    y0: Float64Array,
  ) {
    const n = y0.length;
    this.y = Float64Array.from(y0);
    this.f = new Float64Array(n);
    this.trialY = new Float64Array(n);
    this.trialF = new Float64Array(n);
    this.delta = new Float64Array(n);
    this.jacobian = new Float64Array(n * n);
    this.lu = new LuFactorisation(n);
    F(this.y, this.f);
    this.phi = sumSquares(this.f);
    this.residual = maxAbs(this.f);
  }

  /** J_ij = (F_i(y + h_j e_j) − F_i(y))/h_j, h_j = FORWARD_STEP·max(1, |y_j|): n evaluations of F. */
  formJacobian(): void {
    const { y, f, jacobian: J, trialF: column } = this;
    const n = y.length;
    for (let j = 0; j < n; j++) {
      const yj = y[j];
      const up = yj + FORWARD_STEP * Math.max(1, Math.abs(yj));
      y[j] = up;
      this.F(y, column);
      y[j] = yj;
      // Divide by the representable difference, so the rounding of yj + h does not bias J.
      const inv = 1 / (up - yj);
      for (let i = 0; i < n; i++) J[i * n + j] = (column[i] - f[i]) * inv;
    }
  }

  /** Try y + delta; keep it (and return true) when |F|² < threshold. */
  tryStep(threshold: number): boolean {
    const { y, delta, trialY } = this;
    for (let i = 0; i < y.length; i++) trialY[i] = y[i] + delta[i];
    this.F(trialY, this.trialF);
    const trialPhi = sumSquares(this.trialF);
    if (!(trialPhi < threshold)) return false;
    this.y = trialY;
    this.trialY = y;
    const f = this.f;
    this.f = this.trialF;
    this.trialF = f;
    this.phi = trialPhi;
    this.residual = maxAbs(this.f);
    return true;
  }

  /** delta = −J⁻¹F from the current LU. */
  newtonDirection(): void {
    this.lu.solve(this.f, this.delta);
    for (let i = 0; i < this.delta.length; i++) this.delta[i] = -this.delta[i];
  }

  /**
   * JᵀJ of the current Jacobian (formed once per Jacobian, on the first damped step) and its scale
   * max diag(JᵀJ); 0 when J is zero or not finite.
   */
  normalEquations(): number {
    const { jacobian: J } = this;
    const n = this.f.length;
    this.normal ??= new Float64Array(n * n);
    const N = this.normal;
    N.fill(0);
    // N = Σ_k (row k of J)ᵀ(row k of J), upper triangle, rows of J read contiguously.
    for (let k = 0; k < n; k++) {
      const row = k * n;
      for (let i = 0; i < n; i++) {
        const v = J[row + i];
        if (v === 0) continue;
        const ni = i * n;
        for (let j = i; j < n; j++) N[ni + j] += v * J[row + j];
      }
    }
    let scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) N[i * n + j] = N[j * n + i];
      scale = Math.max(scale, N[i * n + i]);
    }
    return Number.isFinite(scale) ? scale : 0;
  }

  /**
   * Levenberg–Marquardt trial delta = −(JᵀJ + μ diag(JᵀJ))⁻¹JᵀF (Marquardt's scaling, floored at
   * 1e-12·scale so that a zero column still gets damped); true when it decreases |F|².
   */
  dampedStep(mu: number, scale: number): boolean {
    const { jacobian: J, f, delta } = this;
    const n = f.length;
    const N = this.normal as Float64Array;
    this.damped ??= new LuFactorisation(n);
    const A = this.damped.a;
    A.set(N);
    for (let i = 0; i < n; i++) A[i * n + i] += mu * Math.max(N[i * n + i], 1e-12 * scale);
    if (!this.damped.factor()) return false;
    const g = this.trialY;
    g.fill(0);
    for (let k = 0; k < n; k++) {
      const fk = f[k];
      const row = k * n;
      for (let i = 0; i < n; i++) g[i] -= J[row + i] * fk;
    }
    this.damped.solve(g, delta);
    return this.tryStep(this.phi);
  }
}

/**
 * Solve F(y) = 0 (F: Rⁿ → Rⁿ) by Newton's method, Levenberg–Marquardt-damped only when needed
 * (docs/theory.md §6). Each iteration forms a forward-difference Jacobian (n evaluations of F) and its
 * LU (typed arrays, partial pivoting) and tries the full Newton step −J⁻¹F. After an accepted Newton
 * step the same LU is reused for further "chord" steps (Shamanskii's method) while they contract |F|
 * quickly: a chord step costs one evaluation and two triangular solves. Only when the Newton step fails
 * to decrease |F|² (far from a root) or J is singular are JᵀJ and damped steps formed: the damping μ
 * grows ×10 from 1e-8·max diag(JᵀJ) (towards short gradient-descent steps on |F|², which always
 * decrease it) and shrinks ÷10 after each success, back to plain Newton below 1e-8.
 */
export function newtonSolve(F: VectorField, y0: Float64Array, options: NewtonOptions = {}): RootResult {
  const tolerance = options.tolerance ?? NEWTON_TOLERANCE;
  const maxIterations = options.maxIterations ?? NEWTON_MAX_ITERATIONS;
  const w = new NewtonWorkspace(F, y0);
  const result = (iterations: number, status: NewtonStatus): RootResult => ({
    y: w.y,
    residual: w.residual,
    iterations,
    status: w.residual <= tolerance ? 'converged' : status,
  });
  if (!Number.isFinite(w.residual)) return { y: w.y, residual: w.residual, iterations: 0, status: 'non-finite' };
  /** Relative damping μ/max diag(JᵀJ); 0 = plain Newton. */
  let damping = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (w.residual <= tolerance) return result(iteration, 'converged');
    w.formJacobian();
    if (damping === 0) {
      w.lu.a.set(w.jacobian);
      if (w.lu.factor()) {
        w.newtonDirection();
        if (w.tryStep(w.phi)) {
          for (let chord = 0; chord < MAX_CHORD_STEPS && w.residual > tolerance; chord++) {
            w.newtonDirection();
            if (!w.tryStep(CHORD_CONTRACTION * w.phi)) break;
          }
          continue;
        }
      }
      damping = FIRST_RELATIVE_DAMPING;
    }
    // A zero or non-finite Jacobian gives no descent direction (and no scale for the damping).
    const scale = w.normalEquations();
    if (!(scale > 0)) return result(iteration + 1, 'stalled');
    while (!w.dampedStep(damping * scale, scale)) {
      damping *= 10;
      if (!(damping <= MAX_RELATIVE_DAMPING)) return result(iteration + 1, 'stalled');
    }
    damping = damping <= FIRST_RELATIVE_DAMPING ? 0 : damping / 10;
  }
  return result(maxIterations, 'max-iterations');
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
 * Newton (newtonSolve) on F(x) = flow.rhs(x) = 0 over the free coordinates of the flow
 * (free-coordinates.ts), from any packed start x0 (an ODE end point, an overlaps file, an ansatz
 * guess). Do not call it at the global minimum: the Jacobian is singular there (docs/theory.md §7.4).
 */
export function solveFixedPoint(flow: Flow, x0: Float64Array, options: NewtonOptions = {}): FixedPointResult {
  const free = new FreeCoordinates(flow, x0);
  const result = newtonSolve((y, out) => free.residual(y, out), free.restrict(x0), options);
  const x = free.embed(result.y);
  return { x, residual: result.residual, iterations: result.iterations, status: result.status, loss: flow.loss(x) };
}
