import type { CsvCell } from '../../io/csv.js';
import { markdownTable } from '../../io/markdown.js';
import { fixedPointJSON } from '../../landscape/catalogue.js';
import { CENSUS_UPPER_CONFIDENCE, clopperPearsonUpper } from './binomial.js';
import type { CensusPoint, ShapeCensus } from './compute.js';

/** census.csv: the issue-10 contract first (in this order), then diagnostics. */
export const CENSUS_COLUMNS = [
  'K',
  'M',
  'k1',
  'solution',
  'loss',
  'stable',
  'max_real_eigenvalue',
  'hessian_min',
  'hessian_max',
  'reach_count',
  'reach_fraction',
  'reach_upper95',
  'hidden',
  'verdict',
  'n_unstable',
  'k1_argmax',
  'ansatz_labels',
  'hessian_d',
  'hessian_negative',
  'hessian_note',
  'residual',
  'file',
] as const;

/** A row of the census: a point with its derived columns. */
export interface CensusRow {
  point: CensusPoint;
  inits: number;
  /** Stable in the flow's realisable spectrum (§14), or the global minimum. */
  stable: boolean;
  reachFraction: number;
  reachUpper: number;
  /** Stable and never reached by any initialisation. */
  hidden: boolean;
}

function isStable(p: CensusPoint): boolean {
  const v = p.fixedPoint.stability.verdict;
  return v === 'stable' || v === 'global-minimum';
}

export function censusRows(shape: ShapeCensus): CensusRow[] {
  return shape.points.map((point) => {
    const stable = isStable(point);
    return {
      point,
      inits: shape.inits,
      stable,
      reachFraction: point.reachCount / shape.inits,
      reachUpper: clopperPearsonUpper(point.reachCount, shape.inits, CENSUS_UPPER_CONFIDENCE),
      hidden: stable && point.reachCount === 0,
    };
  });
}

const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);

export function censusCells(r: CensusRow): CsvCell[] {
  const p = r.point;
  const st = p.fixedPoint.stability;
  const h = p.hessian;
  return [
    p.K,
    p.M,
    p.k1,
    p.solution,
    p.fixedPoint.loss,
    r.stable,
    finite(st.maxRealEigenvalue),
    h.min,
    h.max,
    p.reachCount,
    r.reachFraction,
    r.reachUpper,
    r.hidden,
    st.verdict,
    st.nUnstable,
    p.k1Argmax,
    p.labels.join(';'),
    h.d,
    h.negative,
    h.note,
    p.fixedPoint.residual,
    p.file,
  ];
}

/** The point's overlaps JSON: the fixed-points format (catalogue.ts fixedPointJSON). */
export function pointJSON(p: CensusPoint): string {
  return `${JSON.stringify(fixedPointJSON({ solution: p.fixedPoint, overlaps: p.overlaps, k1: p.k1, k1Argmax: p.k1Argmax, labels: p.labels }), null, 2)}\n`;
}

const num = (v: number | null, digits = 6) => (v === null || !Number.isFinite(v) ? '–' : v.toPrecision(digits));

/** Rows shown in census.md: the stable points and every reached one (saddles nobody reaches are in the CSV only). */
export function shownInSummary(r: CensusRow): boolean {
  return r.stable || r.point.reachCount > 0;
}

export function censusMarkdownTable(rows: CensusRow[]): string {
  return markdownTable(
    [
      'K',
      'M',
      'k1',
      'solution',
      'loss',
      'verdict',
      'max Re λ',
      'H min',
      'H max',
      'reached',
      'fraction',
      'upper 95 %',
      'hidden',
    ],
    rows.map((r) => {
      const p = r.point;
      return [
        p.K,
        p.M,
        p.k1,
        String(p.solution),
        num(p.fixedPoint.loss, 8),
        p.fixedPoint.stability.verdict,
        num(p.fixedPoint.stability.maxRealEigenvalue, 4),
        num(p.hessian.min, 4),
        num(p.hessian.max, 4),
        `${p.reachCount}/${r.inits}`,
        r.reachFraction.toFixed(4),
        r.reachUpper.toPrecision(3),
        r.hidden ? '**hidden**' : '',
      ];
    }),
    ['right', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}
