/**
 * How a network is trained, as three orthogonal choices (docs/theory.md §3):
 * - gradient source: `population` (the exact closed-form population gradient, §5), `online` (fresh
 *   Gaussian samples every step, mini-batch B) or `empirical` (full batch on n fixed samples);
 * - constraint: `none`, `sphere` (‖w_k‖² = d, §4.4) or `stiefel` (WWᵀ = d·I_K, polar retraction, §4.5);
 * - layers: `first` (readouts a fixed) or `both` (a trained too, §4.3).
 * The theory's flows (src/theory/flows/) name the composition they describe; the network engine builds it.
 */
export type GradientSource = 'population' | 'online' | 'empirical';
export type ConstraintName = 'none' | 'sphere' | 'stiefel';
export type Layers = 'first' | 'both';

export const GRADIENT_SOURCES: readonly GradientSource[] = ['population', 'online', 'empirical'];
export const CONSTRAINTS: readonly ConstraintName[] = ['none', 'sphere', 'stiefel'];
export const LAYERS: readonly Layers[] = ['first', 'both'];

export interface OptimizerComposition {
  gradient: GradientSource;
  constraint: ConstraintName;
  layers: Layers;
}
