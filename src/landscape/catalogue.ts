import { type Overlaps, type OverlapsJSON, overlapsToJSON } from '../model/overlaps.js';
import { clampLoss } from '../io/loss.js';
import type { Flow } from '../theory/flow.js';
import { countAntiAligned, countAntiAlignedArgmax } from './classify.js';
import { groupDistinct, permutationSignature } from './distinct.js';
import { type FamilyOptions, type FamilySolution, solveFamily } from './families.js';

/**
 * One distinct fixed point of the k1 ansatz: the same point is often reached from several ansatz labels
 * (a K = M "k1 = 3" start can converge to a k1 = 0 saddle), so points are deduplicated up to unit
 * permutations (distinct.ts) and labelled by what they are — their measured k1 — with every ansatz
 * label that reached them kept in `labels`.
 */
export interface CataloguedPoint {
  solution: FamilySolution;
  overlaps: Overlaps;
  /** Measured anti-aligned count (one-to-one matching, docs/theory.md §13) and the argmax reading. */
  k1: number;
  k1Argmax: number;
  /** Ansatz k1 labels whose solve reached this point, ascending. */
  labels: number[];
  /** Index among the points of the same measured k1, by increasing loss. */
  index: number;
  /** File name of its overlaps JSON. */
  file: string;
}

/** How many Jacobian eigenvalues (largest real parts first) an overlaps JSON records. */
const RECORDED_EIGENVALUES = 12;

export interface CatalogueOptions extends FamilyOptions {
  /** Called after each label's family is solved (for progress: one n×n spectrum per family). */
  onFamily?: (solved: number, label: number) => void;
}

export function catalogueFamilies(
  flow: Flow,
  labels: readonly number[],
  options: CatalogueOptions = {},
): CataloguedPoint[] {
  const solved = labels.flatMap((label, i) => {
    const solutions = solveFamily(flow, label, options);
    options.onFamily?.(i + 1, label);
    return solutions.map((solution) => ({ label, solution, overlaps: flow.unpack(solution.x) }));
  });
  const groups = groupDistinct(solved, (s) => permutationSignature(s.overlaps, s.solution.loss));
  const points = groups
    .map((members) => ({ ...members[0], labels: [...new Set(members.map((m) => m.label))].sort((a, b) => a - b) }))
    .sort((a, b) => a.solution.loss - b.solution.loss);
  const seen = new Map<number, number>();
  return points.map(({ solution, overlaps, labels: reached }) => {
    const k1 = countAntiAligned(overlaps);
    const index = seen.get(k1) ?? 0;
    seen.set(k1, index + 1);
    return {
      solution,
      overlaps,
      k1,
      k1Argmax: countAntiAlignedArgmax(overlaps),
      labels: reached,
      index,
      file: `k1-${k1}-${index}.json`,
    };
  });
}

/** The overlaps JSON of a fixed point: readable by `ode --init` / `fixed-points --from`, plus what it is. */
export function fixedPointJSON(
  p: Pick<CataloguedPoint, 'solution' | 'overlaps' | 'k1' | 'k1Argmax' | 'labels'>,
): OverlapsJSON & { fixedPoint: Record<string, unknown> } {
  const s = p.solution;
  const st = s.stability;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    ...overlapsToJSON(p.overlaps),
    fixedPoint: {
      loss: clampLoss(s.loss),
      k1: p.k1,
      k1_argmax: p.k1Argmax,
      ansatz_labels: p.labels,
      residual: s.residual,
      newton_status: s.status,
      verdict: st.verdict,
      max_real_eigenvalue: finite(st.maxRealEigenvalue),
      n_unstable: st.nUnstable,
      n_zero: st.nZero,
      gram_nullity: st.gramNullity,
      eigenvalues: st.eigenvalues
        .slice(0, RECORDED_EIGENVALUES)
        .map((e) => ({ re: e.re, im: e.im, realisable: e.realisable ?? null })),
    },
  };
}
