import type { Trajectory } from '../model/trajectory.js';
import type { ActivationName } from './activations/index.js';
import { makeFlow } from './config.js';
import type { Flow, FlowName } from './flow.js';
import type { Overlaps } from '../model/overlaps.js';
import {
  type SolveMethod,
  type SolveResult,
  buildGridSaveTimes,
  buildSaveTimes,
  parseSaveTimes,
  solve,
  trajectoryFromSolve,
} from './solvers/solve.js';

/**
 * Fully resolved configuration of one mean-field ODE integration (what `ode` writes to config.json,
 * and what a scenario resolves to). Fields that do not apply are null (alpha unless leaky-relu,
 * lrReadout unless gd2l, labelNoise unless sgd; dt = null means dopri5's automatic initial step).
 */
export interface OdeConfig {
  activation: ActivationName;
  alpha: number | null;
  optimizer: FlowName;
  K: number;
  M: number;
  lr: number;
  lrReadout: number | null;
  labelNoise: number | null;
  tMax: number;
  init: { kind: 'random'; d: number; seed: number } | { kind: 'file'; path: string };
  solver: {
    method: SolveMethod;
    dt: number | null;
    rtol: number;
    atol: number;
    /** Stop when max|F| < convergenceTol (0 = off). */
    convergenceTol: number;
    maxSteps: number;
    /** A save-times spec string (log:N | linear:N | t0,t1,...). */
    saveTimes: string;
  };
}

export interface OdeRun {
  flow: Flow;
  result: SolveResult;
  trajectory: Trajectory;
}

export function flowFromConfig(config: OdeConfig, initial: Overlaps): Flow {
  const { optimizer: name, lr, lrReadout, labelNoise } = config;
  return makeFlow(config, { name, lr, lrReadout, labelNoise }, initial);
}

/**
 * The save times of `config`: for method map, on its step grid (buildGridSaveTimes: log/linear times
 * rounded to the nearest step, an explicit list must lie on the grid).
 */
export function odeSaveTimes(config: OdeConfig): number[] {
  const s = config.solver;
  const spec = parseSaveTimes(s.saveTimes);
  return s.method === 'map' ? buildGridSaveTimes(spec, config.tMax, s.dt as number) : buildSaveTimes(spec, config.tMax);
}

/**
 * Integrate the flow of `config` from `initial` (T, v and untrained a are taken from it); `onStep` receives
 * the time after each accepted step (progress).
 */
export function runOde(config: OdeConfig, initial: Overlaps, onStep?: (t: number) => void): OdeRun {
  const flow = flowFromConfig(config, initial);
  const s = config.solver;
  const result = solve(flow, flow.pack(initial), {
    method: s.method,
    tMax: config.tMax,
    ...(s.dt === null ? {} : { dt: s.dt }),
    rtol: s.rtol,
    atol: s.atol,
    saveTimes: odeSaveTimes(config),
    convergenceTol: s.convergenceTol,
    maxSteps: s.maxSteps,
    ...(onStep === undefined ? {} : { onStep }),
  });
  const init = config.init.kind === 'random' ? { seed: config.init.seed, d: config.init.d } : {};
  return { flow, result, trajectory: trajectoryFromSolve(flow, result, init) };
}
