import { THRESHOLDS } from '../model/config.js';
import type { Overlaps } from '../model/overlaps.js';

/**
 * End-state classes (docs/theory.md §7.9, §13; the paper's App. G "Global / Local / None"):
 * - global: loss below `globalLoss` (classified by the loss: convergence to the global minimum is slow
 *   in max|F|, and the Jacobian is singular there, §7.4);
 * - spurious: a converged (max|F| ≤ convergedRhs) non-global fixed point, with its k1 — every k1 ≥ 1
 *   state, and the k1 = 0 states of unconstrained deterministic flows (k1 = 0 fixed points above the
 *   global loss exist there: `fixed-points --K 8 --M 8` finds 30, all saddles, which a Newton finish
 *   without a spectrum can land on; a stable one would be a spurious minimum);
 * - saddle: converged, but with a realisable unstable direction (only when a spectrum was supplied);
 * - marginal: converged, no realisable unstable direction, but the largest realisable eigenvalue is
 *   within the caller's marginal tolerance of 0 (stats: −1e-4, slower than its time budget resolves; §14);
 * - not-converged: max|F| above convergedRhs at the end of the budget;
 * - noise-floor: a converged, non-global k1 = 0 end state of a stochastic run (context.stochastic:
 *   online SGD, whose label noise keeps the loss above 0 — the sgd flow's η²σ²J2 term, docs/theory.md
 *   §4.2): every unit is aligned with its teacher and the loss sits at the run's noise level around
 *   the global minimum, not at a spurious minimum;
 * - constrained-optimum: a converged, non-global k1 = 0 end state of a flow on the sphere / Stiefel
 *   manifold (context.constrained) with K > M: unit-norm students cannot silence the K − M extra units,
 *   so loss 0 is out of reach and the best state has L > 0 (ngd at K = M + 1, issue 9 item 2).
 * The last two are decided by the context a caller passes; without it a k1 = 0 state stays spurious.
 */
export type EndClass =
  'global' | 'spurious' | 'saddle' | 'not-converged' | 'noise-floor' | 'constrained-optimum' | 'marginal';
/** Every class, the original four first (runs.csv and the stats tables list them in this order). */
export const END_CLASSES: readonly EndClass[] = [
  'global',
  'spurious',
  'saddle',
  'not-converged',
  'noise-floor',
  'constrained-optimum',
  'marginal',
];

/**
 * What the caller knows about the dynamics that produced the end state (classifyEndState):
 * - stochastic: the state is the end of a stochastic run (an online-SGD network; or the sgd flow with
 *   label noise, whose fixed point near the global minimum has L > 0);
 * - constrained: the students are held on the sphere / Stiefel manifold (ngd, ongd).
 */
export interface ClassifyContext {
  stochastic?: boolean;
  constrained?: boolean;
}

/** Defaults of docs/theory.md §7.9: "global" means L < 1e-5, "converged" means max|F| < 1e-9 (model/config.ts). */
export const CLASSIFY_DEFAULTS = { globalLoss: THRESHOLDS.globalLoss, convergedRhs: THRESHOLDS.convergedRhs } as const;

export interface ClassifyThresholds {
  globalLoss?: number;
  convergedRhs?: number;
}

export interface EndState {
  overlaps: Overlaps;
  loss: number;
  /** max_i |F_i| at the end state. */
  maxRhs: number;
  /** Realisable unstable directions of the Jacobian (stability.ts), when the spectrum was computed. */
  nUnstable?: number;
  /** No unstable direction, but the largest realisable eigenvalue is within a marginal tolerance of 0. */
  marginal?: boolean;
}

export interface Classification {
  class: EndClass;
  /** Students whose matched teacher overlap is negative (matchStudentsToTeachers). */
  k1: number;
  /** Students whose own largest-|R| teacher overlap is negative (countAntiAlignedArgmax). */
  k1Argmax: number;
}

/**
 * Minimum-cost assignment of `rows` items to `cols` items (rows ≤ cols), Σ cost(i, assign[i]) minimal
 * (Hungarian algorithm with potentials, O(rows²·cols), e-maxx formulation, 1-based with a sentinel).
 * Returns, for each row, its column; every row is assigned and no column twice. Costs must be finite.
 */
export function minCostAssignment(rows: number, cols: number, cost: (i: number, j: number) => number): Int32Array {
  if (rows > cols) throw new Error(`minCostAssignment needs rows <= cols (got ${rows} > ${cols})`);
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const owner = new Int32Array(cols + 1);
  const way = new Int32Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    owner[0] = i;
    let j0 = 0;
    const minv = new Float64Array(cols + 1).fill(Infinity);
    const used = new Uint8Array(cols + 1);
    do {
      used[j0] = 1;
      const i0 = owner[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const assign = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= cols; j++) if (owner[j] !== 0) assign[owner[j] - 1] = j - 1;
  return assign;
}

/**
 * Assignment of students to teachers maximising Σ|R_k,π(k)| (minCostAssignment with cost −|R|; K and
 * M are small). Returns, for each student, its teacher or −1 (K > M leaves K − M students unmatched;
 * K < M leaves teachers unmatched). Matching by |R| rather than R is what lets an anti-aligned unit
 * (R_kk < 0, paper Fig. 7) be recognised as paired with its teacher.
 */
export function matchStudentsToTeachers(R: Float64Array, K: number, M: number): Int32Array {
  const match = new Int32Array(K).fill(-1);
  if (K > M) {
    // Teachers are the rows: each teacher gets one student, K − M students stay unmatched.
    const studentOf = minCostAssignment(M, K, (m, k) => -Math.abs(R[k * M + m]));
    studentOf.forEach((k, m) => {
      match[k] = m;
    });
    return match;
  }
  match.set(minCostAssignment(K, M, (k, m) => -Math.abs(R[k * M + m])));
  return match;
}

/**
 * k1, the harness's convention (docs/theory.md §13): the number of students whose teacher in the
 * one-to-one maximum-Σ|R| matching has a negative overlap (paper Result 2). At K > M, K − M students are
 * unmatched and never counted.
 */
export function countAntiAligned(o: Overlaps): number {
  const match = matchStudentsToTeachers(o.R, o.K, o.M);
  let k1 = 0;
  for (let k = 0; k < o.K; k++) if (match[k] >= 0 && o.R[k * o.M + match[k]] < 0) k1++;
  return k1;
}

/**
 * k1 under the other common reading: each student's own largest-|R| teacher, counted when that overlap
 * is negative (several students may pick one teacher). It equals k1 when the matching is a bijection
 * onto each student's argmax; at K > M it can differ (the K = M + 1 k1 = 1 minimum has k1_argmax = 2).
 */
export function countAntiAlignedArgmax(o: Overlaps): number {
  let k1 = 0;
  for (let k = 0; k < o.K; k++) {
    let best = 0;
    for (let m = 1; m < o.M; m++) if (Math.abs(o.R[k * o.M + m]) > Math.abs(o.R[k * o.M + best])) best = m;
    if (o.R[k * o.M + best] < 0) k1++;
  }
  return k1;
}

/**
 * Classify an end state (see EndClass); thresholds default to CLASSIFY_DEFAULTS. Order: global (by the
 * loss), not-converged, saddle, marginal, then a k1 = 0 state is noise-floor when context.stochastic,
 * constrained-optimum when context.constrained and K > M, else (and for every k1 ≥ 1) spurious. A
 * stochastic constrained run's k1 = 0 state is noise-floor: it fluctuates around its best level.
 */
export function classifyEndState(
  state: EndState,
  thresholds: ClassifyThresholds = {},
  context: ClassifyContext = {},
): Classification {
  const globalLoss = thresholds.globalLoss ?? CLASSIFY_DEFAULTS.globalLoss;
  const convergedRhs = thresholds.convergedRhs ?? CLASSIFY_DEFAULTS.convergedRhs;
  const k1 = countAntiAligned(state.overlaps);
  const k1Argmax = countAntiAlignedArgmax(state.overlaps);
  if (state.loss < globalLoss) return { class: 'global', k1, k1Argmax };
  if (!(state.maxRhs <= convergedRhs)) return { class: 'not-converged', k1, k1Argmax };
  if (state.nUnstable !== undefined && state.nUnstable > 0) return { class: 'saddle', k1, k1Argmax };
  if (state.marginal) return { class: 'marginal', k1, k1Argmax };
  if (k1 === 0 && context.stochastic) return { class: 'noise-floor', k1, k1Argmax };
  if (k1 === 0 && context.constrained && state.overlaps.K > state.overlaps.M)
    return { class: 'constrained-optimum', k1, k1Argmax };
  return { class: 'spurious', k1, k1Argmax };
}
