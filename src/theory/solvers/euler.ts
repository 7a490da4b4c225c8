import { type OdeSystem, type Stepper, allFinite } from './types.js';

/**
 * Explicit Euler, x_{n+1} = x_n + h F(x_n): first order, for comparison with fixed-step codes.
 * Dense output is the linear interpolant x_n + θh F(x_n), exact at grid points and first-order in between.
 */
export class EulerStepper implements Stepper {
  private readonly f: Float64Array;

  constructor(private readonly system: OdeSystem) {
    this.f = new Float64Array(system.layout.dim);
  }

  get derivative(): Float64Array {
    return this.f;
  }

  start(x: Float64Array): void {
    this.system.rhs(x, this.f);
  }

  attempt(x: Float64Array, h: number, xNew: Float64Array): number {
    const f = this.f;
    for (let i = 0; i < x.length; i++) xNew[i] = x[i] + h * f[i];
    return allFinite(xNew) ? 0 : Infinity;
  }

  interpolate(x: Float64Array, _xNew: Float64Array, h: number, theta: number, out: Float64Array): void {
    const f = this.f;
    const th = theta * h;
    for (let i = 0; i < x.length; i++) out[i] = x[i] + th * f[i];
  }

  accept(xNew: Float64Array): void {
    this.system.rhs(xNew, this.f);
  }
}
