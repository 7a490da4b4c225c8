import { type OdeSystem, type Stepper } from './types.js';

/** Damping ε of the shifted Chebyshev polynomial (Sommeijer, Shampine & Verwer 1997, RKC.f: 2/13). */
const DAMPING = 2 / 13;
/** Stages s for h·ρ: the damped stability interval is [−β(s), 0] with β(s) ≈ 0.653 s² (RKC.f: s = 1 + √(1 + 1.54 hρ)). */
const STAGE_FACTOR = 1.54;
/** Safety factor on the power-iteration estimate of ρ (RKC.f's rkcrho). */
const RHO_SAFETY = 1.2;
/** Relative change of the estimate at which the power iteration stops (RKC.f: 1 %). */
const RHO_CONVERGED = 0.01;
/** Power-iteration cap per estimate; a non-converged estimate is used as it stands (error control guards it). */
const RHO_ITERATIONS = 20;
/** Re-estimate ρ after this many accepted steps (RKC.f: 25), and after every rejection. */
const RHO_REFRESH = 25;
/** Square root of the double-precision unit round-off: relative size of the power-iteration perturbation. */
const SQRT_EPS = Math.sqrt(2 ** -53);

/**
 * Runge–Kutta–Chebyshev RKC (Sommeijer, Shampine & Verwer 1997, "RKC: an explicit solver for parabolic
 * PDEs", J. Comput. Appl. Math. 88; the Fortran RKC.f), docs/theory.md §7.5a: a second-order explicit
 * method whose s stages follow the three-term recursion of damped Chebyshev polynomials, so its real
 * stability interval grows like 0.653 s² instead of linearly in the work. For dissipative, nearly
 * real spectra (the gradient flows: stiffest eigenvalue ≈ −9 at K = M = 17, §7.5) a step of length h
 * costs ≈ √(hρ) right-hand sides, where dopri5 needs ≈ 6hρ/3.3.
 *
 * - Stages: s = 1 + ⌈√(1 + 1.54 h ρ)⌉ with ρ the spectral radius of ∂F/∂x (an upper estimate).
 * - ρ: nonlinear power iteration on difference quotients F(x + v) − F(x), ‖v‖ = √ε‖x‖, started from the
 *   last dominant direction (1–3 right-hand sides once warm), times 1.2; refreshed every 25 accepted
 *   steps and after each rejection.
 * - Error: RKC.f's embedded estimate (12(x − xNew) + 6h(F(x) + F(xNew)))/15 in the weighted RMS norm of
 *   dopri5 (atol + rtol·max(|x|, |xNew|)); it is O(h³), so the controller uses order 3. F(xNew) is the
 *   next step's F(x) (FSAL), so a step costs s right-hand sides.
 * - Dense output: cubic Hermite on x, xNew, F(x), F(xNew) (third order, as RKC.f's rkcint).
 * Autonomous systems only (no node times needed). Allocation-free after construction.
 */
export class RkcStepper implements Stepper {
  private f0: Float64Array;
  private f1: Float64Array;
  private readonly yPrev: Float64Array;
  private readonly yCur: Float64Array;
  private readonly stage: Float64Array;
  private readonly eigen: Float64Array;
  private rho = 0;
  private sinceEstimate = RHO_REFRESH;
  private rejectedSinceAccept = false;
  private attempted = false;
  /** Right-hand-side evaluations spent on ρ (for benches and tests). */
  rhoEvaluations = 0;
  /** Stages of the last attempted step. */
  lastStages = 0;

  constructor(
    private readonly system: OdeSystem,
    private readonly rtol: number,
    private readonly atol: number,
  ) {
    const n = system.layout.dim;
    this.f0 = new Float64Array(n);
    this.f1 = new Float64Array(n);
    this.yPrev = new Float64Array(n);
    this.yCur = new Float64Array(n);
    this.stage = new Float64Array(n);
    this.eigen = new Float64Array(n);
  }

  get derivative(): Float64Array {
    return this.f0;
  }

  /** The current upper estimate of the spectral radius of ∂F/∂x (0 before the first step). */
  get spectralRadius(): number {
    return this.rho;
  }

  start(x: Float64Array): void {
    this.system.rhs(x, this.f0);
    this.eigen.set(this.f0);
    this.sinceEstimate = RHO_REFRESH;
  }

  attempt(x: Float64Array, h: number, xNew: Float64Array): number {
    if (this.attempted) this.rejectedSinceAccept = true;
    this.attempted = true;
    if (this.sinceEstimate >= RHO_REFRESH || this.rejectedSinceAccept) {
      this.estimateSpectralRadius(x);
      this.sinceEstimate = 0;
      this.rejectedSinceAccept = false;
    }
    const s = 1 + Math.ceil(Math.sqrt(1 + STAGE_FACTOR * h * this.rho));
    this.lastStages = s;
    this.chebyshevStages(x, h, s, xNew);
    const { f0, f1 } = this;
    this.system.rhs(xNew, f1);
    let sum = 0;
    const n = x.length;
    for (let i = 0; i < n; i++) {
      const est = 0.8 * (x[i] - xNew[i]) + 0.4 * h * (f0[i] + f1[i]);
      const scale = this.atol + this.rtol * Math.max(Math.abs(x[i]), Math.abs(xNew[i]));
      const r = est / scale;
      sum += r * r;
    }
    const norm = Math.sqrt(sum / n);
    return Number.isFinite(norm) ? norm : Infinity;
  }

  /**
   * xNew = Y_s of RKC.f's step: w0 = 1 + ε/s², w1 = T_s′(w0)/T_s″(w0), b_j = T_j″(w0)/T_j′(w0)²
   * (b_0 = b_1 = b_2), Y_1 = x + b_1 w1 h F(x), and for j ≥ 2
   * Y_j = (1 − μ_j − ν_j) x + μ_j Y_{j−1} + ν_j Y_{j−2} + μ̃_j h F(Y_{j−1}) − a_{j−1} μ̃_j h F(x),
   * μ_j = 2 b_j w0/b_{j−1}, ν_j = −b_j/b_{j−2}, μ̃_j = μ_j w1/w0, a_j = 1 − b_j T_j(w0).
   */
  private chebyshevStages(x: Float64Array, h: number, s: number, xNew: Float64Array): void {
    const n = x.length;
    const f0 = this.f0;
    const w0 = 1 + DAMPING / (s * s);
    const t1 = w0 * w0 - 1;
    const t2 = Math.sqrt(t1);
    const arg = s * Math.log(w0 + t2);
    const w1 = (Math.sinh(arg) * t1) / (Math.cosh(arg) * s * t2 - w0 * Math.sinh(arg));
    let bjm1 = 1 / (4 * w0 * w0);
    let bjm2 = bjm1;
    // Y_{j−2}, Y_{j−1}, Y_j rotate through yPrev, yCur and xNew/stage so that Y_s lands in xNew.
    let ym2 = this.yPrev;
    let ym1 = this.yCur;
    ym2.set(x);
    const mu1 = w1 * bjm1 * h;
    for (let i = 0; i < n; i++) ym1[i] = x[i] + mu1 * f0[i];
    let zjm1 = w0;
    let zjm2 = 1;
    let dzjm1 = 1;
    let dzjm2 = 0;
    let d2zjm1 = 0;
    let d2zjm2 = 0;
    const fj = this.stage;
    for (let j = 2; j <= s; j++) {
      const zj = 2 * w0 * zjm1 - zjm2;
      const dzj = 2 * w0 * dzjm1 - dzjm2 + 2 * zjm1;
      const d2zj = 2 * w0 * d2zjm1 - d2zjm2 + 4 * dzjm1;
      const bj = d2zj / (dzj * dzj);
      const ajm1 = 1 - zjm1 * bjm1;
      const mu = (2 * w0 * bj) / bjm1;
      const nu = -bj / bjm2;
      const hmus = (h * mu * w1) / w0;
      const keep = 1 - mu - nu;
      this.system.rhs(ym1, fj);
      // Y_j overwrites Y_{j−2} (no longer needed), except the last stage, which goes to xNew.
      const yj = j === s ? xNew : ym2;
      for (let i = 0; i < n; i++) yj[i] = keep * x[i] + mu * ym1[i] + nu * ym2[i] + hmus * (fj[i] - ajm1 * f0[i]);
      ym2 = ym1;
      ym1 = yj;
      bjm2 = bjm1;
      bjm1 = bj;
      zjm2 = zjm1;
      zjm1 = zj;
      dzjm2 = dzjm1;
      dzjm1 = dzj;
      d2zjm2 = d2zjm1;
      d2zjm1 = d2zj;
    }
  }

  /**
   * RKC.f's rkcrho: power iteration v ← δ(F(x + v) − F(x))/‖F(x + v) − F(x)‖ with ‖v‖ = δ = √ε·‖x‖
   * (Euclidean), σ = ‖F(x + v) − F(x)‖/δ, until σ changes by < 1 %; ρ = 1.2σ. The dominant direction
   * is kept in `eigen` as the next start.
   */
  private estimateSpectralRadius(x: Float64Array): void {
    const n = x.length;
    const { eigen, stage: probe, f1: fv, f0 } = this;
    const xNorm = norm2(x);
    const delta = xNorm > 0 ? xNorm * SQRT_EPS : SQRT_EPS;
    let vNorm = norm2(eigen);
    if (!(vNorm > 0 && Number.isFinite(vNorm))) {
      for (let i = 0; i < n; i++) eigen[i] = x[i] !== 0 ? x[i] : 1;
      vNorm = norm2(eigen);
    }
    for (let i = 0; i < n; i++) eigen[i] *= delta / vNorm;
    let sigma = 0;
    for (let it = 0; it < RHO_ITERATIONS; it++) {
      for (let i = 0; i < n; i++) probe[i] = x[i] + eigen[i];
      this.system.rhs(probe, fv);
      this.rhoEvaluations++;
      let dNorm = 0;
      for (let i = 0; i < n; i++) {
        const d = fv[i] - f0[i];
        eigen[i] = d;
        dNorm += d * d;
      }
      dNorm = Math.sqrt(dNorm);
      const previous = sigma;
      sigma = dNorm / delta;
      if (!(dNorm > 0 && Number.isFinite(dNorm))) {
        // No usable direction (F locally constant, or non-finite): restart from x next time.
        eigen.fill(0);
        break;
      }
      for (let i = 0; i < n; i++) eigen[i] *= delta / dNorm;
      if (it > 0 && Math.abs(sigma - previous) <= RHO_CONVERGED * sigma) break;
    }
    this.rho = Number.isFinite(sigma) ? RHO_SAFETY * sigma : this.rho;
  }

  /** Cubic Hermite interpolant through (x, F(x)) and (xNew, F(xNew)). */
  interpolate(x: Float64Array, xNew: Float64Array, h: number, theta: number, out: Float64Array): void {
    const { f0, f1 } = this;
    const t2 = theta * theta;
    const t3 = t2 * theta;
    const h00 = 2 * t3 - 3 * t2 + 1;
    const h10 = t3 - 2 * t2 + theta;
    const h01 = -2 * t3 + 3 * t2;
    const h11 = t3 - t2;
    for (let i = 0; i < x.length; i++) out[i] = h00 * x[i] + h01 * xNew[i] + h * (h10 * f0[i] + h11 * f1[i]);
  }

  /** F(xNew) becomes the next F(x) (swap buffers, no copy). */
  accept(_xNew: Float64Array): void {
    const f0 = this.f0;
    this.f0 = this.f1;
    this.f1 = f0;
    this.attempted = false;
    this.sinceEstimate++;
  }
}

function norm2(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}
