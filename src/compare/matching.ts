import { minCostAssignment } from '../landscape/classify.js';
import type { Trajectory } from '../model/trajectory.js';
import type { StateLayout } from '../model/state-layout.js';
import { type DeviationThresholds, type TrajectoryDeviation, trajectoryDeviation } from './deviation.js';

/**
 * Network vs theory up to a relabelling of the student units (issue 9 item 8).
 *
 * The loss and the flow are invariant under a permutation of the student units (Q permuted on rows and
 * columns, R by rows, a by entries; docs/theory.md §0), so a permuted ODE solution is an ODE solution.
 * On a symmetric plateau (K = M online SGD) the units are nearly interchangeable and which student
 * specialises to which teacher is decided by O(1/√d) noise: a finite-d network may leave the plateau
 * with its units swapped relative to the same-init ODE and then sit at the same fixed point up to
 * labels — raw max|ΔR| ≈ 1 although the states agree. Matched deviations compare after the best
 * relabelling, chosen once per seed at the end state and applied to the whole trajectory.
 */

/** A permutation of the student units: perm[k] = the network unit placed at position k (compared with theory unit k). */
export type UnitPermutation = number[];

/**
 * A seed counts as label-switched when its best permutation is not the identity and brings the final
 * max-entry deviation down to at most this fraction of the raw one: a real swap takes it from O(1) to
 * the O(η/√d) fluctuation level (≈ 1 → 0.01–0.08 in scenarios/broadening.json), while a near-symmetric
 * end state (both unit orders equally good) stays near ratio 1.
 */
export const LABEL_SWITCH_RATIO = 0.25;

export const isIdentity = (perm: UnitPermutation) => perm.every((p, k) => p === k);

/** Packed state x with its student units permuted (Q symmetrically, R by rows, trained a by entries). */
export function permuteState(x: Float64Array, layout: StateLayout, perm: UnitPermutation): Float64Array {
  const { K, M } = layout;
  const y = new Float64Array(x.length);
  for (let i = 0; i < K; i++) for (let j = i; j < K; j++) y[layout.q(i, j)] = x[layout.q(perm[i], perm[j])];
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) y[layout.r(k, m)] = x[layout.r(perm[k], m)];
  if (layout.withReadouts) for (let k = 0; k < K; k++) y[layout.a(k)] = x[layout.a(perm[k])];
  return y;
}

/** The whole trajectory with its student units permuted (fixed readouts too; the loss is invariant). */
export function permuteTrajectory(tr: Trajectory, perm: UnitPermutation): Trajectory {
  if (isIdentity(perm)) return tr;
  const a = Float64Array.from(perm, (p) => tr.fixed.a[p]);
  return { ...tr, fixed: { ...tr.fixed, a }, states: tr.states.map((x) => permuteState(x, tr.layout, perm)) };
}

/**
 * Cost of pairing network unit j with theory unit k: what identifies a student on its own — its teacher
 * overlaps (the R row), its norm Q_jj and its trained readout a_j — as a squared distance.
 */
function pairCost(net: Float64Array, ref: Float64Array, layout: StateLayout, k: number, j: number): number {
  let c = (net[layout.q(j, j)] - ref[layout.q(k, k)]) ** 2;
  for (let m = 0; m < layout.M; m++) c += (net[layout.r(j, m)] - ref[layout.r(k, m)]) ** 2;
  if (layout.withReadouts) c += (net[layout.a(j)] - ref[layout.a(k)]) ** 2;
  return c;
}

/**
 * A cost that keeps apart units whose fixed (untrained) readouts differ: swapping them is not a
 * symmetry of the model. Finite, as the assignment needs, and far above any squared overlap difference.
 */
const FORBIDDEN = 1e12;

/**
 * The relabelling of the network's student units that best matches the reference state: minimise
 * Σ_k ‖R_net[π(k)] − R_ref[k]‖² + (Q_net[π(k)π(k)] − Q_ref[kk])² (+ (a_net[π(k)] − a_ref[k])² when the
 * readouts are trained) by the Hungarian algorithm (minCostAssignment, the one that matches students
 * to teachers for k1, src/landscape/classify.ts).
 *
 * Why network-to-theory rather than both to the teachers by |R| and compose: the teacher matching needs
 * every student to be clearly paired with a teacher, and it is not at K > M (unmatched extra units), on
 * a plateau (R rows nearly equal) or at a k1 ≥ 1 state whose anti-aligned unit pairs by |R| only; a direct
 * comparison of the two states is defined in all cases and is zero exactly when one state is a
 * relabelling of the other. The off-diagonal Q_kl are left out of the cost: they pair two units at once,
 * which makes the problem a quadratic assignment, and they follow once every unit's norm and teacher
 * overlaps agree; the matched deviations below compare every entry, off-diagonal Q included.
 */
export function bestUnitPermutation(
  net: Float64Array,
  ref: Float64Array,
  layout: StateLayout,
  fixedA?: Float64Array,
): UnitPermutation {
  const K = layout.K;
  const cost = (k: number, j: number) =>
    !layout.withReadouts && fixedA && fixedA[j] !== fixedA[k] ? FORBIDDEN : pairCost(net, ref, layout, k, j);
  return Array.from(minCostAssignment(K, K, cost));
}

/** max over Q, R (and trained a) entries of |x − y|; NaN if any difference is NaN. */
export function maxStateDifference(x: Float64Array, y: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i] - y[i]);
    if (!(a <= m)) m = a;
  }
  return m;
}

/** Worst of the overlap deviations of a trajectory comparison (Q, R and a when trained). */
function worstOverlapDeviation(dev: TrajectoryDeviation): number {
  let m = 0;
  for (const v of [dev.max.Q, dev.max.R, dev.max.a]) if (v !== null && !(v <= m)) m = v;
  return m;
}

/**
 * The relabelling of one end state x against a reference y: the best permutation when it passes
 * conditions 1–2 of matchedComparison's rule (not the identity, final max-entry deviation cut to
 * ≤ LABEL_SWITCH_RATIO × the raw one), else the identity; with the relabelled state.
 */
export function relabelEndState(x: Float64Array, y: Float64Array, layout: StateLayout, fixedA?: Float64Array) {
  const identity = Array.from({ length: layout.K }, (_, k) => k);
  const finalRaw = maxStateDifference(x, y);
  const keep = { permutation: identity, labelSwitched: false, state: x, finalRaw, finalBest: finalRaw };
  if (!x.every(Number.isFinite) || !y.every(Number.isFinite)) return keep;
  const best = bestUnitPermutation(x, y, layout, fixedA);
  if (isIdentity(best)) return keep;
  const state = permuteState(x, layout, best);
  const finalBest = maxStateDifference(state, y);
  if (!(finalBest <= LABEL_SWITCH_RATIO * finalRaw)) return { ...keep, finalBest };
  return { permutation: best, labelSwitched: true, state, finalRaw, finalBest };
}

export interface MatchedComparison {
  /** The permutation applied to the network (identity unless labelSwitched). */
  permutation: UnitPermutation;
  labelSwitched: boolean;
  /** Deviation of the relabelled network from the theory (= the raw deviation when not switched). */
  deviation: TrajectoryDeviation;
  /** Max-entry |Δ(Q, R, a)| at the last common time, as labelled and after the best permutation. */
  finalRaw: number;
  finalBest: number;
}

/**
 * Network vs theory after the best unit relabelling of the seed (bestUnitPermutation at the last common
 * recorded time), applied to the whole network trajectory.
 *
 * Rule (label switching): the seed is label-switched when
 * 1. the best permutation π at the end is not the identity,
 * 2. it brings the final max-entry deviation to ≤ LABEL_SWITCH_RATIO × the raw final deviation, and
 * 3. the relabelled trajectory's worst overlap deviation (max over t and Q, R, a entries) does not
 *    exceed the raw one — a guard for end states whose units are interchangeable (both orders fit at
 *    the end, but the units differed earlier, where relabelling would only add deviation).
 * Only then is π applied; otherwise the matched deviation is the raw one. The loss is invariant, so its
 * deviation is the same either way.
 */
export function matchedComparison(
  network: Trajectory,
  theory: Trajectory,
  thresholds: DeviationThresholds,
  raw?: TrajectoryDeviation,
): MatchedComparison {
  const rawDeviation = raw ?? trajectoryDeviation(network, theory, thresholds);
  const last = Math.min(network.states.length, theory.states.length) - 1;
  const identity = Array.from({ length: network.layout.K }, (_, k) => k);
  if (last < 0)
    return { permutation: identity, labelSwitched: false, deviation: rawDeviation, finalRaw: NaN, finalBest: NaN };
  const end = relabelEndState(network.states[last], theory.states[last], network.layout, network.fixed.a);
  const unmatched = {
    permutation: identity,
    labelSwitched: false,
    deviation: rawDeviation,
    finalRaw: end.finalRaw,
    finalBest: end.finalBest,
  };
  if (!end.labelSwitched) return unmatched;
  const deviation = trajectoryDeviation(permuteTrajectory(network, end.permutation), theory, thresholds);
  if (!(worstOverlapDeviation(deviation) <= worstOverlapDeviation(rawDeviation))) return unmatched;
  return {
    permutation: end.permutation,
    labelSwitched: true,
    deviation,
    finalRaw: end.finalRaw,
    finalBest: end.finalBest,
  };
}
