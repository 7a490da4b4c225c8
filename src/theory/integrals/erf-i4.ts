import { clipCorrelation } from '../activations/activation.js';

const FOUR_OVER_PI_SQUARED = 4 / (Math.PI * Math.PI);

/**
 * I4 = E[g′(u) g′(v) g(w) g(z)] for g(x) = erf(x/√2), C the row-major 4×4 covariance of (u, v, w, z):
 * (4/π²) asin(Λ0/√(Λ1Λ2))/√Λ4 (docs/theory.md §1.2, variables 1..4 = u, v, w, z). Λ4, Λ1, Λ2 stay positive
 * when fields coincide (the "1 +" terms are the Gaussian factors of g′ and of erf's integral form), so no
 * merging is needed; the asin argument is clipped against round-off (§7.1).
 */
export function erfI4(C: Float64Array): number {
  const c11 = C[0];
  const c12 = C[1];
  const c13 = C[2];
  const c14 = C[3];
  const c22 = C[5];
  const c23 = C[6];
  const c24 = C[7];
  const c33 = C[10];
  const c34 = C[11];
  const c44 = C[15];
  const a1 = 1 + c11;
  const a2 = 1 + c22;
  const lambda4 = a1 * a2 - c12 * c12;
  const lambda0 = lambda4 * c34 - c23 * c24 * a1 - c13 * c14 * a2 + c12 * c13 * c24 + c12 * c14 * c23;
  const lambda1 = lambda4 * (1 + c33) - c23 * c23 * a1 - c13 * c13 * a2 + 2 * c12 * c13 * c23;
  const lambda2 = lambda4 * (1 + c44) - c24 * c24 * a1 - c14 * c14 * a2 + 2 * c12 * c14 * c24;
  return (
    (FOUR_OVER_PI_SQUARED / Math.sqrt(lambda4)) * Math.asin(clipCorrelation(lambda0 / Math.sqrt(lambda1 * lambda2)))
  );
}
