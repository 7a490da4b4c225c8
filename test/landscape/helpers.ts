import { activationByName } from '../../src/theory/activations/index.js';
import { Flow, type FlowName } from '../../src/theory/flow.js';
import { identity } from '../../src/model/overlaps.js';

/** A ReLU flow with orthonormal teacher T = I and unit readouts (the paper's setting), η = 1. */
export function teacherStudentFlow(name: FlowName, K: number, M: number): Flow {
  const fixed = {
    K,
    M,
    Q: identity(K),
    R: new Float64Array(K * M),
    T: identity(M),
    a: new Float64Array(K).fill(1),
    v: new Float64Array(M).fill(1),
  };
  return new Flow(name, activationByName('relu'), fixed, { lr: 1 });
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export function rhsOf(flow: Flow, x: Float64Array): Float64Array {
  const dx = new Float64Array(x.length);
  flow.rhs(x, dx);
  return dx;
}
