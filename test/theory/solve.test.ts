import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { activationByName } from '../../src/theory/activations/index.js';
import { Flow } from '../../src/theory/flow.js';
import { randomOverlaps } from '../../src/theory/init.js';
import type { Overlaps } from '../../src/model/overlaps.js';
import { Dopri5Stepper } from '../../src/theory/solvers/dopri5.js';
import {
  type OdeSystem,
  type SolveOptions,
  buildSaveTimes,
  parseSaveTimes,
  solve,
  solveMany,
  trajectoryFromSolve,
} from '../../src/theory/solvers/solve.js';

const relu = activationByName('relu');
const erf = activationByName('erf');

/** A small analytic system with a rhs counter (the flows are autonomous; so are these). */
class Linear2D implements OdeSystem {
  readonly layout = { dim: 2 };
  calls = 0;
  /** x' = y, y' = −x: x = cos t, y = −sin t from (1, 0). */
  rhs(x: Float64Array, dx: Float64Array): void {
    this.calls++;
    dx[0] = x[1];
    dx[1] = -x[0];
  }
  loss(x: Float64Array): number {
    return x[0] * x[0] + x[1] * x[1];
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxStateDiff(a: Float64Array[], b: Float64Array[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((s, i) => maxDiff(s, b[i])));
}

function gdFlow(
  K: number,
  M: number,
  seed: number,
  name: 'gd' | 'gd2l' = 'gd',
  act = relu,
): { flow: Flow; o: Overlaps } {
  const o = randomOverlaps(K, M, K, seed);
  return { flow: new Flow(name, act, o, { lr: 1 }), o };
}

describe('save times (log:N, linear:N, explicit list)', () => {
  it('builds the documented grids', () => {
    expect(buildSaveTimes(parseSaveTimes('linear:3'), 100)).toEqual([0, 50, 100]);
    expect(buildSaveTimes(parseSaveTimes('0,1,5,10'), 10)).toEqual([0, 1, 5, 10]);
    const log = buildSaveTimes(parseSaveTimes('log:5'), 100);
    // 0, then 4 log-spaced times from 0.01·min(1, tMax) to tMax: ratio (100/0.01)^(1/3).
    expect(log[0]).toBe(0);
    expect(log[1]).toBeCloseTo(0.01, 15);
    expect(log[2]).toBeCloseTo(0.01 * 1e4 ** (1 / 3), 12);
    expect(log[4]).toBe(100);
    expect(buildSaveTimes(parseSaveTimes('log:2'), 3)).toEqual([0, 3]);
  });
  it('rejects malformed specs with InputError naming the flag', () => {
    for (const bad of ['log:1', 'log:x', 'lin:3', '', '1,0', '0,-1', '0,,1', '1e400', 'linear:2.5']) {
      expect(() => parseSaveTimes(bad), bad).toThrow(InputError);
      expect(() => parseSaveTimes(bad), bad).toThrow(/--save-times/);
    }
    expect(() => buildSaveTimes(parseSaveTimes('0,20'), 10)).toThrow(/beyond t-max/);
  });
});

describe('dopri5 (Dormand–Prince 5(4), PI control, dense output)', () => {
  it('local step error O(h^6) at the step end and O(h^5) for the dense output (θ = 0.37)', () => {
    // One step from (1, 0); exact (cos h, −sin h). Halving h must divide the errors by ~2^6 and ~2^5.
    const sys = new Linear2D();
    const stepper = new Dopri5Stepper(sys, 1e-6, 1e-6);
    const errors = (h: number) => {
      const x = new Float64Array([1, 0]);
      const xNew = new Float64Array(2);
      const mid = new Float64Array(2);
      stepper.start(x);
      stepper.attempt(x, h, xNew);
      stepper.interpolate(x, xNew, h, 0.37, mid);
      const t = 0.37 * h;
      return {
        end: Math.hypot(xNew[0] - Math.cos(h), xNew[1] + Math.sin(h)),
        dense: Math.hypot(mid[0] - Math.cos(t), mid[1] + Math.sin(t)),
      };
    };
    const coarse = errors(0.4);
    const fine = errors(0.2);
    expect(Math.log2(coarse.end / fine.end)).toBeGreaterThan(5.5);
    expect(Math.log2(coarse.dense / fine.dense)).toBeGreaterThan(4.5);
    expect(Math.log2(coarse.dense / fine.dense)).toBeLessThan(5.6);
  });

  it('meets the tolerance at step ends and at dense save times, with FSAL (≈6 rhs per step)', () => {
    const sys = new Linear2D();
    const saveTimes = buildSaveTimes(parseSaveTimes('linear:101'), 20);
    const r = solve(sys, new Float64Array([1, 0]), { method: 'dopri5', tMax: 20, rtol: 1e-10, atol: 1e-10, saveTimes });
    expect(r.status).toBe('t-max');
    expect(r.times).toEqual(saveTimes);
    const err = Math.max(
      ...r.states.map((s, i) => Math.hypot(s[0] - Math.cos(r.times[i]), s[1] + Math.sin(r.times[i]))),
    );
    // Global error of a tolerance-proportional method over ~3 periods: a few × tol.
    expect(err).toBeLessThan(2e-9);
    // FSAL: 6 evaluations per attempted step + start + the automatic initial-step probe.
    expect(sys.calls).toBe(6 * (r.steps + r.rejected) + 2);
  });

  it('global error shrinks in proportion to the tolerance', () => {
    const errAt = (tol: number) => {
      const r = solve(new Linear2D(), new Float64Array([1, 0]), {
        method: 'dopri5',
        tMax: 10,
        rtol: tol,
        atol: tol,
        saveTimes: [10],
      });
      return Math.hypot(r.xFinal[0] - Math.cos(10), r.xFinal[1] + Math.sin(10));
    };
    const e6 = errAt(1e-6);
    const e8 = errAt(1e-8);
    const e10 = errAt(1e-10);
    // Error per unit tolerance stays O(1): 100× smaller tolerance gives 30–300× smaller error.
    for (const [big, small] of [
      [e6, e8],
      [e8, e10],
    ]) {
      expect(big / small).toBeGreaterThan(30);
      expect(big / small).toBeLessThan(300);
    }
    expect(e6).toBeLessThan(1e-4);
  });

  it('treats a non-finite stage as a rejected step and shrinks (docs/theory.md §7.5)', () => {
    // x' = −10x, but the rhs is NaN for x < 0: with h = 1 the second stage x − 2x < 0 is NaN.
    const sys: OdeSystem = {
      layout: { dim: 1 },
      rhs: (x, dx) => {
        dx[0] = x[0] < 0 ? NaN : -10 * x[0];
      },
      loss: (x) => x[0],
    };
    const r = solve(sys, new Float64Array([1]), {
      method: 'dopri5',
      tMax: 1,
      dt: 1,
      rtol: 1e-9,
      atol: 1e-14,
      saveTimes: [0.5, 1],
    });
    expect(r.status).toBe('t-max');
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.firstStep).toBe(1);
    expect(Math.abs(r.states[0][0] / Math.exp(-5) - 1)).toBeLessThan(1e-7);
    expect(Math.abs(r.states[1][0] / Math.exp(-10) - 1)).toBeLessThan(1e-7);
  });

  it("reports divergence at a finite-time blow-up instead of looping (x' = x², x(0) = 1)", () => {
    const sys: OdeSystem = {
      layout: { dim: 1 },
      rhs: (x, dx) => {
        dx[0] = x[0] * x[0];
      },
      loss: (x) => x[0],
    };
    const r = solve(sys, new Float64Array([1]), {
      method: 'dopri5',
      tMax: 2,
      saveTimes: [0, 0.5, 1.5, 2],
      maxSteps: 100_000,
    });
    expect(['diverged', 'max-steps']).toContain(r.status);
    // The numerical blow-up time differs from the exact t = 1 by ~rtol.
    expect(Math.abs(r.tFinal - 1)).toBeLessThan(1e-6);
    expect(r.times).toEqual([0, 0.5]);
    expect(Math.abs(r.states[1][0] - 2)).toBeLessThan(1e-7);
    const euler = solve(sys, new Float64Array([1]), { method: 'euler', dt: 0.5, tMax: 10, saveTimes: [0, 10] });
    expect(euler.status).toBe('diverged');
  });
});

describe('solve on the mean-field flows', () => {
  const tMax = 5;
  const saveTimes = buildSaveTimes(parseSaveTimes('linear:11'), tMax);
  const { flow, o } = gdFlow(3, 3, 7);
  const x0 = flow.pack(o);
  const reference = solve(flow, x0, { method: 'dopri5', tMax, rtol: 1e-13, atol: 1e-15, saveTimes });

  it('Euler converges to dopri5 at first order (error halves with dt)', () => {
    const err = (dt: number) =>
      maxStateDiff(solve(flow, x0, { method: 'euler', tMax, dt, saveTimes }).states, reference.states);
    const e1 = err(0.02);
    const e2 = err(0.01);
    // Global error C·dt + O(dt²): ratio 2 up to the second-order term.
    expect(e1 / e2).toBeGreaterThan(1.8);
    expect(e1 / e2).toBeLessThan(2.2);
    expect(e2).toBeLessThan(1e-2);
  });

  it('Euler save times on its grid are the grid states themselves', () => {
    const r = solve(flow, x0, { method: 'euler', tMax: 1, dt: 0.25, saveTimes: [0, 0.5, 1] });
    const by = solve(flow, x0, { method: 'euler', tMax: 0.5, dt: 0.25, saveTimes: [0.5] });
    expect(r.steps).toBe(4);
    expect(r.states[1]).toEqual(by.states[0]);
  });

  it('dopri5 agrees with a tight-tolerance run, error proportional to rtol', () => {
    const err = (rtol: number) =>
      maxStateDiff(
        solve(flow, x0, { method: 'dopri5', tMax, rtol, atol: rtol * 1e-2, saveTimes }).states,
        reference.states,
      );
    const e6 = err(1e-6);
    const e9 = err(1e-9);
    expect(e6).toBeLessThan(1e-4);
    expect(e9).toBeLessThan(1e-7);
    expect(e6 / e9).toBeGreaterThan(100);
  });

  it('gradient flow never increases the loss (gd relu/erf, gd2l)', () => {
    for (const [name, act] of [
      ['gd', relu],
      ['gd', erf],
      ['gd2l', relu],
    ] as const) {
      const g = gdFlow(4, 4, 11, name, act);
      const times = buildSaveTimes(parseSaveTimes('log:300'), 1000);
      const r = solve(g.flow, g.flow.pack(g.o), { method: 'dopri5', tMax: 1000, saveTimes: times });
      for (let i = 1; i < r.loss.length; i++) {
        // dL/dt = −η|∇L|² ≤ 0, up to a few ulps of the O(1) closed-form sums (1e-14). Exception: at the
        // global minimum Ω is singular (rank d = K < K+M) and L grows like the square root of the distance
        // from the PSD boundary (docs/theory.md §7.4), so integration round-off shows as |L| ≲ 1e-8 of
        // either sign there (we see ±5e-9): losses below that floor count as 0.
        const floor = (v: number) => (Math.abs(v) < 1e-8 ? 0 : v);
        expect(floor(r.loss[i]), `${name} ${act.name} t=${r.times[i]}`).toBeLessThanOrEqual(
          floor(r.loss[i - 1]) + 1e-14,
        );
      }
      expect(r.loss[r.loss.length - 1]).toBeLessThan(0.5 * r.loss[0]);
    }
  });

  it('ngd keeps diag(Q) = 1 and ongd keeps Q = I to 1e-9 up to t = 300', () => {
    const sphere = randomOverlaps(3, 3, 6, 5, '--init-d', 'sphere');
    const ngd = new Flow('ngd', relu, sphere, { lr: 1 });
    const rs = solve(ngd, ngd.pack(sphere), { method: 'dopri5', tMax: 300, saveTimes: [0, 100, 300] });
    expect(rs.status).toBe('t-max');
    for (const x of rs.states)
      for (let k = 0; k < 3; k++) expect(Math.abs(x[ngd.layout.q(k, k)] - 1)).toBeLessThan(1e-9);

    const stiefel = randomOverlaps(3, 3, 6, 5, '--init-d', 'stiefel');
    const ongd = new Flow('ongd', relu, stiefel, { lr: 1 });
    const ro = solve(ongd, ongd.pack(stiefel), { method: 'dopri5', tMax: 300, saveTimes: [0, 100, 300] });
    expect(ro.status).toBe('t-max');
    for (const x of ro.states) {
      for (let k = 0; k < 3; k++)
        for (let l = k; l < 3; l++) expect(Math.abs(x[ongd.layout.q(k, l)] - (k === l ? 1 : 0))).toBeLessThan(1e-9);
    }
    // The constrained flows did move (R changed): the invariance is not vacuous.
    expect(maxDiff(rs.states[2], rs.states[0])).toBeGreaterThan(1e-2);
    expect(maxDiff(ro.states[2], ro.states[0])).toBeGreaterThan(1e-2);
  });

  it('permuting the student units permutes the solution', () => {
    const K = 3;
    const M = 2;
    const base = randomOverlaps(K, M, K, 21);
    base.a = new Float64Array([0.7, 1.2, 0.9]);
    const perm = [2, 0, 1];
    const permuted: Overlaps = {
      ...base,
      Q: Float64Array.from({ length: K * K }, (_, i) => base.Q[perm[Math.floor(i / K)] * K + perm[i % K]]),
      R: Float64Array.from({ length: K * M }, (_, i) => base.R[perm[Math.floor(i / M)] * M + (i % M)]),
      a: Float64Array.from(perm, (p) => base.a[p]),
    };
    const times = buildSaveTimes(parseSaveTimes('log:50'), 50);
    const f1 = new Flow('gd2l', relu, base, { lr: 1, lrReadout: 0.5 });
    const f2 = new Flow('gd2l', relu, permuted, { lr: 1, lrReadout: 0.5 });
    const r1 = solve(f1, f1.pack(base), { method: 'dopri5', tMax: 50, saveTimes: times });
    const r2 = solve(f2, f2.pack(permuted), { method: 'dopri5', tMax: 50, saveTimes: times });
    const L = f1.layout;
    let worst = 0;
    r1.states.forEach((x1, s) => {
      const x2 = r2.states[s];
      for (let k = 0; k < K; k++) {
        for (let l = 0; l < K; l++) worst = Math.max(worst, Math.abs(x2[L.q(k, l)] - x1[L.q(perm[k], perm[l])]));
        for (let m = 0; m < M; m++) worst = Math.max(worst, Math.abs(x2[L.r(k, m)] - x1[L.r(perm[k], m)]));
        worst = Math.max(worst, Math.abs(x2[L.a(k)] - x1[L.a(perm[k])]));
      }
    });
    // Same arithmetic up to the summation order inside the rhs: round-off only.
    expect(worst).toBeLessThan(1e-12);
    expect(maxDiff(r1.loss, r2.loss)).toBeLessThan(1e-12);
  });

  it('stops at convergence and fills the remaining save times with the final state', () => {
    const g = gdFlow(2, 2, 3, 'gd', erf);
    const times = buildSaveTimes(parseSaveTimes('log:40'), 1e4);
    const r = solve(g.flow, g.flow.pack(g.o), { method: 'dopri5', tMax: 1e4, saveTimes: times, convergenceTol: 1e-7 });
    expect(r.status).toBe('converged');
    expect(r.maxRhs).toBeLessThan(1e-7);
    expect(r.tFinal).toBeLessThan(1e4);
    expect(r.times).toEqual(times);
    const after = r.times.findIndex((t) => t > r.tFinal);
    expect(after).toBeGreaterThan(0);
    for (let i = after; i < r.times.length; i++) expect(r.states[i]).toEqual(r.xFinal);
  });

  it('solveMany equals separate solves; trajectoryFromSolve carries layout, seed and d', () => {
    const { flow: f, o: o1 } = gdFlow(2, 2, 1);
    const o2 = randomOverlaps(2, 2, 2, 2);
    const opts: SolveOptions = { method: 'dopri5', tMax: 3, saveTimes: [0, 1, 3] };
    const many = solveMany(f, [f.pack(o1), f.pack(o2)], opts);
    expect(many[1].states).toEqual(solve(f, f.pack(o2), opts).states);
    expect(many[0].states).toEqual(solve(f, f.pack(o1), opts).states);
    const tr = trajectoryFromSolve(f, many[1], { seed: 2, d: 2 });
    expect(tr.source).toBe('theory');
    expect(tr.layout.columnNames()).toEqual(['Q_1_1', 'Q_1_2', 'Q_2_2', 'R_1_1', 'R_1_2', 'R_2_1', 'R_2_2']);
    expect([tr.seed, tr.d, tr.times]).toEqual([2, 2, [0, 1, 3]]);
  });
});

/** Solve A x = b (n small) by Gaussian elimination with partial pivoting. */
function linearSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let j = c; j <= n; j++) M[r][j] -= f * M[c][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let j = r + 1; j < n; j++) s -= M[r][j] * x[j];
    x[r] = s / M[r][r];
  }
  return x;
}

describe('K = M = 2 erf online SGD (η = 1, label noise σ = 0.3): values computed independently', () => {
  // The rhs itself (incl. the η² I4 term) is checked against Monte Carlo in flow.test.ts; here the
  // integration is checked against computations that do not use dopri5.
  const o = randomOverlaps(2, 2, 2, 3);
  const flow = new Flow('sgd', erf, o, { lr: 1, labelNoise: 0.3 });
  const x0 = flow.pack(o);

  it('dopri5 at t = 10 equals Richardson-extrapolated Euler', () => {
    const tMax = 10;
    const tight = solve(flow, x0, { method: 'dopri5', tMax, rtol: 1e-11, atol: 1e-13, saveTimes: [tMax] }).xFinal;
    const euler = (dt: number) => solve(flow, x0, { method: 'euler', tMax, dt, saveTimes: [tMax] }).xFinal;
    const [e1, e2, e4] = [euler(0.01), euler(0.005), euler(0.0025)];
    // Euler: x(dt) = x + C dt + D dt² + ...; 2x(dt/2) − x(dt) cancels C and leaves −D dt²/2.
    const rich12 = e2.map((v, i) => 2 * v - e1[i]);
    const rich24 = e4.map((v, i) => 2 * v - e2[i]);
    // The remaining O(dt²) error of rich24 is ≈ |rich12 − rich24|/3 (it drops 4× per halving).
    const remainder = maxDiff(rich12, rich24) / 3;
    expect(remainder).toBeLessThan(1e-5);
    expect(maxDiff(tight, rich24)).toBeLessThan(3 * remainder + 1e-9);
    // Plain Euler at dt = 0.0025 is far worse: the agreement above is not a tolerance artefact.
    expect(maxDiff(tight, e4)).toBeGreaterThan(30 * remainder);
  });

  it('the long-time state is the noisy fixed point found by Newton from the noiseless optimum', () => {
    // At the default rtol the step size hovers at dopri5's stability limit near the fixed point and
    // |F| stalls at ~1e-10 (tolerance-level noise); rtol 1e-11 lets max|F| reach 1e-12.
    const r = solve(flow, x0, {
      method: 'dopri5',
      tMax: 3000,
      rtol: 1e-11,
      atol: 1e-13,
      saveTimes: [3000],
      convergenceTol: 1e-12,
    });
    expect(r.status).toBe('converged');
    // Newton on F(x) = 0 with a central-difference Jacobian (h = 1e-7: FD error ~1e-14·|F''|), from the
    // σ = 0 global minimum Q = R = T = I (which the noise displaces; S = 0 there, §4.2).
    const L = flow.layout;
    const x = new Float64Array(L.dim);
    for (let k = 0; k < 2; k++) {
      x[L.q(k, k)] = 1;
      x[L.r(k, k)] = 1;
    }
    const F = new Float64Array(L.dim);
    const Fp = new Float64Array(L.dim);
    const Fm = new Float64Array(L.dim);
    for (let iter = 0; iter < 20; iter++) {
      flow.rhs(x, F);
      if (Math.max(...F.map(Math.abs)) < 1e-14) break;
      const J = Array.from({ length: L.dim }, () => new Array<number>(L.dim).fill(0));
      for (let j = 0; j < L.dim; j++) {
        const xj = x[j];
        x[j] = xj + 1e-7;
        flow.rhs(x, Fp);
        x[j] = xj - 1e-7;
        flow.rhs(x, Fm);
        x[j] = xj;
        for (let i = 0; i < L.dim; i++) J[i][j] = (Fp[i] - Fm[i]) / 2e-7;
      }
      const step = linearSolve(
        J,
        Array.from(F, (f) => -f),
      );
      for (let i = 0; i < L.dim; i++) x[i] += step[i];
    }
    flow.rhs(x, F);
    expect(Math.max(...F.map(Math.abs))).toBeLessThan(1e-13);
    // |x_ode − x*| ≲ |F|/|λ_min| with |F| < 1e-12 at the stop; 1e-9 allows λ_min down to 1e-3.
    expect(maxDiff(r.xFinal, x)).toBeLessThan(1e-9);
    // Label noise keeps the loss away from 0 at the fixed point (σ² terms of §4.2).
    expect(flow.loss(x)).toBeGreaterThan(1e-3);
  });
});
