/*
 * FROZEN REFERENCE: the SGD second moment S_kl = Σ_{α,β} c_α c_β I4(k,l,α,β) (docs/theory.md §4.2) exactly as
 * src/ evaluated it before issue #11 (commit 9fb88c0): the generic θ-moment recursion per index quadruple
 * (§1.1 "General algorithm", §1.4 merging of identical fields), the 48-node Plackett P4 on the pairing path
 * (§1.1 steps 1–5) shared per 4-field set, and erf's closed form per quadruple (§1.2). Copied verbatim (only
 * imports and exports adjusted, the small helpers of activations/activation.ts inlined) so that the optimised
 * src/ implementation is always checked against the same numbers. Do not edit, except to keep it compiling.
 */
import type { Activation } from '../../../src/theory/activations/activation.js';

function clipCorrelation(r: number): number {
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

const VARIANCE_FLOOR = 1e-300;

function orthant2(r: number): number {
  return 0.25 + Math.asin(clipCorrelation(r)) / (2 * Math.PI);
}

// ---- src/theory/integrals/orthant.ts ----

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
const PLACKETT_NODES = 48;

/**
 * Nodes τ_q ∈ (0, 1) and weights of an N-point Gauss–Legendre rule on [0, 1], from Newton's method on the
 * three-term recurrence of the Legendre polynomials (Numerical Recipes "gauleg"). Exported for the tests.
 */
function gaussLegendre01(N: number): { nodes: Float64Array; weights: Float64Array } {
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
function orthant3(r01: number, r02: number, r12: number): number {
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
function orthant4(C: Float64Array, stride = 4): number {
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
function orthantProbability(C: Float64Array, n: number, stride = n): number {
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

// ---- src/theory/integrals/theta-moment.ts ----

/**
 * θ-moments E[Π_i θ(x_i)^{t_i} x_i^{p_i}] of a centred Gaussian with up to four variables, by the Stein
 * recursion of docs/theory.md §1.1 "General algorithm". Every ReLU / leaky-ReLU integral reduces to these.
 */

/** Largest number of variables: the base case needs orthant probabilities, implemented for n ≤ 4. */
const MAX_THETA_VARIABLES = 4;

/**
 * Relative diagonal regularisation C_ii → C_ii(1 + ε) applied before the recursion (§1.1 "Regularisation"):
 * exactly rank-deficient covariances and near-duplicate pairs otherwise give garbage or overflow.
 */
const THETA_MOMENT_REGULARISATION = 1e-10;

const INV_SQRT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);
const S = MAX_THETA_VARIABLES;

/**
 * One recursion level: a covariance (row stride S) of m variables with their flags and powers. Each level
 * only writes the next one, so a stack of levels makes the recursion allocation-free. Every step lowers
 * the total power by at least one, so depth ≤ total power; levels are added when first needed.
 */
interface Level {
  m: number;
  C: Float64Array;
  t: Uint8Array;
  p: Int32Array;
}

const levels: Level[] = [];

function level(d: number): Level {
  while (levels.length <= d) {
    levels.push({ m: 0, C: new Float64Array(S * S), t: new Uint8Array(S), p: new Int32Array(S) });
  }
  return levels[d];
}

/** Indices kept by copyLevel (scratch). */
const keepIdx = new Int32Array(S);

/**
 * Copy `from` into `to` with variable `skip` conditioned on (x_skip = 0, Schur complement; −1: none), and
 * drop variables with t = 0 and p = 0, which integrate out (§1.1 "Drop any variable with t_i = 0 and p_i = 0").
 */
function copyLevel(from: Level, to: Level, skip: number): void {
  const { C, t, p, m } = from;
  const keep = keepIdx;
  let mk = 0;
  for (let i = 0; i < m; i++) if (i !== skip && (t[i] !== 0 || p[i] !== 0)) keep[mk++] = i;
  const inv = skip >= 0 ? 1 / Math.max(C[skip * S + skip], VARIANCE_FLOOR) : 0;
  for (let a = 0; a < mk; a++) {
    const ia = keep[a];
    to.t[a] = t[ia];
    to.p[a] = p[ia];
    const cas = skip >= 0 ? C[ia * S + skip] * inv : 0;
    for (let b = 0; b < mk; b++) {
      const ib = keep[b];
      to.C[a * S + b] = skip >= 0 ? C[ia * S + ib] - cas * C[ib * S + skip] : C[ia * S + ib];
    }
  }
  to.m = mk;
}

/** The recursion on level d (already free of integrated-out variables). */
function recurse(d: number): number {
  const L = levels[d];
  const { C, t, p, m } = L;
  let a = -1;
  for (let i = 0; i < m; i++) {
    if (p[i] > 0) {
      a = i;
      break;
    }
  }
  // Base case: all powers zero, every remaining variable carries θ. Variables are only ever removed, so
  // m = n means these are all n input variables, whose orthant probability the caller may already know.
  if (a < 0) return m === inputCount && !Number.isNaN(inputOrthant[0]) ? inputOrthant[0] : orthantProbability(C, m, S);
  // Stein on one factor x_a: E[x_a F] = Σ_j C_aj E[∂_j F], with F the rest (p′ = p − e_a). ∂_j of x_j^{p′_j}
  // lowers the power; ∂_j θ(x_j) = δ(x_j) only survives when p′_j = 0 (x δ(x) = 0) and then conditions on
  // x_j = 0 with density φ_j = 1/√(2π C_jj).
  p[a]--;
  const child = level(d + 1);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const caj = C[a * S + j];
    if (caj === 0) continue;
    const pj = p[j];
    if (pj > 0) {
      p[j]--;
      copyLevel(L, child, -1);
      p[j]++;
      sum += caj * pj * recurse(d + 1);
    } else if (t[j] !== 0) {
      copyLevel(L, child, j);
      const phi = INV_SQRT_TWO_PI / Math.sqrt(Math.max(C[j * S + j], VARIANCE_FLOOR));
      sum += caj * phi * recurse(d + 1);
    }
  }
  return sum;
}

/** Scratch level the public entry copies its (regularised) input into before compaction. */
const input: Level = { m: 0, C: new Float64Array(S * S), t: new Uint8Array(S), p: new Int32Array(S) };
/**
 * The current call's n and its `knownOrthant` argument (a one-element array: a module-level `let` holding a
 * double would be boxed on every store).
 */
let inputCount = 0;
const inputOrthant = new Float64Array(1);

/**
 * E[Π_{i<n} θ(x_i)^{t_i} x_i^{p_i}] for x ~ N(0, C), C row-major n×n (n ≤ 4), t_i ∈ {0, 1}, p_i ≥ 0 integers.
 * The §1.1 regularisation C_ii → C_ii(1 + 1e-10) is applied first, so singular C are accepted.
 *
 * `knownOrthant`, when not NaN, is P(x_i > 0 ∀ i < n) of the regularised C, used instead of recomputing it
 * (the SGD sum meets each 4-field orthant probability several times, §7.7).
 */
function thetaMoment(
  C: Float64Array,
  n: number,
  t: ArrayLike<number>,
  p: ArrayLike<number>,
  knownOrthant = Number.NaN,
): number {
  if (n > MAX_THETA_VARIABLES)
    throw new RangeError(`thetaMoment supports at most ${MAX_THETA_VARIABLES} variables, got ${n}`);
  for (let i = 0; i < n; i++) {
    if (!(Number.isInteger(p[i]) && p[i] >= 0))
      throw new RangeError(`thetaMoment power p[${i}] must be a non-negative integer, got ${p[i]}`);
    input.t[i] = t[i] !== 0 ? 1 : 0;
    input.p[i] = p[i];
    for (let j = 0; j < n; j++) input.C[i * S + j] = C[i * n + j];
    input.C[i * S + i] *= 1 + THETA_MOMENT_REGULARISATION;
  }
  input.m = n;
  inputCount = n;
  inputOrthant[0] = knownOrthant;
  copyLevel(input, level(0), -1);
  return recurse(0);
}

// ---- src/theory/integrals/relu-i4.ts ----

/**
 * I4 = E[g′(u) g′(v) g(w) g(z)] for leaky ReLU g(x) = αx + (1−α) relu(x) (α = 0: ReLU), docs/theory.md
 * §1.1, §1.3, §1.4. Scratch buffers are module-level so the SGD sum (§4.2) does not allocate.
 */

/** Slot (u, v, w, z) → index of its unique field. */
const fieldOf = new Int32Array(4);
/** Unique field → first slot holding it. */
const firstSlot = new Int32Array(4);
/** Covariance of the unique fields, row-major m×m. */
const U = new Float64Array(16);
const tU = new Uint8Array(4);
const pU = new Int32Array(4);
/** Summed coefficient of each θ pattern (bit f set: unique field f carries θ). */
const coefByMask = new Float64Array(16);

/**
 * reluI4 with the orthant probability P4 = P(u, v, w, z > 0) of the regularised C (§1.1) supplied by the
 * caller, or NaN to compute it. It is only used when the four fields are distinct; the SGD sum (§4.2)
 * shares one P4 between all orderings of a 4-field set (§7.7).
 */
function reluI4WithOrthant(C: Float64Array, alpha: number, p4: number): number {
  let m = 0;
  for (let s = 0; s < 4; s++) {
    const css = C[s * 5];
    let f = -1;
    for (let g = 0; g < m; g++) {
      const r = firstSlot[g];
      if (C[r * 5] === css && C[s * 4 + r] === css) {
        f = g;
        break;
      }
    }
    if (f < 0) {
      f = m++;
      firstSlot[f] = s;
    }
    fieldOf[s] = f;
  }
  for (let a = 0; a < m; a++) {
    pU[a] = 0;
    for (let b = 0; b < m; b++) U[a * m + b] = C[firstSlot[a] * 4 + firstSlot[b]];
  }
  // Slots 2 and 3 (w, z) are the g slots: one power of their field each.
  pU[fieldOf[2]]++;
  pU[fieldOf[3]]++;

  coefByMask.fill(0);
  if (alpha === 0) {
    // ReLU, the common case: only the all-θ branch has a nonzero coefficient.
    coefByMask[(1 << m) - 1] = 1;
  } else {
    const beta = 1 - alpha;
    for (let branch = 0; branch < 16; branch++) {
      let coef = 1;
      let mask = 0;
      for (let s = 0; s < 4; s++) {
        if ((branch >> s) & 1) {
          coef *= beta;
          mask |= 1 << fieldOf[s];
        } else {
          coef *= alpha;
        }
      }
      coefByMask[mask] += coef;
    }
  }

  let sum = 0;
  for (let mask = 0; mask < 1 << m; mask++) {
    const coef = coefByMask[mask];
    if (coef === 0) continue;
    for (let f = 0; f < m; f++) tU[f] = (mask >> f) & 1;
    sum += coef * thetaMoment(U, m, tU, pU, m === 4 ? p4 : Number.NaN);
  }
  return sum;
}

// ---- src/theory/integrals/erf-i4.ts ----

const FOUR_OVER_PI_SQUARED = 4 / (Math.PI * Math.PI);

/**
 * I4 = E[g′(u) g′(v) g(w) g(z)] for g(x) = erf(x/√2), C the row-major 4×4 covariance of (u, v, w, z):
 * (4/π²) asin(Λ0/√(Λ1Λ2))/√Λ4 (docs/theory.md §1.2, variables 1..4 = u, v, w, z). Λ4, Λ1, Λ2 stay positive
 * when fields coincide (the "1 +" terms are the Gaussian factors of g′ and of erf's integral form), so no
 * merging is needed; the asin argument is clipped against round-off (§7.1).
 */
function erfI4(C: Float64Array): number {
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

// ---- src/theory/sgd-term.ts ----

/** 4×4 covariance of one index quadruple (k, l, α, β), reused across calls (no allocation per RHS). */
const C4 = new Float64Array(16);
/** Regularised copy of C4 for a fresh P4 (§1.1 "Regularisation", as the θ-moment recursion applies it). */
const C4reg = new Float64Array(16);
/**
 * P4 of each 4-subset of fields, indexed by the combinatorial rank of its sorted indices; NaN = not yet
 * computed in this call. Grown when n grows.
 */
let orthantCache = new Float64Array(0);

/** Combinatorial-number-system rank of a < b < c < d: a + C(b,2) + C(c,3) + C(d,4). */
function subsetRank(a: number, b: number, c: number, d: number): number {
  return a + (b * (b - 1)) / 2 + (c * (c - 1) * (c - 2)) / 6 + (d * (d - 1) * (d - 2) * (d - 3)) / 24;
}

/** Rank of the set {k, l, α, β} given k < l and α < β (all distinct): a merge network for two sorted pairs. */
function quadRank(k: number, l: number, alpha: number, beta: number): number {
  const lo = Math.min(k, alpha);
  const hi = Math.max(l, beta);
  const m1 = Math.max(k, alpha);
  const m2 = Math.min(l, beta);
  return subsetRank(lo, Math.min(m1, m2), Math.max(m1, m2), hi);
}

/** P4 of the fields in C4 (currently filled for k, l, α, β), from the cache or computed once per call. */
function cachedOrthant(k: number, l: number, alpha: number, beta: number): number {
  const rank = quadRank(k, l, alpha, beta);
  let p4 = orthantCache[rank];
  if (Number.isNaN(p4)) {
    C4reg.set(C4);
    for (let i = 0; i < 4; i++) C4reg[i * 5] *= 1 + THETA_MOMENT_REGULARISATION;
    p4 = orthant4(C4reg);
    orthantCache[rank] = p4;
  }
  return p4;
}

/**
 * S_kl = Σ_{α,β} c_α c_β I4(k, l, α, β) = E[g′(λ_k) g′(λ_l) err²] for k, l < K (docs/theory.md §4.2), written
 * to `out` (K×K row-major, symmetric). `omega` is the n×n field covariance Ω (n = K+M, §0) and `c` the
 * signed coefficients (a, −v).
 *
 * Work: I4(k,l,α,β) = I4(k,l,β,α) and S_kl = S_lk, so only k ≤ l and α ≤ β are evaluated. Coincident
 * indices (k = l, α = β, α ∈ {k, l}) go to I4 as they are: ReLU-type I4 merges identical fields (§1.4) and
 * erf's closed form is regular (§1.2). For ReLU-type g the cost is one Plackett quadrature per generic
 * quadruple (§7.7); P4 is symmetric in its four fields and one 4-field set occurs in up to six (k,l,α,β),
 * so each set's P4 is computed once per call (about half the quadratures at K = M = 8).
 */
export function referenceSecondMoment(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  const reluType = act.name === 'relu' || act.name === 'leaky-relu';
  const slope = act.alpha ?? 0;
  if (reluType) {
    const size = subsetRank(0, 1, 2, n);
    if (orthantCache.length < size) orthantCache = new Float64Array(size);
    orthantCache.fill(Number.NaN, 0, size);
  }
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) {
      let s = 0;
      for (let alpha = 0; alpha < n; alpha++) {
        const ca = c[alpha];
        if (ca === 0) continue;
        for (let beta = alpha; beta < n; beta++) {
          const cb = c[beta];
          if (cb === 0) continue;
          const idx0 = k * n;
          const idx1 = l * n;
          const idx2 = alpha * n;
          const idx3 = beta * n;
          C4[0] = omega[idx0 + k];
          C4[1] = C4[4] = omega[idx0 + l];
          C4[2] = C4[8] = omega[idx0 + alpha];
          C4[3] = C4[12] = omega[idx0 + beta];
          C4[5] = omega[idx1 + l];
          C4[6] = C4[9] = omega[idx1 + alpha];
          C4[7] = C4[13] = omega[idx1 + beta];
          C4[10] = omega[idx2 + alpha];
          C4[11] = C4[14] = omega[idx2 + beta];
          C4[15] = omega[idx3 + beta];
          let i4: number;
          if (reluType) {
            const distinct = k !== l && alpha !== beta && alpha !== k && alpha !== l && beta !== k && beta !== l;
            i4 = reluI4WithOrthant(C4, slope, distinct ? cachedOrthant(k, l, alpha, beta) : Number.NaN);
          } else {
            i4 = act.name === 'erf' ? erfI4(C4) : act.I4(C4);
          }
          s += (alpha === beta ? ca * ca : 2 * ca * cb) * i4;
        }
      }
      out[k * K + l] = s;
      out[l * K + k] = s;
    }
  }
}
