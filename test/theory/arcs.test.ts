import { describe, expect, it } from 'vitest';
import { countAntiAligned } from '../../src/landscape/classify.js';
import { solveFamily } from '../../src/landscape/families.js';
import { NormalSampler } from '../../src/random/normal.js';
import {
  type Objective,
  type TangencyArcs,
  findBarrier,
  followArc,
  logRadii,
  optimiseOnSphere,
  tangencyArcs,
} from '../../src/theory/hessian/arcs.js';
import { reluWeightGradientAtContacts, reluWeightLossAtContacts } from '../../src/theory/hessian/contact-gradient.js';
import { descendToCriticalPoint, weightObjective } from '../../src/theory/hessian/relu-arcs.js';
import { reluHessian, reluWeightGradient, reluWeightLoss } from '../../src/theory/hessian/relu-hessian.js';
import { type WeightPoint, identityGlobalMinimum, realiseAtDimension } from '../../src/theory/hessian/weights.js';
import { orthonormaliseRows } from '../../src/theory/init.js';
import { teacherStudentFlow } from '../landscape/helpers.js';

/** Random orthogonal n×n (rows orthonormalised Gaussian). */
function orthogonal(n: number, seed: number): Float64Array {
  const O = new NormalSampler(seed).fill(new Float64Array(n * n));
  orthonormaliseRows(O, n, n);
  for (let i = 0; i < n * n; i++) O[i] /= Math.sqrt(n);
  return O;
}

/** f(x) = f0 + ½(x − c)ᵀA(x − c) + bᵀ(x − c) with A = Oᵀ diag(λ) O. */
function quadratic(
  lambda: number[],
  seed: number,
  b?: Float64Array,
  f0 = 0.3,
): { f: Objective; A: Float64Array; O: Float64Array; centre: Float64Array } {
  const n = lambda.length;
  const O = orthogonal(n, seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += O[k * n + i] * lambda[k] * O[k * n + j];
  const centre = new NormalSampler(seed + 100).fill(new Float64Array(n));
  const lin = b ?? new Float64Array(n);
  const f: Objective = {
    dim: n,
    value: (x) => {
      let s = f0;
      for (let i = 0; i < n; i++) {
        s += lin[i] * (x[i] - centre[i]);
        for (let j = 0; j < n; j++) s += 0.5 * (x[i] - centre[i]) * A[i * n + j] * (x[j] - centre[j]);
      }
      return s;
    },
    gradient: (x, out) => {
      for (let i = 0; i < n; i++) {
        out[i] = lin[i];
        for (let j = 0; j < n; j++) out[i] += A[i * n + j] * (x[j] - centre[j]);
      }
    },
  };
  return { f, A, O, centre };
}

describe('tangency arcs of a quadratic (known answer)', () => {
  it('½xᵀAx: the minimum and maximum on every sphere are exactly f0 + λ_min r²/2 and f0 + λ_max r²/2, along the extreme eigenspaces', () => {
    // λ_min doubly degenerate: any vector of its eigenspace is a minimiser.
    const lambda = [0.05, 0.05, 0.2, 0.7, 1.1, 2.5, 3];
    const { f, A, centre } = quadratic(lambda, 1);
    const radii = logRadii(0.01, 3, 12);
    const t = tangencyArcs(f, centre, A, { radii, random: 2, seed: 5 });
    expect(t.allConverged).toBe(true);
    expect(t.multiplicityMin).toBe(2);
    expect(t.multiplicityMax).toBe(1);
    expect(t.lambdaMin).toBeCloseTo(0.05, 14);
    for (const row of t.rows) {
      // Convergence |g_T| ≤ 1e-8|∇f| leaves a value error ~(1e-8)²·λ_max r²: relative 1e-12 is ample.
      expect(Math.abs(row.lossMin - row.quadraticMin)).toBeLessThan(1e-12 * row.quadraticMin);
      expect(Math.abs(row.lossMax - row.quadraticMax)).toBeLessThan(1e-12 * row.quadraticMax);
      expect(row.quadraticMin).toBeCloseTo(0.3 + (0.05 * row.r ** 2) / 2, 14);
      expect(row.overlapMin).toBeCloseTo(1, 10);
      expect(row.overlapMax).toBeCloseTo(1, 10);
      expect(row.lossMax).toBeGreaterThanOrEqual(row.lossMin);
    }
    expect(t.barrier).toBeNull();
  });

  it('an indefinite A: the minimising arc is below f0 at the first radius (a saddle: barrier radius = first radius, height 0)', () => {
    const { f, A, centre } = quadratic([-0.4, 0.3, 1, 2], 2);
    const t = tangencyArcs(f, centre, A, { radii: logRadii(0.1, 1, 4) });
    expect(t.rows[0].lossMin).toBeCloseTo(0.3 - 0.2 * 0.01, 13);
    expect(t.barrier).toEqual({ radius: 0.1, previousRadius: null, height: 0, peakRadius: null });
  });

  it('½xᵀAx + bᵀx (the trust-region subproblem): the arcs match the secular-equation solution at every radius', () => {
    const lambda = [-0.5, 0.2, 0.3, 1, 2.5];
    const n = lambda.length;
    const b = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.4]);
    const { f, A, O, centre } = quadratic(lambda, 3, b, 0);
    const bEig = Array.from({ length: n }, (_, k) =>
      O.subarray(k * n, (k + 1) * n).reduce((s, o, i) => s + o * b[i], 0),
    );
    const bNorm = Math.hypot(...b);
    // Extremum on |y| = r: y = −(A − μI)⁻¹b with Σ_k (b_k/(λ_k − μ))² = r², μ < λ_min (min) or μ > λ_max (max)
    // (Moré–Sorensen; the hard case needs b ⊥ an extreme eigenspace, not so here). Bisection in μ.
    const secular = (r: number, sense: 'min' | 'max') => {
      const edge = sense === 'min' ? lambda[0] : lambda[n - 1];
      const far = sense === 'min' ? edge - bNorm / r : edge + bNorm / r;
      let [lo, hi] = [far, edge];
      for (let i = 0; i < 200; i++) {
        const mu = 0.5 * (lo + hi);
        const norm2 = bEig.reduce((s, bk, k) => s + (bk / (lambda[k] - mu)) ** 2, 0);
        if (norm2 > r * r) hi = mu;
        else lo = mu;
      }
      const mu = 0.5 * (lo + hi);
      return bEig.reduce(
        (s, bk, k) => s + 0.5 * lambda[k] * (bk / (lambda[k] - mu)) ** 2 - (bk * bk) / (lambda[k] - mu),
        0,
      );
    };
    const radii = logRadii(0.05, 5, 15);
    const t = tangencyArcs(f, centre, A, { radii });
    expect(t.allConverged).toBe(true);
    t.rows.forEach((row) => {
      expect(Math.abs(row.lossMin - secular(row.r, 'min'))).toBeLessThan(1e-10 * Math.max(1, Math.abs(row.lossMin)));
      expect(Math.abs(row.lossMax - secular(row.r, 'max'))).toBeLessThan(1e-10 * Math.max(1, Math.abs(row.lossMax)));
    });
    // A linear term: the minimum is below f0 at once (no barrier), the maximum above.
    expect(t.barrier?.previousRadius).toBeNull();
  });

  it('convergence is checked, not assumed: an iteration cap reports converged = false', () => {
    const { f, centre } = quadratic([0.01, 0.2, 1, 3], 4);
    const start = Float64Array.from([1, 1, 1, 1]);
    expect(optimiseOnSphere(f, centre, 0.5, start, 'min', { maxIterations: 2 }).converged).toBe(false);
    const done = optimiseOnSphere(f, centre, 0.5, start, 'min');
    expect(done.converged).toBe(true);
    expect(done.tangentGradient).toBeLessThanOrEqual(1e-8 * done.gradient + 1e-14);
    expect(done.value).toBeCloseTo(0.3 + 0.01 * 0.125, 13);
    // Continuation keeps the direction: every point of an arc lies on its sphere.
    for (const p of followArc(f, centre, [0.1, 0.2, 0.4], start, 'max'))
      expect(Math.hypot(...p.x.map((x, i) => x - centre[i]))).toBeCloseTo(p.radius, 13);
  });

  it('findBarrier: first radius below f0 − tolerance, and the highest loss_min before it', () => {
    const rows = [0.1, 0.2, 0.3, 0.4, 0.5].map((r, i) => ({ r, lossMin: [1.1, 1.3, 1.2, 0.9, 0.5][i] }));
    expect(findBarrier(rows, 1, 1e-12)).toEqual({
      radius: 0.4,
      previousRadius: 0.3,
      height: expect.closeTo(0.3, 12),
      peakRadius: 0.2,
    });
    expect(findBarrier(rows.slice(0, 3), 1, 1e-12)).toBeNull();
    expect(findBarrier([{ r: 1, lossMin: 1 - 1e-13 }], 1, 1e-12)).toBeNull();
  });
});

describe('contact-accurate ReLU loss and gradient (contact-gradient.ts)', () => {
  it('equal the overlap (Stein) forms at generic points, with and without readouts', () => {
    const s = new NormalSampler(7);
    const p: WeightPoint = {
      K: 4,
      M: 3,
      d: 6,
      V: s.fill(new Float64Array(24), 0, 0.4),
      Vstar: s.fill(new Float64Array(18), 0, 0.4),
      a: Float64Array.from([0.7, -0.5, 1.2, 1]),
      v: Float64Array.from([1, 0.6, 1.3]),
    };
    expect(Math.abs(reluWeightLossAtContacts(p) - reluWeightLoss(p))).toBeLessThan(1e-15);
    for (const readouts of [false, true]) {
      const g = reluWeightGradient(p, { readouts });
      const h = reluWeightGradientAtContacts(p, { readouts });
      expect(h).toHaveLength(readouts ? 28 : 24);
      expect(Math.max(...g.map((x, i) => Math.abs(x - h[i])))).toBeLessThan(1e-14);
    }
  });

  it('are exact to ~ε at a contact (students parallel to their teachers, rescaled), where the Stein form errs by ~1e-9', () => {
    let steinError = 0;
    for (const seed of [1, 2, 3, 4]) {
      const d = 3;
      const O = orthogonal(d, seed);
      const scale = [1.3, 0.7, 1.1];
      const V = O.map((x, i) => x * scale[Math.floor(i / d)]);
      const p: WeightPoint = {
        K: 3,
        M: 3,
        d,
        V,
        Vstar: O.slice(),
        a: new Float64Array(3).fill(1),
        v: new Float64Array(3).fill(1),
      };
      // κ = |u||w|/2 for a parallel pair, |u||w|/2π for an orthogonal one; c = (1, 1, 1, −1, −1, −1).
      const norms = [...scale, 1, 1, 1];
      const c = [1, 1, 1, -1, -1, -1];
      let L = 0;
      for (let a = 0; a < 6; a++)
        for (let b = 0; b < 6; b++)
          L += 0.5 * c[a] * c[b] * norms[a] * norms[b] * (a % 3 === b % 3 ? 0.5 : 1 / (2 * Math.PI));
      // ∇_{v_k}L = Σ_β c_β ∇₁κ(v_k, u_β): ½u_β for a parallel β (itself included), u_β/4 + |u_β|/(2π) v̂_k otherwise.
      const grad = new Float64Array(9);
      for (let k = 0; k < 3; k++) {
        for (let b = 0; b < 6; b++) {
          const ub = (i: number) => (b < 3 ? V[b * d + i] : O[(b - 3) * d + i]);
          for (let i = 0; i < d; i++)
            grad[k * d + i] +=
              c[b] * (b % 3 === k ? 0.5 * ub(i) : 0.25 * ub(i) + (norms[b] / (2 * Math.PI)) * O[k * d + i]);
        }
      }
      expect(Math.abs(reluWeightLossAtContacts(p) - L)).toBeLessThan(1e-15);
      const h = reluWeightGradientAtContacts(p);
      expect(Math.max(...h.map((x, i) => Math.abs(x - grad[i])))).toBeLessThan(1e-15);
      steinError = Math.max(steinError, Math.abs(reluWeightLoss(p) - L));
    }
    expect(steinError).toBeGreaterThan(1e-11); // why the arcs need this module
  });
});

/** Arcs of the ReLU loss (gd, V only) around a weight point, with the exact Hessian. */
function reluArcs(
  p: WeightPoint,
  radii: number[],
): { t: TangencyArcs; pointAt: ReturnType<typeof weightObjective>['pointAt'] } {
  const w = weightObjective(p, false);
  return { t: tangencyArcs(w.objective, w.centre, reluHessian(p).H, { radii }), pointAt: w.pointAt };
}

/** Small-r checks: deviation from λr²/2 is O(r³) (bounded, steady coefficient), and max ≥ min. */
function expectSmallRadiusLimits(t: TangencyArcs): void {
  expect(t.allConverged).toBe(true);
  const ratio = (dev: number, r: number) => dev / r ** 3;
  const mins = t.rows.map((row) => ratio(row.lossMin - row.quadraticMin, row.r));
  const maxs = t.rows.map((row) => ratio(row.lossMax - row.quadraticMax, row.r));
  for (const series of [mins, maxs]) {
    // The r³ coefficient is O(0.1) here; an O(r²) error (a wrong λ) would make it grow like 1/r.
    for (const c of series) expect(Math.abs(c)).toBeLessThan(1);
    const [lo, hi] = [Math.min(...series), Math.max(...series)];
    expect(hi - lo).toBeLessThan(0.05 * Math.max(Math.abs(lo), Math.abs(hi)) + 1e-3);
  }
  for (const row of t.rows) {
    expect(row.lossMax).toBeGreaterThanOrEqual(row.lossMin);
    // The leading term is really λr²/2: the deviation is a small fraction of it.
    expect(Math.abs(row.lossMin - row.quadraticMin)).toBeLessThan(0.05 * Math.abs(row.quadraticMin - row.lossCentre));
  }
}

describe('tangency arcs of the ReLU loss (V = W/√d)', () => {
  it('K = M = 3 global minimum V = V* (a contact): small-r limits λ_min r²/2, λ_max r²/2 within O(r³); no barrier; the flow returns to the global minimum', () => {
    const p = identityGlobalMinimum(3);
    const { t, pointAt } = reluArcs(p, logRadii(1e-3, 1e-2, 6));
    expect(t.lambdaMin).toBeCloseTo(0.25 - 1 / (2 * Math.PI), 12);
    expect(t.multiplicityMin).toBe(3);
    expectSmallRadiusLimits(t);
    expect(t.barrier).toBeNull();
    const wide = reluArcs(p, logRadii(0.01, 1, 12)).t;
    for (const row of wide.rows) expect(row.lossMax).toBeGreaterThanOrEqual(row.lossMin);
    expect(wide.barrier).toBeNull(); // loss ≥ 0 = loss0 everywhere
    const descent = descendToCriticalPoint(pointAt(t.lastMinPoint), false);
    expect(descent.status).toBe('converged');
    expect(descent.loss).toBeLessThan(1e-8);
  });

  const flow8 = teacherStudentFlow('gd', 8, 8);
  const [k1Minimum] = solveFamily(flow8, 1).filter((s) => s.stability.verdict === 'stable');

  it('K = M = 8 k1 = 1 minimum at d = 8: small-r limits within O(r³), max ≥ min at every r', () => {
    const { point } = realiseAtDimension(flow8.unpack(k1Minimum.x));
    const { t } = reluArcs(point, logRadii(1e-3, 1e-2, 5));
    expect(t.lambdaMin).toBeCloseTo(0.0213466, 6); // docs/hessian.md table
    expect(t.lambdaMax).toBeCloseTo(2.5646, 4);
    expectSmallRadiusLimits(t);
  });

  it('K = M = 8 k1 = 1: the minimising arc climbs a barrier of ~6e-4, drops below the centre near r ≈ 0.6–0.8 and leads to the global minimum', () => {
    const { point } = realiseAtDimension(flow8.unpack(k1Minimum.x));
    const { t, pointAt } = reluArcs(point, logRadii(0.01, 1, 30));
    expect(t.allConverged).toBe(true);
    for (const row of t.rows) expect(row.lossMax).toBeGreaterThanOrEqual(row.lossMin);
    const b = t.barrier;
    expect(b).not.toBeNull();
    expect(b!.radius).toBeGreaterThan(0.5);
    expect(b!.radius).toBeLessThan(0.9);
    expect(b!.height).toBeGreaterThan(3e-4);
    expect(b!.height).toBeLessThan(1e-3);
    const descent = descendToCriticalPoint(pointAt(t.lastMinPoint), false);
    expect(descent.status).toBe('converged');
    expect(descent.loss).toBeLessThan(1e-8);
    expect(countAntiAligned(descent.end)).toBe(0);
  });

  it('K = M = 4 k1 = 1 lowest critical point is a saddle: λ_min < 0, the arc is below the centre from the first radius, within O(r³) of λ_min r²/2', () => {
    const flow4 = teacherStudentFlow('gd', 4, 4);
    const [lowest] = solveFamily(flow4, 1);
    const { point } = realiseAtDimension(flow4.unpack(lowest.x));
    const { t } = reluArcs(point, logRadii(1e-3, 1e-2, 5));
    expect(t.lambdaMin).toBeLessThan(0);
    expect(t.barrier).toMatchObject({ radius: 1e-3, previousRadius: null, height: 0 });
    for (const row of t.rows) expect(Math.abs(row.lossMin - row.quadraticMin)).toBeLessThan(row.r ** 3);
  });
});
