import type { Flow } from '../theory/flow.js';
import { rowGram } from '../theory/init.js';
import { maxAbs } from '../theory/solvers/solve.js';
import { fieldCovariance, identity } from '../model/overlaps.js';
import { minEigenvalue } from '../theory/linalg/eigen.js';
import { type BlockAnsatz, ReducedSystem, paperAnsatz } from './ansatz.js';
import { type NewtonOptions, type NewtonStatus, newtonSolve, solveFixedPoint } from './newton.js';
import { countAntiAligned } from './classify.js';
import { STABILITY_DEFAULTS, type StabilityOptions, type StabilityReport, analyseStability } from './stability.js';
import { type FixedPointStabilityMethod, fixedPointStability } from './fixed-point-stability.js';

/**
 * Starting guesses of the reduced Newton solve, as R scalars (Q follows as RRᵀ, see guessScalars):
 * aligned units with R_ii = x1 near 1, anti-aligned ones with R_ii = x2 < 0 (paper Fig. 7), small
 * uniform off-diagonals y1 and y2 (the compensating overlaps), and for the extra unit of K = M + 1 a norm and a mean overlap e1. The grid is
 * small because Levenberg–Marquardt converges from far away; distinct roots are kept.
 */
export const DEFAULT_GUESS_GRID = {
  x1: [0.6, 0.9, 1.2],
  x2: [-0.2, -0.5, -0.9],
  y1: [0, 0.1],
  y2: [0, 0.25],
  e1: [0, 0.2],
  extraNorm: [0.1, 0.5],
} as const;

export interface GuessGrid {
  x1: readonly number[];
  x2: readonly number[];
  y1: readonly number[];
  y2: readonly number[];
  e1: readonly number[];
  extraNorm: readonly number[];
}

export interface FamilyOptions {
  newton?: NewtonOptions;
  stability?: StabilityOptions;
  /** How each solution's stability is computed (fixed-point-stability.ts); default dense. */
  stabilityMethod?: FixedPointStabilityMethod;
  guesses?: GuessGrid;
}

export interface FamilySolution {
  k1: number;
  /** Scalar values by paper name (ansatz.ts ANSATZ_SCALAR_NAMES); absent names do not exist for this k1. */
  scalars: Record<string, number>;
  /** Max |reduced residual| of the ansatz solve. */
  reducedResidual: number;
  /** Packed state after the full-system polish, and its max|F| and Newton status. */
  x: Float64Array;
  residual: number;
  status: NewtonStatus;
  loss: number;
  stability: StabilityReport;
}

/**
 * A fixed point given as a packed state outside the ansatz (`fixed-points --from`, an end state the census
 * reached): its measured k1 (§13), residual max|F|, loss and §14 stability; no reduced scalars.
 */
export function solutionAt(
  flow: Flow,
  x: Float64Array,
  status: NewtonStatus,
  stability: StabilityReport = analyseStability(flow, x),
): FamilySolution {
  const rhs = new Float64Array(x.length);
  flow.rhs(x, rhs);
  return {
    k1: countAntiAligned(flow.unpack(x)),
    scalars: {},
    reducedResidual: Number.NaN,
    x,
    residual: maxAbs(rhs),
    status,
    loss: flow.loss(x),
    stability,
  };
}

/** Distinct roots differ by more than this in some scalar (roots are solved to |F| ~ 1e-12). */
const DISTINCT_SCALARS = 1e-6;
/**
 * Roots whose losses agree to this are one family: points of a continuum of fixed points (gd2l's
 * rescaling a_k → c·a_k, w_k → w_k/c, c > 0, under which ReLU units are invariant; or the free split of
 * coincident units), not different minima. Losses of distinct families differ by ≫ 1e-10.
 */
const SAME_LOSS = 1e-10;
/** An extra unit with squared norm q6 below this is the zero-unit embedding (singular, §7.2), not a new root. */
const EMBEDDING_NORM = 1e-6;
/** A root whose Ω has an eigenvalue below −this is not realisable by any weights (§6 "Realisability"). */
const GRAM_NEGATIVE = 1e-8;

/**
 * A realisable starting point in the ansatz: the R scalars of the guess, students in the teacher span
 * (Q = RRᵀ since T = I), the extra unit given an out-of-span norm; then the flow's constraints are
 * imposed (ngd: unit rows, w_k → w_k/|w_k|; ongd: Q = I with R scaled to norm < 1).
 */
function guessScalars(flow: Flow, ansatz: BlockAnsatz, r: Record<string, number>, extraNorm: number): Float64Array {
  const { K, M } = flow.layout;
  const s = new Float64Array(ansatz.size);
  // Readouts (gd2l) start at the teacher's value 1.
  for (const name of ['a_A', 'a_B', 'a_E']) if (ansatz.names.includes(name)) s[ansatz.names.indexOf(name)] = 1;
  for (const [name, value] of Object.entries(r)) {
    const i = ansatz.names.indexOf(name);
    if (i >= 0) s[i] = value;
  }
  const o = flow.unpack(ansatz.lift(s));
  o.Q = rowGram(o.R, K, o.R, K, M, 1);
  if (K > M) o.Q[(K - 1) * K + K - 1] += extraNorm;
  if (flow.definition.constraint === 'sphere') {
    const norms = Array.from({ length: K }, (_, k) => Math.sqrt(o.Q[k * K + k]));
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) o.Q[k * K + l] /= norms[k] * norms[l];
      for (let m = 0; m < M; m++) o.R[k * M + m] /= norms[k];
    }
    // Exactly 1, not 1 ± ulp from the division: these coordinates are held fixed, never solved for.
    for (let k = 0; k < K; k++) o.Q[k * K + k] = 1;
  }
  if (flow.definition.constraint === 'stiefel') {
    // Q = I is realisable with R iff ‖R‖₂ ≤ 1; the Frobenius norm bounds ‖R‖₂, so scale it below 1.
    o.Q = identity(K);
    const frobenius = Math.sqrt(o.R.reduce((sum, v) => sum + v * v, 0));
    if (frobenius > 0.9) for (let i = 0; i < o.R.length; i++) o.R[i] *= 0.9 / frobenius;
  }
  return ansatz.project(flow.pack(o));
}

function* guesses(grid: GuessGrid, extra: boolean): Generator<{ r: Record<string, number>; extraNorm: number }> {
  for (const x1 of grid.x1) {
    for (const x2 of grid.x2) {
      for (const y1 of grid.y1) {
        for (const y2 of grid.y2) {
          if (!extra) {
            yield { r: { x1, x2, y1, y2 }, extraNorm: 0 };
            continue;
          }
          for (const e1 of grid.e1)
            for (const extraNorm of grid.extraNorm) yield { r: { x1, x2, y1, y2, e1 }, extraNorm };
        }
      }
    }
  }
}

function namedScalars(ansatz: BlockAnsatz, s: Float64Array): Record<string, number> {
  return Object.fromEntries(ansatz.names.map((name, i) => [name, s[i]]));
}

/**
 * The exact global minimum in the ansatz (k1 = 0): Q = R = I at K = M, and at K = M + 1 the same with a
 * zero extra unit. It is written down, not solved: the Jacobian is singular there (docs/theory.md §7.4).
 */
function globalMinimum(flow: Flow, ansatz: BlockAnsatz, options: FamilyOptions): FamilySolution {
  const s = new Float64Array(ansatz.size);
  for (const name of ['x1', 'q1', 'a_A']) {
    const i = ansatz.names.indexOf(name);
    if (i >= 0) s[i] = 1;
  }
  const x = ansatz.lift(s);
  const rhs = new Float64Array(x.length);
  flow.rhs(x, rhs);
  const residual = rhs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return {
    k1: 0,
    scalars: namedScalars(ansatz, s),
    reducedResidual: residual,
    x,
    residual,
    status: 'converged',
    loss: flow.loss(x),
    stability: fixedPointStability(flow, x, options.stabilityMethod ?? 'dense', options.stability),
  };
}

/**
 * Distinct realisable roots of the reduced equations from the guess grid: converged to the Newton
 * tolerance, with Ω ⪰ 0, not a permutation of the global minimum (loss ≈ 0, it belongs to k1 = 0),
 * at K = M + 1 not the zero-extra-unit embedding, and one per loss level (SAME_LOSS).
 */
function ansatzRoots(
  flow: Flow,
  ansatz: BlockAnsatz,
  options: FamilyOptions,
): { s: Float64Array; residual: number; loss: number }[] {
  const { K, M } = flow.layout;
  const roots: { s: Float64Array; residual: number; loss: number }[] = [];
  const q6 = ansatz.names.indexOf('q6');
  const zeroLoss = options.stability?.zeroLoss ?? STABILITY_DEFAULTS.zeroLoss;
  for (const guess of guesses(options.guesses ?? DEFAULT_GUESS_GRID, K > M)) {
    const s0 = guessScalars(flow, ansatz, guess.r, guess.extraNorm);
    const system = new ReducedSystem(flow, ansatz, s0);
    const root = newtonSolve((y, out) => system.residual(y, out), system.freeOf(s0), options.newton);
    if (root.status !== 'converged') continue;
    const s = system.scalarsOf(root.y);
    if (q6 >= 0 && s[q6] < EMBEDDING_NORM) continue;
    const x = ansatz.lift(s);
    const loss = flow.loss(x);
    if (Math.abs(loss) < zeroLoss) continue;
    if (minEigenvalue(fieldCovariance(flow.unpack(x)), K + M) < -GRAM_NEGATIVE) continue;
    if (
      roots.some(
        (r) => r.s.every((v, i) => Math.abs(v - s[i]) < DISTINCT_SCALARS) || Math.abs(r.loss - loss) < SAME_LOSS,
      )
    )
      continue;
    roots.push({ s, residual: root.residual, loss });
  }
  return roots;
}

/**
 * Solve the reduced equations of the k1 block ansatz (ansatz.ts; paper Result 2) from a grid of
 * guesses, keep the distinct realisable roots, lift each back to (Q, R), polish it with the full
 * Newton solver, and analyse its stability. K = M gives the paper's families, K = M + 1 the generalised
 * ansatz (the zero-extra-unit embedding is excluded here; see perturb.ts for its stability).
 * Solutions are sorted by loss.
 */
export function solveFamily(flow: Flow, k1: number, options: FamilyOptions = {}): FamilySolution[] {
  const ansatz = paperAnsatz(flow.layout, k1);
  if (k1 === 0) return [globalMinimum(flow, ansatz, options)];
  const roots = ansatzRoots(flow, ansatz, options);
  const solutions = roots.map(({ s, residual }) => {
    const polished = solveFixedPoint(flow, ansatz.lift(s), options.newton);
    return {
      k1,
      scalars: namedScalars(ansatz, ansatz.project(polished.x)),
      reducedResidual: residual,
      x: polished.x,
      residual: polished.residual,
      status: polished.status,
      loss: polished.loss,
      stability: fixedPointStability(flow, polished.x, options.stabilityMethod ?? 'dense', options.stability),
    };
  });
  return solutions.sort((a, b) => a.loss - b.loss);
}

/**
 * Predicted loss levels for histograms: per k1, the lowest loss among the realisable roots of the
 * reduced ansatz equations (no full-system polish or spectrum, so it is cheap at K = M = 17). K = M
 * or M + 1 only; the global minimum (k1 = 0) is loss 0 and not listed.
 */
export function ansatzLevels(flow: Flow, k1s: number[], options: FamilyOptions = {}): { k1: number; loss: number }[] {
  const { K, M } = flow.layout;
  if (K !== M && K !== M + 1) return [];
  return k1s.flatMap((k1) => {
    if (k1 < 1 || k1 > M) return [];
    const ansatz = paperAnsatz(flow.layout, k1);
    const best = Math.min(...ansatzRoots(flow, ansatz, options).map(({ s }) => flow.loss(ansatz.lift(s))));
    return Number.isFinite(best) ? [{ k1, loss: best }] : [];
  });
}
