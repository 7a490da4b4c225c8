import { THRESHOLDS } from '../../model/config.js';
import type { Overlaps } from '../../model/overlaps.js';
import { makeFlow } from '../config.js';
import { type SolveStatus, solve } from '../solvers/solve.js';
import type { Objective } from './arcs.js';
import { reluWeightGradientAtContacts, reluWeightLossAtContacts } from './contact-gradient.js';
import { parameterCount } from './relu-hessian.js';
import { type WeightPoint, overlapsOfPoint } from './weights.js';

/**
 * The ReLU population loss in V = W/√d (docs/theory.md §17, docs/hessian.md) as an Objective of the
 * flat parameter vector x = [V (K·d, row-major), a (K, with readouts)]: the instance of the generic
 * tangency-arc core (arcs.ts) used by the `arcs` command. Loss and gradient are the contact-accurate
 * geometric forms (contact-gradient.ts): arcs around the global minimum V = V* start at a contact.
 */
export interface WeightObjective {
  objective: Objective;
  /** The flat parameters of the point itself (the arcs' centre). */
  centre: Float64Array;
  /** The weight point of a flat parameter vector (teacher and, without readouts, a from the centre). */
  pointAt(x: Float64Array): WeightPoint;
}

export function weightObjective(p: WeightPoint, readouts: boolean): WeightObjective {
  const { K, d } = p;
  const P = parameterCount(p, { readouts });
  const centre = new Float64Array(P);
  centre.set(p.V.subarray(0, K * d));
  if (readouts) centre.set(p.a.subarray(0, K), K * d);
  const pointAt = (x: Float64Array): WeightPoint => ({
    ...p,
    V: x.slice(0, K * d),
    a: readouts ? x.slice(K * d, K * d + K) : p.a.slice(),
  });
  const objective: Objective = {
    dim: P,
    value: (x) => reluWeightLossAtContacts(pointAt(x)),
    gradient: (x, out) => {
      reluWeightGradientAtContacts(pointAt(x), { readouts }, out);
    },
  };
  return { objective, centre, pointAt };
}

/** Defaults of the descent from the end of a minimising arc to a critical point. */
export const DESCENT_DEFAULTS = {
  /** Flow time budget (t units of docs/theory.md §3, η = 1: a Hessian eigenvalue λ relaxes at rate λ). */
  tMax: 1e5,
  /** Converged at max|F| < 1e-9, the fixed-point criterion of docs/theory.md §7.9. */
  convergenceTol: THRESHOLDS.convergedRhs,
} as const;

export interface Descent {
  start: Overlaps;
  end: Overlaps;
  loss: number;
  status: SolveStatus;
  tFinal: number;
  maxRhs: number;
  steps: number;
}

/**
 * Gradient flow dV/dt = −∇L (and da/dt = −∂L/∂a with readouts) from a weight point to a critical point,
 * integrated exactly in overlap space: L depends on V only through (Q, R), and the (Q, R) ODE of
 * docs/theory.md §4.1 (§4.3 for gd2l) is the pushforward of the weight flow at any d (§5), so the overlaps
 * of the point are integrated with the existing dopri5 solver (error-controlled) until max|F| < 1e-9.
 */
export function descendToCriticalPoint(
  p: WeightPoint,
  readouts: boolean,
  tMax: number = DESCENT_DEFAULTS.tMax,
): Descent {
  const start = overlapsOfPoint(p);
  const flow = makeFlow(
    { K: p.K, M: p.M, activation: 'relu', alpha: null },
    { name: readouts ? 'gd2l' : 'gd', lr: 1 },
    start,
  );
  const result = solve(flow, flow.pack(start), {
    method: 'dopri5',
    tMax,
    saveTimes: [tMax],
    convergenceTol: DESCENT_DEFAULTS.convergenceTol,
  });
  return {
    start,
    end: flow.unpack(result.xFinal),
    loss: flow.loss(result.xFinal),
    status: result.status,
    tFinal: result.tFinal,
    maxRhs: result.maxRhs,
    steps: result.steps,
  };
}
