import type { PopulationGdMap } from '../gd-map.js';
import { type Stepper, allFinite } from './types.js';

/**
 * Method 'map': iterate the exact discrete population-GD map x_{n+1} = Φ_dt(x_n) (gd-map.ts) on the grid
 * t_n = n·dt, with the ConstantStepController. Φ is evaluated once per step, one step ahead (in
 * start/accept), so that `derivative` can be the map's displacement per unit time (Φ(x) − x)/dt: the
 * analogue of Euler's F(x_n) = (x_{n+1} − x_n)/dt, used for the convergence test. It equals F + O(dt)
 * and vanishes exactly at the flow's fixed points (there the (tangent) gradient is zero, so Φ(x) = x).
 *
 * The map has no values between grid points: solve() only accepts save times on the grid (to round-off),
 * and `interpolate` returns the nearer end of the step, which is the grid point the save time stands for.
 */
export class MapStepper implements Stepper {
  private readonly next: Float64Array;
  private readonly displacement: Float64Array;

  constructor(private readonly map: PopulationGdMap) {
    const dim = map.flow.layout.dim;
    this.next = new Float64Array(dim);
    this.displacement = new Float64Array(dim);
  }

  get derivative(): Float64Array {
    return this.displacement;
  }

  start(x: Float64Array): void {
    this.advance(x);
  }

  /** The step is always the map's own dt (h differs from it only by the grid's round-off). */
  attempt(_x: Float64Array, _h: number, xNew: Float64Array): number {
    xNew.set(this.next);
    return allFinite(xNew) ? 0 : Infinity;
  }

  interpolate(x: Float64Array, xNew: Float64Array, _h: number, theta: number, out: Float64Array): void {
    out.set(theta < 0.5 ? x : xNew);
  }

  accept(xNew: Float64Array): void {
    this.advance(xNew);
  }

  private advance(x: Float64Array): void {
    this.map.step(x, this.next);
    const dt = this.map.dt;
    for (let i = 0; i < x.length; i++) this.displacement[i] = (this.next[i] - x[i]) / dt;
  }
}
