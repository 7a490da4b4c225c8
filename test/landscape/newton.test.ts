import { describe, expect, it } from 'vitest';
import { NormalSampler } from '../../src/random/normal.js';
import { solveFamily } from '../../src/landscape/families.js';
import { FreeCoordinates, freeIndices } from '../../src/landscape/free-coordinates.js';
import { centralDifferenceJacobian } from '../../src/landscape/jacobian.js';
import { newtonSolve, solveFixedPoint } from '../../src/landscape/newton.js';
import { perturbedOverlaps, realiseWeights } from '../../src/landscape/perturb.js';
import { solve } from '../../src/theory/solvers/solve.js';
import { maxAbs, maxAbsDiff, rhsOf, teacherStudentFlow } from './helpers.js';

describe('central-difference Jacobian', () => {
  it('matches the analytic Jacobian of a smooth map to the step-size error', () => {
    const F = (y: Float64Array, out: Float64Array) => {
      out[0] = Math.sin(y[0]) * y[1];
      out[1] = Math.exp(y[0]) + y[1] ** 3;
    };
    const y = Float64Array.from([0.7, -1.3]);
    const J = centralDifferenceJacobian(F, y, 2);
    const exact = [
      [Math.cos(0.7) * -1.3, Math.sin(0.7)],
      [Math.exp(0.7), 3 * 1.3 ** 2],
    ];
    // h = 1e-6·max(1,|y|): truncation h²|F‴|/6 ~ 1e-12, round-off ε|F|/h ~ 1e-10.
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) expect(Math.abs(J.get(i, j) - exact[i][j])).toBeLessThan(1e-8);
    expect(Array.from(y)).toEqual([0.7, -1.3]);
  });
});

describe('Newton with line search (LM only for a singular Jacobian)', () => {
  it('converges where the undamped Newton iteration diverges (atan from |y0| > 1.39)', () => {
    const F = (y: Float64Array, out: Float64Array) => {
      out[0] = Math.atan(y[0]);
    };
    const root = newtonSolve(F, Float64Array.from([3]));
    expect(root.status).toBe('converged');
    expect(Math.abs(root.y[0])).toBeLessThan(1e-12);
  });

  it('solves the Rosenbrock system from the classic start (-1.2, 1) to 1e-12', () => {
    const F = (y: Float64Array, out: Float64Array) => {
      out[0] = 10 * (y[1] - y[0] * y[0]);
      out[1] = 1 - y[0];
    };
    const root = newtonSolve(F, Float64Array.from([-1.2, 1]));
    expect(root.status).toBe('converged');
    expect(root.residual).toBeLessThanOrEqual(1e-12);
    expect(maxAbsDiff(root.y, [1, 1])).toBeLessThan(1e-10);
  });

  it('reports a stall (not convergence) on a system without a root', () => {
    const F = (y: Float64Array, out: Float64Array) => {
      out[0] = y[0] * y[0] + 1;
    };
    const root = newtonSolve(F, Float64Array.from([0.5]));
    expect(root.status).not.toBe('converged');
    expect(root.residual).toBeGreaterThanOrEqual(1);
  });

  it('reports a start with a NaN in any component as non-finite (not only in the last one)', () => {
    const F = (y: Float64Array, out: Float64Array) => {
      out[0] = Number.NaN;
      out[1] = y[1];
    };
    const root = newtonSolve(F, Float64Array.from([0.5, 0.5]));
    expect(root.status).toBe('non-finite');
    expect(root.residual).toBeNaN();
  });
});

describe('free coordinates of the constrained flows', () => {
  it('drop diag(Q) for ngd and all of Q for ongd, and nothing for gd / gd2l', () => {
    const K = 4;
    const M = 3;
    const nQ = (K * (K + 1)) / 2;
    expect(freeIndices(teacherStudentFlow('gd', K, M)).length).toBe(nQ + K * M);
    expect(freeIndices(teacherStudentFlow('gd2l', K, M)).length).toBe(nQ + K * M + K);
    expect(freeIndices(teacherStudentFlow('ngd', K, M)).length).toBe(nQ - K + K * M);
    expect(freeIndices(teacherStudentFlow('ongd', K, M)).length).toBe(K * M);
  });
});

describe('fixed points of the full system (docs/theory.md §6)', () => {
  const flow = teacherStudentFlow('gd', 6, 6);
  const [family] = solveFamily(flow, 1).filter((s) => s.stability.verdict === 'stable');

  it('Newton from an ODE end point near the k1 = 1 family reaches |F| <= 1e-12 at that point', () => {
    // A realisable start: the fixed point's weights perturbed with σ = 0.05, relaxed by the ODE until
    // the flow has slowed to max|F| < 1e-4 (the hand-over point of the stats runner).
    const d = 40;
    const start = flow.pack(
      perturbedOverlaps(flow.unpack(family.x), realiseWeights(flow.unpack(family.x), d), d, 0.05, 3),
    );
    expect(maxAbsDiff(start, family.x)).toBeGreaterThan(1e-3);
    const flowEnd = solve(flow, start, { method: 'dopri5', tMax: 5000, saveTimes: [], convergenceTol: 1e-4 });
    expect(flowEnd.status).toBe('converged');
    const fixed = solveFixedPoint(flow, flowEnd.xFinal);
    expect(fixed.status).toBe('converged');
    expect(fixed.residual).toBeLessThanOrEqual(1e-12);
    expect(maxAbs(rhsOf(flow, fixed.x))).toBeLessThanOrEqual(1e-12);
    // Same attractor: the flow end point was within the basin, 1e-4/|λ_slow| ~ 1e-2 away at most.
    expect(maxAbsDiff(fixed.x, family.x)).toBeLessThan(1e-8);
  });

  it.each(['ngd', 'ongd'] as const)('%s: Newton keeps the constrained coordinates exact and converges', (name) => {
    const constrained = teacherStudentFlow(name, 4, 4);
    const solutions = solveFamily(constrained, name === 'ngd' ? 2 : 1);
    expect(solutions.length).toBeGreaterThan(0);
    const point = solutions[0].x;
    const sampler = new NormalSampler(5);
    const free = new FreeCoordinates(constrained, point);
    const y = free.restrict(point);
    for (let i = 0; i < y.length; i++) y[i] += 1e-3 * sampler.next();
    const fixed = solveFixedPoint(constrained, free.embed(y));
    expect(fixed.residual).toBeLessThanOrEqual(1e-12);
    const o = constrained.unpack(fixed.x);
    for (let k = 0; k < 4; k++) {
      expect(o.Q[k * 4 + k]).toBe(1);
      if (name === 'ongd') for (let l = k + 1; l < 4; l++) expect(o.Q[k * 4 + l]).toBe(0);
    }
    expect(maxAbsDiff(fixed.x, point)).toBeLessThan(1e-8);
  });
});
