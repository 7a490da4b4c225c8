import type { CsvCell } from '../io/csv.js';
import { clampLoss } from '../io/loss.js';
import { ANSATZ_SCALAR_NAMES } from './ansatz.js';
import type { CataloguedPoint } from './catalogue.js';
import type { StabilityReport } from './stability.js';

/** families.csv columns (issue 5 contract first, then diagnostics, then the ansatz scalars). */
export const FAMILY_COLUMNS = [
  'k1',
  'loss',
  'residual',
  'n_unstable',
  'max_real_eigenvalue',
  'stable',
  'verdict',
  'solution',
  'n_zero',
  'n_unrealisable_unstable',
  'gram_nullity',
  'newton_status',
  ...ANSATZ_SCALAR_NAMES,
  'file',
  'k1_argmax',
  'ansatz_labels',
] as const;

export interface FamilyRow {
  /** Measured anti-aligned count of the solution (classify.ts countAntiAligned), not the ansatz label. */
  k1: number;
  k1Argmax: number;
  /** Ansatz labels that reached this point. */
  labels: number[];
  solution: number;
  loss: number;
  residual: number;
  newtonStatus: string;
  stability: StabilityReport;
  scalars: Record<string, number>;
  file: string;
}

export function familyRow(p: CataloguedPoint): FamilyRow {
  const s = p.solution;
  return {
    k1: p.k1,
    k1Argmax: p.k1Argmax,
    labels: p.labels,
    solution: p.index,
    loss: s.loss,
    residual: s.residual,
    newtonStatus: s.status,
    stability: s.stability,
    scalars: s.scalars,
    file: p.file,
  };
}

export function familyCells(r: FamilyRow): CsvCell[] {
  const st = r.stability;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return [
    r.k1,
    // Clamped at 0 like every written loss: a −1e-16 at a global minimum is round-off (io/loss.ts).
    clampLoss(r.loss),
    r.residual,
    st.nUnstable,
    finite(st.maxRealEigenvalue),
    st.verdict === 'stable' || st.verdict === 'global-minimum',
    st.verdict,
    r.solution,
    st.nZero,
    st.nUnrealisableUnstable,
    st.gramNullity,
    r.newtonStatus,
    ...ANSATZ_SCALAR_NAMES.map((name) => r.scalars[name] ?? null),
    r.file,
    r.k1Argmax,
    r.labels.join(';'),
  ];
}
