import type { Trajectory } from '../../model/trajectory.js';
import { Flow } from '../flow.js';
import { initialStepDopri5 } from './dopri5.js';
import { SOLVER_METHODS } from './methods.js';
import { onStepGrid } from './save-times.js';
import {
  DEFAULT_ATOL,
  DEFAULT_MAX_STEPS,
  DEFAULT_RTOL,
  MIN_RELATIVE_STEP,
  type OdeSystem,
  type SolveOptions,
  type SolveResult,
  type SolveStatus,
  allFinite,
  maxAbs,
} from './types.js';

export * from './types.js';
export * from './save-times.js';

/** A step ending within this fraction of its length before tMax is stretched to tMax (no sliver steps, grid round-off). */
const END_STRETCH = 1e-9;

function checkOptions(system: OdeSystem, x0: Float64Array, o: SolveOptions): void {
  if (x0.length !== system.layout.dim)
    throw new RangeError(`x0 has length ${x0.length}, the system has dimension ${system.layout.dim}`);
  if (!allFinite(x0)) throw new RangeError('x0 must be finite');
  if (!(Number.isFinite(o.tMax) && o.tMax > 0)) throw new RangeError(`tMax must be positive and finite, got ${o.tMax}`);
  if (o.dt !== undefined && !(Number.isFinite(o.dt) && o.dt > 0))
    throw new RangeError(`dt must be positive and finite, got ${o.dt}`);
  if (SOLVER_METHODS[o.method].fixedStep && o.dt === undefined)
    throw new RangeError(`the ${o.method} method needs a step dt`);
  for (const [name, v] of [
    ['rtol', o.rtol],
    ['atol', o.atol],
    ['convergenceTol', o.convergenceTol],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new RangeError(`${name} must be finite and >= 0, got ${v}`);
  }
  if ((o.rtol ?? DEFAULT_RTOL) === 0 && (o.atol ?? DEFAULT_ATOL) === 0)
    throw new RangeError('rtol and atol cannot both be 0');
  const ts = o.saveTimes;
  for (let i = 0; i < ts.length; i++) {
    if (!(ts[i] >= 0 && ts[i] <= o.tMax) || (i > 0 && !(ts[i] > ts[i - 1]))) {
      throw new RangeError(`saveTimes must be strictly increasing in [0, tMax]; entry ${i} is ${ts[i]}`);
    }
  }
  if (o.method === 'map') checkStepGrid(system, o);
}

/** The map has states only at t = n·dt: tMax and the save times must be on that grid (buildGridSaveTimes makes such times). */
function checkStepGrid(system: OdeSystem, o: SolveOptions): void {
  if (!(system instanceof Flow))
    throw new RangeError(
      'the map method needs a Flow (the population-GD map is defined by its name, activation and rates)',
    );
  const dt = o.dt as number;
  if (onStepGrid(o.tMax, dt) === null)
    throw new RangeError(`map: tMax = ${o.tMax} is not a whole number of steps of ${dt}`);
  const off = o.saveTimes.find((t) => onStepGrid(t, dt) === null);
  if (off !== undefined) throw new RangeError(`map: save time ${off} is not on the step grid n·${dt}`);
}

/**
 * Integrate dx/dt = F(x) from x0 at t = 0 to options.tMax (diffrax's diffeqsolve / scipy's solve_ivp):
 * a stepper (euler | dopri5 | map) + a step-size controller (constant | PI) + save times, composed here.
 * States at save times come from the stepper's dense output (dopri5: 4th-order continuous extension;
 * euler: linear; map: none, its save times must be grid times n·dt and get the state of that step), or
 * the step end itself when a save time coincides with it. Method map iterates the exact discrete
 * population-GD map of a Flow (gd-map.ts) instead of integrating F. The loop allocates only the saved
 * states.
 *
 * Stopping (see SolveStatus): tMax; convergence max|F| < convergenceTol (checked at t = 0 and after
 * every accepted step; the remaining save times then receive the final state, since the flow is at
 * rest to that tolerance); divergence; or maxSteps attempts. For diverged / max-steps only the save
 * times already reached are returned.
 */
export function solve(system: OdeSystem, x0: Float64Array, options: SolveOptions): SolveResult {
  checkOptions(system, x0, options);
  const { tMax, saveTimes } = options;
  const tol = options.convergenceTol ?? 0;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const onStep = options.onStep;
  const { stepper, controller } = SOLVER_METHODS[options.method].make(system, options);
  const dim = x0.length;
  let x = x0.slice();
  let xNew = new Float64Array(dim);
  const dense = new Float64Array(dim);
  const times: number[] = [];
  const states: Float64Array[] = [];
  let next = 0;

  stepper.start(x);
  while (next < saveTimes.length && saveTimes[next] === 0) {
    times.push(0);
    states.push(x.slice());
    next++;
  }
  let h =
    options.dt ??
    initialStepDopri5(system, x, stepper.derivative, options.rtol ?? DEFAULT_RTOL, options.atol ?? DEFAULT_ATOL, tMax);
  const firstStep = Math.min(h, tMax);
  let t = 0;
  let accepted = 0;
  let rejected = 0;
  let maxRhs = maxAbs(stepper.derivative);
  let status: SolveStatus = 't-max';
  if (!Number.isFinite(maxRhs)) status = 'diverged';
  else if (maxRhs < tol) status = 'converged';

  while (status === 't-max' && t < tMax) {
    if (accepted + rejected >= maxSteps) {
      status = 'max-steps';
      break;
    }
    let tEnd = controller.stepEnd(t, accepted, h);
    if (tEnd >= tMax || tMax - tEnd <= END_STRETCH * (tEnd - t)) tEnd = tMax;
    const hTry = tEnd - t;
    const error = stepper.attempt(x, hTry, xNew);
    if (!controller.decide(hTry, error)) {
      rejected++;
      h = controller.nextStep;
      if (!(h >= MIN_RELATIVE_STEP * Math.max(1, t))) status = 'diverged';
      continue;
    }
    accepted++;
    while (next < saveTimes.length && saveTimes[next] <= tEnd) {
      const ts = saveTimes[next];
      if (ts === tEnd) {
        states.push(xNew.slice());
      } else {
        stepper.interpolate(x, xNew, hTry, (ts - t) / hTry, dense);
        states.push(dense.slice());
      }
      times.push(ts);
      next++;
    }
    stepper.accept(xNew);
    const previous = x;
    x = xNew;
    xNew = previous;
    t = tEnd;
    if (onStep !== undefined) onStep(t);
    h = controller.nextStep;
    maxRhs = maxAbs(stepper.derivative);
    if (maxRhs < tol) status = 'converged';
  }

  if (status === 'converged') {
    for (; next < saveTimes.length; next++) {
      times.push(saveTimes[next]);
      states.push(x.slice());
    }
  }
  return {
    times,
    states,
    loss: states.map((s) => system.loss(s)),
    tFinal: t,
    xFinal: x,
    maxRhs,
    steps: accepted,
    rejected,
    firstStep,
    status,
  };
}

/**
 * Integrate several initial conditions with the same system and options (sequentially, one shared
 * set of Flow workspaces).
 */
export function solveMany(system: OdeSystem, x0s: readonly Float64Array[], options: SolveOptions): SolveResult[] {
  return x0s.map((x0) => solve(system, x0, options));
}

/** A theory Trajectory (src/data/trajectory.ts) from a solve of `flow`; seed and d record the initialisation. */
export function trajectoryFromSolve(
  flow: Flow,
  result: SolveResult,
  init: { seed?: number; d?: number } = {},
): Trajectory {
  return {
    source: 'theory',
    layout: flow.layout,
    fixed: flow.fixed,
    times: result.times,
    states: result.states,
    loss: result.loss,
    ...(init.seed === undefined ? {} : { seed: init.seed }),
    ...(init.d === undefined ? {} : { d: init.d }),
  };
}
