import { SOLVER_DEFAULTS } from '../../model/config.js';
/**
 * What a solver needs from a right-hand side: the state dimension, an allocation-free dx = F(x), and
 * the population loss recorded at save times. `Flow` (src/theory/flow.ts) satisfies it; tests also
 * pass small analytic systems to check orders and dense output.
 */
export interface OdeSystem {
  readonly layout: { readonly dim: number };
  rhs(x: Float64Array, dx: Float64Array): void;
  loss(x: Float64Array): number;
}

/**
 * dopri5, rkc (stabilised explicit, for long stiff stretches) and euler integrate the flow dx/dt = F(x); map iterates the exact discrete population-GD map
 * of a Flow (gd-map.ts: what a population-gradient network's steps do to the overlaps at any d).
 */
export type SolveMethod = 'dopri5' | 'rkc' | 'euler' | 'map';
export const SOLVE_METHODS: readonly SolveMethod[] = ['dopri5', 'rkc', 'euler', 'map'];

export interface SolveOptions {
  method: SolveMethod;
  /** Integrate on [0, tMax]. */
  tMax: number;
  /**
   * euler, map: the fixed step (required; map: tMax and every save time must be whole multiples of it,
   * see onStepGrid). dopri5, rkc: the initial step (default: Hairer's automatic choice).
   */
  dt?: number;
  /** dopri5 and rkc tolerances (defaults DEFAULT_RTOL, DEFAULT_ATOL); ignored by euler and map. */
  rtol?: number;
  atol?: number;
  /** Sorted, strictly increasing times in [0, tMax] at which the state is recorded (see save-times.ts). */
  saveTimes: number[];
  /**
   * Stop when max_i |F_i(x)| < convergenceTol (docs/theory.md §7.9); 0 (the default here) = never. For map,
   * F is the map's displacement per unit time (Φ(x) − x)/dt (solvers/map.ts).
   */
  convergenceTol?: number;
  /** Give up after this many attempted steps (accepted + rejected); default DEFAULT_MAX_STEPS. */
  maxSteps?: number;
  /** Called with the new time t after every accepted step (progress display); absent = no call. */
  onStep?: (t: number) => void;
}

/**
 * - converged: max|F| fell below convergenceTol at tFinal (= tMax when first met on the last step);
 *   save times after tFinal hold the final state (the flow is at rest to that tolerance), so `times`
 *   still equals the requested save times.
 * - t-max: reached tMax; every save time recorded.
 * - diverged: the state or the step size became unusable (non-finite state, or dopri5's step shrank
 *   below MIN_RELATIVE_STEP·max(1, t) after rejections); only save times ≤ tFinal are recorded.
 * - max-steps: maxSteps attempted steps before tMax; only save times ≤ tFinal are recorded.
 */
export type SolveStatus = 'converged' | 't-max' | 'diverged' | 'max-steps';

export interface SolveResult {
  times: number[];
  states: Float64Array[];
  loss: number[];
  tFinal: number;
  xFinal: Float64Array;
  /** max_i |F_i(xFinal)| (map: max_i |Φ(xFinal) − xFinal|_i / dt, see solvers/map.ts). */
  maxRhs: number;
  /** Accepted steps, and rejected attempts (dopri5 error too large or a non-finite stage). */
  steps: number;
  rejected: number;
  /** The first step size actually attempted (dopri5: dt or the automatic choice; euler: dt). */
  firstStep: number;
  status: SolveStatus;
}

export const DEFAULT_RTOL = SOLVER_DEFAULTS.rtol;
export const DEFAULT_ATOL = SOLVER_DEFAULTS.atol;
export const DEFAULT_MAX_STEPS = SOLVER_DEFAULTS.maxSteps;
/** dopri5 gives up ("diverged") when h < MIN_RELATIVE_STEP · max(1, |t|): rejections cannot shrink further usefully. */
export const MIN_RELATIVE_STEP = 1e-13;

/** max_i |v_i|, NaN if any entry is NaN (so a non-finite vector never looks converged). */
export function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > m) m = a;
    else if (a !== a) return NaN;
  }
  return m;
}

export function allFinite(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/**
 * One integration method over a fixed system (diffrax's "solver"): it owns its stage buffers, so a
 * whole integration allocates nothing per step. The solve loop calls, in order:
 * start(x0) once; then per step attempt(x, h, xNew) → [if accepted: interpolate(...) for save times in
 * the step, then accept()]. `derivative` is F at the current accepted state (after start/accept).
 */
export interface Stepper {
  readonly derivative: Float64Array;
  start(x: Float64Array): void;
  /**
   * Try one step of size h from x into xNew. Returns the weighted RMS error estimate (accept if ≤ 1;
   * 0 for methods without one), or Infinity if any stage or xNew is non-finite (docs/theory.md §7.5:
   * a non-finite stage is a rejected step, not a failed run).
   */
  attempt(x: Float64Array, h: number, xNew: Float64Array): number;
  /** Dense output at t + θh, θ ∈ [0, 1], inside the step just attempted (and accepted) from x to xNew. */
  interpolate(x: Float64Array, xNew: Float64Array, h: number, theta: number, out: Float64Array): void;
  /** Make xNew the current state (updates `derivative`). */
  accept(xNew: Float64Array): void;
}

/** Step-size control (diffrax's "stepsize_controller"): accept/reject an attempted step, propose the next one. */
export interface StepController {
  /** Decide on the attempted step h with error norm `error`; sets `nextStep` (0 = cannot retry). */
  decide(h: number, error: number): boolean;
  readonly nextStep: number;
  /** End time of the next step from t after `accepted` accepted steps, for a proposed step h. */
  stepEnd(t: number, accepted: number, h: number): number;
}
