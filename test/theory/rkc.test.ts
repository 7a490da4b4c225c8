import { describe, expect, it } from 'vitest';
import { activationByName } from '../../src/theory/activations/index.js';
import { Flow } from '../../src/theory/flow.js';
import { randomOverlaps } from '../../src/theory/init.js';
import { RkcStepper } from '../../src/theory/solvers/rkc.js';
import { type OdeSystem, solve } from '../../src/theory/solvers/solve.js';

/**
 * Semi-discrete heat equation u' = A u on N interior points of (0, 1), Dirichlet ends:
 * A = (N+1)² tridiag(1, −2, 1), eigenvalues λ_k = −4(N+1)² sin²(kπ/(2(N+1))) (≈ −10 … −1.04e4 at
 * N = 50), eigenvectors sin(jkπ/(N+1)): a stiff, real-spectrum system with a closed-form solution.
 */
class Heat implements OdeSystem {
  readonly layout: { dim: number };
  calls = 0;
  constructor(readonly N: number) {
    this.layout = { dim: N };
  }
  rhs(u: Float64Array, du: Float64Array): void {
    this.calls++;
    const N = this.N;
    const c = (N + 1) ** 2;
    for (let j = 0; j < N; j++) du[j] = c * ((j > 0 ? u[j - 1] : 0) - 2 * u[j] + (j < N - 1 ? u[j + 1] : 0));
  }
  loss(u: Float64Array): number {
    return u.reduce((s, v) => s + v * v, 0);
  }
  eigenvalue(k: number): number {
    return -4 * (this.N + 1) ** 2 * Math.sin((k * Math.PI) / (2 * (this.N + 1))) ** 2;
  }
  /** u(t) for u(0) = Σ_k w_k sin(jkπ/(N+1)). */
  exact(weights: number[], t: number): Float64Array {
    const N = this.N;
    const u = new Float64Array(N);
    weights.forEach((w, i) => {
      const k = i + 1;
      const decay = w * Math.exp(this.eigenvalue(k) * t);
      for (let j = 0; j < N; j++) u[j] += decay * Math.sin(((j + 1) * k * Math.PI) / (N + 1));
    });
    return u;
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('rkc (Runge–Kutta–Chebyshev, docs/theory.md §7.5a)', () => {
  const heat = new Heat(50);
  // Every mode present, the smooth ones largest: the stiff modes decay within t ~ 1e-4, the slowest by e^{-10 t}.
  const weights = Array.from({ length: 50 }, (_, i) => 1 / (i + 1));
  const u0 = heat.exact(weights, 0);

  it('integrates the stiff heat equation to its closed-form solution, with at most a third of the evaluations of dopri5', () => {
    const options = { tMax: 1, saveTimes: [0.05, 1], rtol: 1e-6, atol: 1e-9 };
    heat.calls = 0;
    const r = solve(heat, u0, { ...options, method: 'rkc' });
    const rkcCalls = heat.calls;
    expect(r.status).toBe('t-max');
    // Global error of a tolerance-1e-6 integration of a contractive system: a few × rtol·|u|.
    expect(maxDiff(r.states[0], heat.exact(weights, 0.05))).toBeLessThan(1e-5);
    expect(maxDiff(r.xFinal, heat.exact(weights, 1))).toBeLessThan(1e-5);
    heat.calls = 0;
    const d = solve(heat, u0, { ...options, method: 'dopri5' });
    expect(maxDiff(d.xFinal, heat.exact(weights, 1))).toBeLessThan(1e-5);
    // dopri5 stays stability-limited (h ≤ 3.3/1.04e4) after the stiff modes have decayed (t ≳ 1e-3);
    // rkc's stages grow only like √(hρ), and its step like (rtol/error constant)^(1/3).
    expect(rkcCalls * 3).toBeLessThan(heat.calls);
  });

  it('estimates the spectral radius from above within its 1.2 safety factor', () => {
    const stepper = new RkcStepper(heat, 1e-6, 1e-9);
    stepper.start(u0);
    const xNew = new Float64Array(50);
    stepper.attempt(u0, 1e-3, xNew);
    const rho = -heat.eigenvalue(50);
    // Power iteration stops when σ changes by < 1 %, with σ ≤ ρ (A symmetric): 1.2σ ∈ [~1.0ρ, 1.2ρ].
    expect(stepper.spectralRadius).toBeGreaterThan(0.95 * rho);
    expect(stepper.spectralRadius).toBeLessThanOrEqual(1.2 * rho * (1 + 1e-9));
    // s = 1 + ⌈√(1 + 1.54 hρ)⌉ stages keep hρ inside the damped stability interval ≈ 0.653 s².
    expect(0.653 * stepper.lastStages ** 2).toBeGreaterThan(1e-3 * stepper.spectralRadius);
  });

  it('is second order: the one-step error falls ~8× per halving of h', () => {
    const osc: OdeSystem = {
      layout: { dim: 2 },
      rhs: (x, dx) => {
        dx[0] = x[1];
        dx[1] = -x[0];
      },
      loss: () => 0,
    };
    const errors = [0.2, 0.1, 0.05].map((h) => {
      const stepper = new RkcStepper(osc, 1e-6, 1e-9);
      const x = Float64Array.from([1, 0]);
      const xNew = new Float64Array(2);
      stepper.start(x);
      stepper.attempt(x, h, xNew);
      return maxDiff(xNew, [Math.cos(h), -Math.sin(h)]);
    });
    for (let i = 1; i < errors.length; i++) {
      const ratio = errors[i - 1] / errors[i];
      expect(ratio).toBeGreaterThan(6);
      expect(ratio).toBeLessThan(10);
    }
  });

  it('reports a non-finite stage as a rejected step (Infinity), §7.5', () => {
    const blowUp: OdeSystem = {
      layout: { dim: 1 },
      rhs: (x, dx) => {
        dx[0] = x[0] > 2 ? Number.NaN : x[0];
      },
      loss: () => 0,
    };
    const stepper = new RkcStepper(blowUp, 1e-6, 1e-9);
    const x = Float64Array.from([1.5]);
    stepper.start(x);
    // A step of 1000 on x' = x pushes the stages far beyond x = 2, where F is NaN.
    expect(stepper.attempt(x, 1000, new Float64Array(1))).toBe(Infinity);
  });

  it('brings the K = M = 8 ReLU gradient flow to the same fixed point as dopri5', () => {
    const K = 8;
    // Seed 5009 (d = K init) ends at a spurious k1 = 1 fixed point, L ≈ 0.0215 (stats reference runs).
    const o = randomOverlaps(K, K, K, 5009);
    const flow = new Flow('gd', activationByName('relu'), o, { lr: 1 });
    const x0 = flow.pack(o);
    const options = { tMax: 1e4, saveTimes: [], rtol: 1e-8, atol: 1e-10, convergenceTol: 1e-10 };
    const r = solve(flow, x0, { ...options, method: 'rkc' });
    const d = solve(flow, x0, { ...options, method: 'dopri5' });
    expect(r.status).toBe('converged');
    expect(d.status).toBe('converged');
    expect(flow.loss(r.xFinal)).toBeCloseTo(0.021508038, 8);
    // Both are within max|F|/|λ_slow| (≈ 1e-10/1e-3) of the fixed point.
    expect(maxDiff(r.xFinal, d.xFinal)).toBeLessThan(1e-6);
    expect(r.steps).toBeLessThan(d.steps);
  });
});
