import type { ConstraintName, OptimizerComposition } from '../../model/optimizer.js';
import type { Flow } from '../flow.js';

/**
 * One mean-field flow of the registry (./index.ts). The gradient part of every right-hand side is the
 * same Stein drift (docs/theory.md §4), projected on the flow's constraint set; a definition says which
 * constraint, whether the readouts are trained, and adds any further term (online SGD's η² term).
 * Adding a flow = one file exporting a FlowDefinition + one registry line (docs/architecture.md).
 */
export interface FlowDefinition {
  readonly name: string;
  readonly description: string;
  /** Where the students live: free, on the sphere Q_kk = 1 (§4.4) or on the Stiefel manifold Q = I (§4.5). */
  readonly constraint: ConstraintName;
  /** The readouts a are part of the state (§4.3). */
  readonly trainsReadouts: boolean;
  /**
   * The flow is the (projected) gradient flow of the population loss: its fixed points do not depend on
   * η, so the landscape tools (fixed points, stability, stats) apply, and population-GD networks follow
   * its exact discrete map (src/theory/gd-map.ts, §10).
   */
  readonly gradientFlow: boolean;
  /** Online-SGD options apply: label noise σ and mini-batch B (§4.2). */
  readonly stochastic: boolean;
  /** The network optimizer this flow is the mean-field limit of (its preset in `train`). */
  readonly network: OptimizerComposition;
  /**
   * A term added to dx after the projected gradient part, built once per Flow (so it can own its
   * workspaces) and called with the Flow's Ω and c loaded for the current state.
   */
  readonly extraTerm?: (flow: Flow) => (dx: Float64Array) => void;
}
