/**
 * A population loss as written to a file or printed. The loss is a sum of squares, so it is ≥ 0
 * mathematically; evaluated in float64 from the overlaps near a global minimum it cancels to round-off and
 * can come out as −5e-10. Outputs clamp it at 0 (NaN, for a diverged state, stays NaN); the computation
 * itself (classification, comparisons) uses the unclamped value.
 */
export function clampLoss(loss: number): number {
  return loss < 0 ? 0 : loss;
}
