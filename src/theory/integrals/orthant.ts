import { clipCorrelation, orthant2 } from '../activations/activation.js';

/**
 * Orthant probabilities P(x_i > 0 ∀i) for x ~ N(0, C) with n ≤ 4 variables: the base case of the
 * θ-moment recursion (docs/theory.md §1.1 "General algorithm"). n = 2 is P2, n = 3 is Sheppard's formula,
 * n = 4 is Plackett's 1-D integral (§1.1 "P4", steps 1–5).
 */

const INV_TWO_PI = 1 / (2 * Math.PI);
const INV_FOUR_PI = 1 / (4 * Math.PI);

/**
 * Gauss–Legendre nodes for Plackett's integral. §1.1 step 5 quotes ~1e-9 for 32–48 nodes on generic R;
 * the upper end is used because the near-singular R that the §1.1 regularisation produces (near-duplicate
 * fields) are the hard cases, and the test suite checks one-factor correlations near ρ = 1 against an
 * independent quadrature.
 */
export const PLACKETT_NODES = 48;

/**
 * Nodes τ_q ∈ (0, 1) and weights of an N-point Gauss–Legendre rule on [0, 1], from Newton's method on the
 * three-term recurrence of the Legendre polynomials (Numerical Recipes "gauleg"). Exported for the tests.
 */
export function gaussLegendre01(N: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(N);
  const weights = new Float64Array(N);
  for (let i = 0; i < Math.ceil(N / 2); i++) {
    // Tricomi's asymptotic guess for the i-th largest root; Newton converges quadratically from it.
    let x = Math.cos((Math.PI * (i + 0.75)) / (N + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= N; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      // p1 = P_N(x), p0 = P_{N−1}(x); P_N′ = N (x P_N − P_{N−1})/(x² − 1).
      dp = (N * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    // Map [−1, 1] → [0, 1]: τ = (1 ± x)/2, weight w/2; the two roots ±x are filled symmetrically.
    nodes[i] = (1 - x) / 2;
    nodes[N - 1 - i] = (1 + x) / 2;
    weights[i] = w / 2;
    weights[N - 1 - i] = w / 2;
  }
  return { nodes, weights };
}

/**
 * Quadrature in s on [0, 1] after the substitution s = 1 − (1−τ)², ds = 2(1−τ) dτ (§1.1 step 5), which
 * absorbs the integrable 1/√(1−s) endpoint singularity of dP4/ds. Built once at module load.
 */
const PATH_S = new Float64Array(PLACKETT_NODES);
const PATH_W = new Float64Array(PLACKETT_NODES);
{
  const { nodes, weights } = gaussLegendre01(PLACKETT_NODES);
  for (let q = 0; q < PLACKETT_NODES; q++) {
    const u = 1 - nodes[q];
    PATH_S[q] = 1 - u * u;
    PATH_W[q] = weights[q] * 2 * u;
  }
}

/** Correlation of entries i, j of a covariance stored with row stride `stride`; 0 if a variance vanishes. */
function correlation(C: Float64Array, stride: number, i: number, j: number): number {
  const prod = C[i * stride + i] * C[j * stride + j];
  return prod > 0 ? clipCorrelation(C[i * stride + j] / Math.sqrt(prod)) : 0;
}

/** Sheppard's formula: P(x0>0, x1>0, x2>0) = 1/8 + (asin r01 + asin r02 + asin r12)/(4π) (§1.1). */
export function orthant3(r01: number, r02: number, r12: number): number {
  return (
    0.125 +
    (Math.asin(clipCorrelation(r01)) + Math.asin(clipCorrelation(r02)) + Math.asin(clipCorrelation(r12))) * INV_FOUR_PI
  );
}

/**
 * One cross term of dP4/ds (§1.1 step 4): r_ij φ2(a) P2(ρ_{kl·ij}) with a = s r_ij the current correlation
 * of the conditioning pair, (bk0, bk1) and (bl0, bl1) the current correlations of x_k and x_l with (x_i, x_j),
 * and rkl the current correlation of x_k, x_l. The partial covariances are multiplied through by 1 − a²,
 * which cancels in ρ and saves the 2×2 inverse.
 */
function crossTerm(rij: number, a: number, bk0: number, bk1: number, bl0: number, bl1: number, rkl: number): number {
  const om = 1 - a * a;
  const vkk = om - (bk0 * bk0 - 2 * a * bk0 * bk1 + bk1 * bk1);
  const vll = om - (bl0 * bl0 - 2 * a * bl0 * bl1 + bl1 * bl1);
  const vkl = rkl * om - (bk0 * bl0 - a * (bk0 * bl1 + bk1 * bl0) + bk1 * bl1);
  const den = vkk * vll;
  // den ≤ 0 only when round-off makes a conditional variance vanish (an exactly singular R, which the
  // §1.1 regularisation excludes); P2 of the undefined partial correlation is then taken at ρ = 0.
  const rho = den > 0 ? vkl / Math.sqrt(den) : 0;
  return ((rij * INV_TWO_PI) / Math.sqrt(om)) * orthant2(rho);
}

/**
 * P(x0>0, ..., x3>0) for the 4×4 covariance C stored with row stride `stride` (§1.1 "P4", steps 1–5).
 * C should carry the §1.1 diagonal regularisation when it may be singular.
 */
export function orthant4(C: Float64Array, stride = 4): number {
  // Step 1: correlation matrix.
  const r01 = correlation(C, stride, 0, 1);
  const r02 = correlation(C, stride, 0, 2);
  const r03 = correlation(C, stride, 0, 3);
  const r12 = correlation(C, stride, 1, 2);
  const r13 = correlation(C, stride, 1, 3);
  const r23 = correlation(C, stride, 2, 3);
  // Step 2: the pairing with the largest within-pair |r| becomes (0,1),(2,3); A, B are the within-pair
  // correlations, x02..x13 the cross correlations in the permuted labels.
  const s0 = Math.abs(r01) + Math.abs(r23);
  const s1 = Math.abs(r02) + Math.abs(r13);
  const s2 = Math.abs(r03) + Math.abs(r12);
  let A = r01,
    B = r23,
    x02 = r02,
    x03 = r03,
    x12 = r12,
    x13 = r13;
  if (s1 > s0 && s1 >= s2) {
    // Order (0, 2, 1, 3).
    A = r02;
    B = r13;
    x02 = r01;
    x03 = r03;
    x12 = r12;
    x13 = r23;
  } else if (s2 > s0 && s2 > s1) {
    // Order (0, 3, 1, 2).
    A = r03;
    B = r12;
    x02 = r01;
    x03 = r02;
    x12 = r13;
    x13 = r23;
  }
  // Step 3: with the cross correlations zeroed the pairs are independent.
  const base = orthant2(A) * orthant2(B);
  // Steps 4–5: integrate dP4/ds along R(s) = R0 + s(R − R0); within-pair entries stay fixed, cross entries
  // scale with s. For the cross pair (i,j) the complementary pair (k,l) is the other member of each block.
  let integral = 0;
  for (let q = 0; q < PLACKETT_NODES; q++) {
    const s = PATH_S[q];
    const c02 = s * x02;
    const c03 = s * x03;
    const c12 = s * x12;
    const c13 = s * x13;
    const f =
      crossTerm(x02, c02, A, c12, c03, B, c13) + // (i,j) = (0,2), (k,l) = (1,3)
      crossTerm(x03, c03, A, c13, c02, B, c12) + // (0,3), (1,2)
      crossTerm(x12, c12, A, c02, c13, B, c03) + // (1,2), (0,3)
      crossTerm(x13, c13, A, c03, c12, B, c02); // (1,3), (0,2)
    integral += PATH_W[q] * f;
  }
  return base + integral;
}

/**
 * P(x_i > 0 for i < n) for the leading n×n block (n ≤ 4) of a covariance stored with row stride `stride`.
 * A zero variance gives correlation 0 with every other variable (the θ(0) ambiguity of §7.2).
 */
export function orthantProbability(C: Float64Array, n: number, stride = n): number {
  switch (n) {
    case 0:
      return 1;
    case 1:
      return 0.5;
    case 2:
      return orthant2(correlation(C, stride, 0, 1));
    case 3:
      return orthant3(correlation(C, stride, 0, 1), correlation(C, stride, 0, 2), correlation(C, stride, 1, 2));
    case 4:
      return orthant4(C, stride);
    default:
      throw new RangeError(`orthant probability implemented for n ≤ 4 variables, got ${n}`);
  }
}
