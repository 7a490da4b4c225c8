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

/*
 * Star-path Plackett integral: the fast P4 of the SGD sum (docs/theory.md §4.2, §7.7).
 *
 * Plackett's identity ∂P4/∂r_ij = φ2(r_ij)·P2(ρ_{kl·ij}) (§1.1 step 4) holds on any path of correlation
 * matrices. Step 3 of §1.1 starts from the two-pair split R0 = diag(R_01, R_23); starting instead from
 * the star split R0 = diag(1, R_{jkl}) that detaches one centre variable c gives P4(R0) = ½·P3(j,k,l)
 * (Sheppard, closed form) and only three cross terms (c,j). On R(s) = R0 + s(R − R0) the conditional
 * correlation of (k,l) given (c,j) = 0 is a ratio of polynomials in σ = s² alone (the moving entries enter
 * only as products s·r_cj·s·r_ck), so the integrand is an even function of s; integrating the constant ¼ of
 * P2 in closed form (∫ r φ2(s r) ds = asin(r)/2π) leaves
 *
 *   P4 = 1/16 + Σ_{i<j} asin(r_ij)/(8π) + (1/4π²) Σ_j r_cj ∫_0^1 asin(ρ_j(s²)) / √(1 − r_cj² s²) ds.
 *
 * Every singularity of that integrand as a function of σ is real and at σ ≥ σ* = 1/u, where u is the
 * squared multiple correlation of the centre with the other three (the first zero of det R(σ); the
 * conditional variances, the φ2 factors and the ρ = ±1 branch points of asin all vanish or blow up only
 * where det R(σ) or one of its principal minors does, and those stay positive while R(σ) is positive
 * definite). Gauss–Legendre on s ∈ [−1, 1] with the symmetric node pairs folded (M evaluations for 2M
 * nodes; in σ this is Gauss–Jacobi with weight σ^(−1/2)) then converges like ρ^(−2M), where
 * ρ = x + √(x² − 1), x = 2σ* − 1, is the Bernstein ellipse of the σ-interval [0, 1] through σ*. That
 * a-priori bound is the error control: M is the smallest count with A·ρ^(−2M) ≤ STAR_TOLERANCE, no
 * trial evaluations needed. Choosing as centre the variable with the smallest multiple correlation
 * maximises σ* (it minimises the 3×3 principal minor of the other three).
 *
 * Measured on the 4-field sets of K = M = 17 ReLU states (random d = K init and gradient-flow states at
 * t = 10, 100, 1000; seeds 1 and 3; ~110 000 sets): |error| ≤ 0.025·ρ^(−2M) for every M, and 2–4
 * evaluations (3 asin each) on average reach 1e-14, against 48 nodes × 4 terms for the two-pair path of
 * orthant4.
 */

/** Absolute error target of the star-path P4 (its errors enter S_kl multiplied by c_w c_z C_wz, §4.2). */
const STAR_TOLERANCE = 1e-14;
/** A in |error| ≤ A·ρ^(−2M): four times the largest value measured (0.025, see above). */
const STAR_ERROR_CONSTANT = 0.1;
/**
 * Most folded nodes the star path may use; beyond (σ* < 1.1, a nearly singular 4×4 R) starNodeCount
 * returns 0 and the caller uses orthant4, the rule the §1.1 regularisation was calibrated with.
 */
const STAR_MAX_NODES = 24;

/** Folded rules for M = 1..STAR_MAX_NODES, packed: rule M starts at M(M−1)/2; σ_q = s_q² and weights on [0, 1]. */
const STAR_SIGMA = new Float64Array((STAR_MAX_NODES * (STAR_MAX_NODES + 1)) / 2);
const STAR_WEIGHT = new Float64Array(STAR_SIGMA.length);
/** STAR_U_LIMIT[M]: largest squared multiple correlation u of the centre for which M nodes meet STAR_TOLERANCE. */
const STAR_U_LIMIT = new Float64Array(STAR_MAX_NODES + 1);
{
  for (let M = 1; M <= STAR_MAX_NODES; M++) {
    // The 2M-point rule on [0, 1] has nodes symmetric about ½: nodes M..2M−1 are the positive half of
    // [−1, 1] (s = 2τ − 1), and ∫_0^1 f ds = ½∫_{−1}^{1} f = Σ_{s_q > 0} (2 w_q) f(s_q) for even f.
    const { nodes, weights } = gaussLegendre01(2 * M);
    const off = (M * (M - 1)) / 2;
    for (let q = 0; q < M; q++) {
      const s = 2 * nodes[M + q] - 1;
      STAR_SIGMA[off + q] = s * s;
      STAR_WEIGHT[off + q] = 2 * weights[M + q];
    }
    // A·ρ^(−2M) ≤ tol ⇔ ρ ≥ (A/tol)^(1/2M); x = (ρ + 1/ρ)/2, σ* = (x + 1)/2, u = 1/σ*.
    const rho = Math.pow(STAR_ERROR_CONSTANT / STAR_TOLERANCE, 1 / (2 * M));
    STAR_U_LIMIT[M] = 2 / ((rho + 1 / rho) / 2 + 1);
  }
}

/**
 * Folded node count for a star centre whose squared multiple correlation with the other three variables
 * is u = 1 − det R / det R_(−c); 0 when more than STAR_MAX_NODES would be needed (use orthant4).
 */
export function starNodeCount(u: number): number {
  for (let M = 1; M <= STAR_MAX_NODES; M++) if (u <= STAR_U_LIMIT[M]) return M;
  return 0;
}

/**
 * (1/4π²) Σ_j r_cj ∫_0^1 asin(ρ_j(s²)) / √(1 − r_cj² s²) ds with M folded nodes: the quadrature part of the
 * star-path P4 above. r = (rc1, rc2, rc3, r12, r13, r23): the centre's correlations with the others 1, 2, 3,
 * then theirs (passed in an array: V8 boxes doubles passed to calls it does not inline). ρ_j is the
 * correlation of the two others k, l given x_c = x_j = 0 on R(s): with D_ab(σ) the 3×3 principal minor of
 * (c, a, b), ρ_j = N_j(σ)/√(D_jk D_jl), all of them linear in σ.
 */
export function starIntegral(r: Float64Array, M: number): number {
  const rc1 = r[0];
  const rc2 = r[1];
  const rc3 = r[2];
  const r12 = r[3];
  const r13 = r[4];
  const r23 = r[5];
  const d12 = 1 - r12 * r12;
  const d13 = 1 - r13 * r13;
  const d23 = 1 - r23 * r23;
  const e12 = rc1 * rc1 + rc2 * rc2 - 2 * rc1 * rc2 * r12;
  const e13 = rc1 * rc1 + rc3 * rc3 - 2 * rc1 * rc3 * r13;
  const e23 = rc2 * rc2 + rc3 * rc3 - 2 * rc2 * rc3 * r23;
  // N_j = (r_kl − r_jk r_jl) − σ(r_kl r_cj² + r_ck r_cl − r_cj r_ck r_jl − r_cj r_cl r_jk).
  const n10 = r23 - r12 * r13;
  const n12 = r23 * rc1 * rc1 + rc2 * rc3 - rc1 * rc2 * r13 - rc1 * rc3 * r12;
  const n20 = r13 - r12 * r23;
  const n22 = r13 * rc2 * rc2 + rc1 * rc3 - rc2 * rc1 * r23 - rc2 * rc3 * r12;
  const n30 = r12 - r13 * r23;
  const n32 = r12 * rc3 * rc3 + rc1 * rc2 - rc3 * rc1 * r23 - rc3 * rc2 * r13;
  const x1 = rc1 * rc1;
  const x2 = rc2 * rc2;
  const x3 = rc3 * rc3;
  const off = (M * (M - 1)) / 2;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let q = off; q < off + M; q++) {
    const sg = STAR_SIGMA[q];
    const w = STAR_WEIGHT[q];
    const D12 = d12 - e12 * sg;
    const D13 = d13 - e13 * sg;
    const D23 = d23 - e23 * sg;
    // den ≤ 0 only through round-off at an exactly singular R; P2 is then taken at ρ = 0, as in crossTerm.
    let den = D12 * D13;
    const a1 = den > 0 ? Math.asin(clipCorrelation((n10 - n12 * sg) / Math.sqrt(den))) : 0;
    den = D12 * D23;
    const a2 = den > 0 ? Math.asin(clipCorrelation((n20 - n22 * sg) / Math.sqrt(den))) : 0;
    den = D13 * D23;
    const a3 = den > 0 ? Math.asin(clipCorrelation((n30 - n32 * sg) / Math.sqrt(den))) : 0;
    s1 += (w * a1) / Math.sqrt(1 - x1 * sg);
    s2 += (w * a2) / Math.sqrt(1 - x2 * sg);
    s3 += (w * a3) / Math.sqrt(1 - x3 * sg);
  }
  return (rc1 * s1 + rc2 * s2 + rc3 * s3) * INV_FOUR_PI_SQUARED;
}

const INV_FOUR_PI_SQUARED = 1 / (4 * Math.PI * Math.PI);

/**
 * Principal 3×3 minors m_c = det R_(−c) (c = 0..3, written to `minors`) of the 4×4 correlation matrix with
 * off-diagonal entries r01..r23, and det R as the return value: the diagonal of the adjugate.
 */
export function correlationMinors(
  r01: number,
  r02: number,
  r03: number,
  r12: number,
  r13: number,
  r23: number,
  minors: Float64Array,
): number {
  minors[0] = 1 - r12 * r12 - r13 * r13 - r23 * r23 + 2 * r12 * r13 * r23;
  minors[1] = 1 - r02 * r02 - r03 * r03 - r23 * r23 + 2 * r02 * r03 * r23;
  minors[2] = 1 - r01 * r01 - r03 * r03 - r13 * r13 + 2 * r01 * r03 * r13;
  minors[3] = 1 - r01 * r01 - r02 * r02 - r12 * r12 + 2 * r01 * r02 * r12;
  // Laplace expansion along the first row; c0j is the minor without row 0 and column j.
  const c01 = r01 * (1 - r23 * r23) - r12 * (r02 - r03 * r23) + r13 * (r02 * r23 - r03);
  const c02 = r01 * (r12 - r13 * r23) - (r02 - r03 * r23) + r13 * (r02 * r13 - r03 * r12);
  const c03 = r01 * (r12 * r23 - r13) - r02 * (r23 - r12 * r13) + r03 * (1 - r12 * r12);
  return minors[0] - r01 * c01 + r02 * c02 - r03 * c03;
}

/**
 * For each centre c, the positions in (r01, r02, r03, r12, r13, r23) of starIntegral's arguments
 * (r_c1, r_c2, r_c3, r_12, r_13, r_23), the others numbered in increasing order.
 */
const STAR_PERMUTATION = Int32Array.of(0, 1, 2, 3, 4, 5, 0, 3, 4, 1, 2, 5, 1, 3, 5, 0, 2, 4, 2, 4, 5, 0, 1, 3);

/** starIntegral's arguments for `centre` from the six correlations `corr` = (r01, r02, r03, r12, r13, r23). */
export function starArguments(centre: number, corr: Float64Array, out: Float64Array): void {
  for (let i = 0; i < 6; i++) out[i] = corr[STAR_PERMUTATION[centre * 6 + i]];
}
