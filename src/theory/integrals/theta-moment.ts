import { VARIANCE_FLOOR } from '../activations/activation.js';
import { orthantProbability } from './orthant.js';

/**
 * θ-moments E[Π_i θ(x_i)^{t_i} x_i^{p_i}] of a centred Gaussian with up to four variables, by the Stein
 * recursion of docs/theory.md §1.1 "General algorithm". Every ReLU / leaky-ReLU integral reduces to these.
 */

/** Largest number of variables: the base case needs orthant probabilities, implemented for n ≤ 4. */
export const MAX_THETA_VARIABLES = 4;

/**
 * Relative diagonal regularisation C_ii → C_ii(1 + ε) applied before the recursion (§1.1 "Regularisation"):
 * exactly rank-deficient covariances and near-duplicate pairs otherwise give garbage or overflow.
 */
export const THETA_MOMENT_REGULARISATION = 1e-10;

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
export function thetaMoment(
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
