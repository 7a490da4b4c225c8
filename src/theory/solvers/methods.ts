import { type Flow } from '../flow.js';
import { PopulationGdMap } from '../gd-map.js';
import { ConstantStepController, PIController } from './controller.js';
import { Dopri5Stepper } from './dopri5.js';
import { EulerStepper } from './euler.js';
import { MapStepper } from './map.js';
import { RkcStepper } from './rkc.js';
import {
  DEFAULT_ATOL,
  DEFAULT_RTOL,
  type OdeSystem,
  type SolveOptions,
  type StepController,
  type Stepper,
} from './types.js';

/**
 * The solver registry (scipy's solve_ivp `method=`): each method is a stepper plus its step-size
 * controller. Adding a solver = one stepper file + one entry here (docs/architecture.md).
 */
export interface SolverMethod {
  /** The method takes a fixed step dt (else dt is an optional initial step). */
  readonly fixedStep: boolean;
  make(system: OdeSystem, options: SolveOptions): { stepper: Stepper; controller: StepController };
}

export const SOLVER_METHODS: Readonly<Record<SolveOptions['method'], SolverMethod>> = {
  euler: {
    fixedStep: true,
    make: (system, o) => ({
      stepper: new EulerStepper(system),
      controller: new ConstantStepController(o.dt as number),
    }),
  },
  dopri5: {
    fixedStep: false,
    make: (system, o) => ({
      stepper: new Dopri5Stepper(system, o.rtol ?? DEFAULT_RTOL, o.atol ?? DEFAULT_ATOL),
      controller: new PIController({ order: 5 }),
    }),
  },
  // Stabilised explicit (Runge–Kutta–Chebyshev, docs/theory.md §7.5a): its error estimate is O(h³).
  rkc: {
    fixedStep: false,
    make: (system, o) => ({
      stepper: new RkcStepper(system, o.rtol ?? DEFAULT_RTOL, o.atol ?? DEFAULT_ATOL),
      controller: new PIController({ order: 3 }),
    }),
  },
  // The exact discrete population-GD map of a Flow (gd-map.ts) instead of integrating F.
  map: {
    fixedStep: true,
    make: (system, o) => ({
      stepper: new MapStepper(new PopulationGdMap(system as Flow, o.dt as number)),
      controller: new ConstantStepController(o.dt as number),
    }),
  },
};
