import type { Overlaps } from './overlaps.js';
import type { StateLayout } from './state-layout.js';

/**
 * One recorded trajectory (architecture.md "Trajectory"): save times plus the packed state
 * (docs/theory.md §6 layout: Q upper, R, a) and the population loss at each time.
 * Produced by the ODE solvers (source "theory") and by the network engine (source "network").
 */
export interface Trajectory {
  source: 'network' | 'theory';
  layout: StateLayout;
  /** T, v (and a when the second layer is not trained) held fixed along the trajectory. */
  fixed: Overlaps;
  times: number[];
  /** Packed states, one per time (length layout.dim each). */
  states: Float64Array[];
  loss: number[];
  /** Optional bookkeeping: step counts (networks), gradient norms, seed and input dimension. */
  steps?: number[];
  gradNorm?: number[];
  seed?: number;
  d?: number;
}
