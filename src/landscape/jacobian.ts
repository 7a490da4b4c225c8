import { Matrix } from 'ml-matrix';

/** A vector field y ↦ F(y) ∈ R^m written into `out` (allocation-free callers). */
export type VectorField = (y: Float64Array, out: Float64Array) => void;

/**
 * Relative step of the central difference. Its error is h²|F‴|/6 (truncation) + ε|F|/h (round-off),
 * smallest near h ≈ (3ε)^{1/3} ≈ 1e-5 for O(1) derivatives; docs/theory.md §6 uses h = 1e-6, which keeps
 * the truncation part at ~1e-12 and the round-off part at ~1e-10 — enough for Newton (an O(1e-10)
 * relative Jacobian error only slows quadratic convergence to a contraction of that size per step)
 * and for eigenvalues far above 1e-8.
 *
 * A complex-step derivative (error-free to round-off) is not available here: the ODE right-hand side is
 * evaluated in real Float64Arrays through Math.asin, Math.sqrt, max(0, ·) and the correlation clip of
 * §7.1, none of which has a complex extension in this code (and max/clip are not analytic anyway).
 */
export const JACOBIAN_STEP = 1e-6;

/**
 * Central-difference Jacobian J_ij = ∂F_i/∂y_j (m × n) with step h·max(1, |y_j|) per column. Costs 2n
 * evaluations of F. y is restored on return.
 */
export function centralDifferenceJacobian(F: VectorField, y: Float64Array, m: number, step = JACOBIAN_STEP): Matrix {
  const n = y.length;
  const J = new Matrix(m, n);
  const plus = new Float64Array(m);
  const minus = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    const yj = y[j];
    const h = step * Math.max(1, Math.abs(yj));
    const up = yj + h;
    const down = yj - h;
    y[j] = up;
    F(y, plus);
    y[j] = down;
    F(y, minus);
    y[j] = yj;
    // Divide by the representable difference, not 2h, so the rounding of yj ± h does not bias J.
    const inv = 1 / (up - down);
    for (let i = 0; i < m; i++) J.set(i, j, (plus[i] - minus[i]) * inv);
  }
  return J;
}
