import { type OdeSystem, type Stepper } from './types.js';

// Dormand–Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Nørsett & Wanner, Solving ODEs I, Table II.5.2).
// The node column c is not needed: every flow here is autonomous.
const A21 = 1 / 5;
const A31 = 3 / 40,
  A32 = 9 / 40;
const A41 = 44 / 45,
  A42 = -56 / 15,
  A43 = 32 / 9;
const A51 = 19372 / 6561,
  A52 = -25360 / 2187,
  A53 = 64448 / 6561,
  A54 = -212 / 729;
const A61 = 9017 / 3168,
  A62 = -355 / 33,
  A63 = 46732 / 5247,
  A64 = 49 / 176,
  A65 = -5103 / 18656;
// 5th-order weights (= row 7: the FSAL stage k7 = F(x_{n+1})).
const B1 = 35 / 384,
  B3 = 500 / 1113,
  B4 = 125 / 192,
  B5 = -2187 / 6784,
  B6 = 11 / 84;
// Error weights b − b̂ (5th minus embedded 4th order).
const E1 = 71 / 57600,
  E3 = -71 / 16695,
  E4 = 71 / 1920,
  E5 = -17253 / 339200,
  E6 = 22 / 525,
  E7 = -1 / 40;
// Continuous extension of order 4 (Hairer's dopri5.f, CONTD5 coefficients d_i).
const D1 = -12715105075 / 11282082432,
  D3 = 87487479700 / 32700410799,
  D4 = -10690763975 / 1880347072;
const D5 = 701980252875 / 199316789632,
  D6 = -1453857185 / 822651844,
  D7 = 69997945 / 29380423;

/**
 * Dormand–Prince 5(4) with FSAL (the last stage of an accepted step is the first of the next, so an
 * accepted step costs 6 right-hand sides) and Hairer's 4th-order dense output. The error norm is the
 * weighted RMS of Hairer/solve_ivp: sqrt(mean_i (err_i / (atol + rtol·max(|x_i|, |xNew_i|)))²).
 */
export class Dopri5Stepper implements Stepper {
  private k1: Float64Array;
  private readonly k2: Float64Array;
  private readonly k3: Float64Array;
  private readonly k4: Float64Array;
  private readonly k5: Float64Array;
  private readonly k6: Float64Array;
  private k7: Float64Array;
  private readonly stage: Float64Array;

  constructor(
    private readonly system: OdeSystem,
    private readonly rtol: number,
    private readonly atol: number,
  ) {
    const n = system.layout.dim;
    this.k1 = new Float64Array(n);
    this.k2 = new Float64Array(n);
    this.k3 = new Float64Array(n);
    this.k4 = new Float64Array(n);
    this.k5 = new Float64Array(n);
    this.k6 = new Float64Array(n);
    this.k7 = new Float64Array(n);
    this.stage = new Float64Array(n);
  }

  get derivative(): Float64Array {
    return this.k1;
  }

  start(x: Float64Array): void {
    this.system.rhs(x, this.k1);
  }

  attempt(x: Float64Array, h: number, xNew: Float64Array): number {
    const { k1, k2, k3, k4, k5, k6, k7, stage, system } = this;
    const n = x.length;
    for (let i = 0; i < n; i++) stage[i] = x[i] + h * A21 * k1[i];
    system.rhs(stage, k2);
    for (let i = 0; i < n; i++) stage[i] = x[i] + h * (A31 * k1[i] + A32 * k2[i]);
    system.rhs(stage, k3);
    for (let i = 0; i < n; i++) stage[i] = x[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
    system.rhs(stage, k4);
    for (let i = 0; i < n; i++) stage[i] = x[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
    system.rhs(stage, k5);
    for (let i = 0; i < n; i++)
      stage[i] = x[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
    system.rhs(stage, k6);
    for (let i = 0; i < n; i++) xNew[i] = x[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
    system.rhs(xNew, k7);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const err = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
      const scale = this.atol + this.rtol * Math.max(Math.abs(x[i]), Math.abs(xNew[i]));
      const r = err / scale;
      sum += r * r;
    }
    const norm = Math.sqrt(sum / n);
    // NaN anywhere in a stage or in xNew propagates into `norm` (through err or scale).
    return Number.isFinite(norm) ? norm : Infinity;
  }

  /**
   * Hairer's CONTD5: x(t+θh) = x + θ(Δ + (1−θ)(B + θ(Δ − h k7 − B + (1−θ) h Σ d_i k_i))),
   * Δ = xNew − x, B = h k1 − Δ. Fourth order, continuous, exact at θ = 0 and 1.
   */
  interpolate(x: Float64Array, xNew: Float64Array, h: number, theta: number, out: Float64Array): void {
    const { k1, k3, k4, k5, k6, k7 } = this;
    const theta1 = 1 - theta;
    for (let i = 0; i < x.length; i++) {
      const diff = xNew[i] - x[i];
      const bspl = h * k1[i] - diff;
      const r4 = diff - h * k7[i] - bspl;
      const r5 = h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i] + D6 * k6[i] + D7 * k7[i]);
      out[i] = x[i] + theta * (diff + theta1 * (bspl + theta * (r4 + theta1 * r5)));
    }
  }

  /** FSAL: F(xNew) = k7 becomes k1 of the next step (swap buffers, no copy). */
  accept(_xNew: Float64Array): void {
    const k1 = this.k1;
    this.k1 = this.k7;
    this.k7 = k1;
  }
}

/** RMS of v_i / (atol + rtol |x_i|). */
function scaledRms(v: Float64Array, x: Float64Array, rtol: number, atol: number): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const r = v[i] / (atol + rtol * Math.abs(x[i]));
    sum += r * r;
  }
  return Math.sqrt(sum / v.length);
}

/**
 * Automatic initial step (Hairer, Nørsett & Wanner I, §II.4 "starting step size"; scipy's
 * select_initial_step): h0 = 0.01·|x0|/|f0| in the weighted norm, one explicit Euler probe to estimate
 * the second derivative, h1 = (0.01/max(|f0|, |f'|))^(1/5); return min(100·h0, h1, hMax).
 */
export function initialStepDopri5(
  system: OdeSystem,
  x0: Float64Array,
  f0: Float64Array,
  rtol: number,
  atol: number,
  hMax: number,
): number {
  const n = x0.length;
  const d0 = scaledRms(x0, x0, rtol, atol);
  const d1 = scaledRms(f0, x0, rtol, atol);
  const h0 = Math.min(hMax, d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1));
  const x1 = new Float64Array(n);
  const f1 = new Float64Array(n);
  for (let i = 0; i < n; i++) x1[i] = x0[i] + h0 * f0[i];
  system.rhs(x1, f1);
  for (let i = 0; i < n; i++) f1[i] -= f0[i];
  const d2 = scaledRms(f1, x0, rtol, atol) / h0;
  if (!Number.isFinite(d2)) return h0;
  const dMax = Math.max(d1, d2);
  const h1 = dMax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dMax) ** (1 / 5);
  return Math.min(100 * h0, h1, hMax);
}
