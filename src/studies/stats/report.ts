import type { Provenance } from '../../io/provenance.js';
import { csvText } from '../../io/csv.js';
import { fmt } from '../../report/format.js';
import {
  type HtmlTable,
  type PageVerdict,
  renderReportHtml,
  toleranceVerdict,
  provenanceFooter,
} from '../../report/html.js';
import { type LossLevel, landscapeHistogramPlot } from '../../report/histograms.js';
import { renderPlot } from '../../report/vega.js';
import { catalogueFamilies } from '../../landscape/catalogue.js';
import type { StatsConfig } from '../../landscape/stats/config.js';
import { runsCsv } from '../../landscape/stats/runs-csv.js';
import { STATES_FILE, statesJsonl } from '../../landscape/stats/states-jsonl.js';
import { StatsContext, type RunRecord } from '../../landscape/stats/run.js';
import { TABLE_COLUMNS, isLocal, tableMarkdown } from '../../landscape/stats/table.js';
import type { StudyReport } from '../study.js';
import type { StatsResult } from './compute.js';
import { paperAgrees, paperCellsMarkdown } from './paper.js';

export function statsTitle(c: StatsConfig): string {
  return `${c.optimizer} ${c.activation} K=${c.K} M=${c.M}, init d=${c.initD}`;
}

/**
 * Predicted levels are computed for K ≤ STABLE_LEVELS_MAX_K and for at most STABLE_LEVELS_MAX_K1 values
 * of k1 (the most frequent among the runs, each holding at least STABLE_LEVELS_MIN_SHARE of them).
 * catalogueFamilies certifies every root of the ansatz with a Jacobian spectrum, stable or not, and
 * the spectra dominate. Measured on one core of a shared 2-core machine: 6–9 s per k1 at K = M = 17
 * (≈ 8 roots, ~1 s per spectrum of n = 442; k1 = 1..4 took 29–33 s, k1 = 1..11 took 113 s) and 14 s for
 * k1 = 1 at K = M = 20 (n = 610, 5 roots; the other k1, with more roots, not measured: ~1.5–2 min for
 * four is an extrapolation). A run of 10^4 initialisations at these K takes about an hour on one
 * worker (1000 at K = 17 took 6 min here).
 */
export const STABLE_LEVELS_MAX_K = 20;
export const STABLE_LEVELS_MAX_K1 = 4;
export const STABLE_LEVELS_MIN_SHARE = 0.01;

/** One predicted level: a stable fixed point of the k1 block ansatz (docs/theory.md §12, §14). */
export interface StableLevel {
  /** Measured anti-aligned count of the fixed point (docs/theory.md §13), the k1 the runs report. */
  k1: number;
  loss: number;
  /** Ansatz k1 labels whose solve reached it. */
  labels: number[];
}

/** The k1 values whose levels are predicted: see STABLE_LEVELS_MAX_K1; ascending. */
export function levelK1s(c: StatsConfig, records: RunRecord[]): number[] {
  const counts = new Map<number, number>();
  for (const r of records)
    if (r.class !== 'global' && r.k1 >= 1 && r.k1 <= c.M) counts.set(r.k1, (counts.get(r.k1) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, n]) => n >= STABLE_LEVELS_MIN_SHARE * records.length)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, STABLE_LEVELS_MAX_K1)
    .map(([k1]) => k1)
    .sort((a, b) => a - b);
}

/**
 * The levels the runs can land on: for the k1 values of levelK1s, the fixed points of the k1 block
 * ansatz (catalogueFamilies: solved, deduplicated up to unit permutations, labelled by their measured
 * k1) whose realisable spectrum is stable (docs/theory.md §14). Saddles of the ansatz are left out:
 * runs do not end there (at K = M = 17 the lowest k1 = 3 root, loss 0.0234, is a saddle; the runs land
 * on the stable one at 0.0362). Null when not computed: K ≠ M, M + 1 (the ansatz's shapes) or K > STABLE_LEVELS_MAX_K.
 */
export function stableLevels(c: StatsConfig, records: RunRecord[]): StableLevel[] | null {
  const { K, M } = c;
  if ((K !== M && K !== M + 1) || K > STABLE_LEVELS_MAX_K) return null;
  const k1s = levelK1s(c, records);
  if (k1s.length === 0) return [];
  return catalogueFamilies(new StatsContext(c).flow, k1s)
    .filter((p) => p.solution.stability.verdict === 'stable')
    .map((p) => ({ k1: p.k1, loss: p.solution.loss, labels: p.labels }));
}

/** Histogram labels: "k1=3: 0.0362", with a, b, … when one k1 has several stable levels. */
function levelLabels(levels: StableLevel[]): LossLevel[] {
  return levels.map((l) => {
    const same = levels.filter((m) => m.k1 === l.k1);
    const suffix = same.length > 1 ? String.fromCharCode(97 + same.indexOf(l)) : '';
    return { label: `k1=${l.k1}${suffix}: ${fmt(l.loss)}`, loss: l.loss };
  });
}

/** Runs within this relative distance of a predicted level are counted as landing on it (level table). */
const ON_LEVEL = 1e-3;

/** End classes of the histogram's stacks, in legend order (global runs are counted, not drawn). */
const HISTOGRAM_GROUPS = ['spurious', 'marginal', 'saddle', 'not-converged'];

/** The x range: the converged non-global end states and the levels, plus 15%; slower runs beyond it are counted, not drawn. */
function histogramRange(records: RunRecord[], levels: StableLevel[]): number | undefined {
  const converged = records.filter((r) => isLocal(r) && Number.isFinite(r.finalLoss)).map((r) => r.finalLoss);
  if (converged.length === 0) return undefined;
  return 1.15 * Math.max(...converged, ...levels.map((l) => l.loss));
}

/**
 * The page badge. A stats run checks a tolerance only when it reproduces a published table row (the
 * paper columns within 3 binomial SE); otherwise it says "no tolerances in this study". An incomplete
 * run (fewer initialisations than configured, e.g. a merge of some shards) is marked as such.
 */
export function statsVerdict(result: StatsResult, passed: boolean): PageVerdict {
  const { records, expected, paper } = result;
  if (records.length !== expected)
    return { state: 'fail', text: `incomplete: ${records.length} of ${expected} initialisations` };
  const verdict = toleranceVerdict(paper ? [{ pass: paperAgrees(records, paper) }] : [], 'study');
  return !passed && verdict.state !== 'fail' ? { state: 'fail', text: 'tolerances violated' } : verdict;
}

/**
 * The report of a finished (or merged) run: runs.csv sorted by seed, table.csv, table.md, and
 * histogram.svg / histogram.html — the final loss of the runs that missed the global minimum on a
 * linear axis, with the stable ansatz levels as dashed rules (report/histograms.ts landscapeHistogramPlot)
 * and a table of those levels with the runs that landed on each, on a page in the report style.
 * The CSV and Markdown files do not depend on the levels.
 */
export async function statsReport(
  result: StatsResult,
  passed: boolean,
  subtitle: string,
  prov: Provenance,
): Promise<StudyReport> {
  const { config: c, records, table: rows, expected, paper } = result;
  const heading = statsTitle(c);
  const levels = stableLevels(c, records);
  const global = records.filter((r) => r.class === 'global').length;
  const k1s = levelK1s(c, records);
  const levelNote =
    levels === null
      ? `no predicted levels (computed for K = M or M + 1 up to K = ${STABLE_LEVELS_MAX_K})`
      : `dashed: the stable fixed points of the k1 block ansatz (docs/theory.md §12, §14; saddles left out) for k1 ∈ {${k1s.join(', ')}}, ` +
        `the ${STABLE_LEVELS_MAX_K1} most frequent k1 with ≥ ${100 * STABLE_LEVELS_MIN_SHARE}% of the runs`;
  const plot = await renderPlot(
    landscapeHistogramPlot(
      'final-loss',
      `Final loss, ${heading}`,
      `${records.length} initialisations: the runs that did not reach the global minimum, on a linear loss axis, by end state; ${levelNote}.`,
      {
        runs: records.filter((r) => r.class !== 'global').map((r) => ({ loss: r.finalLoss, group: r.class })),
        groups: HISTOGRAM_GROUPS,
        global: { count: global, total: records.length, below: c.thresholds.globalLoss },
        levels: levelLabels(levels ?? []),
        xMax: histogramRange(records, levels ?? []),
      },
    ),
  );
  const levelTable: HtmlTable[] =
    levels === null || levels.length === 0
      ? []
      : [
          {
            caption: `Predicted stable levels and the runs within ${ON_LEVEL} (relative) of each`,
            header: ['k1', 'loss', 'ansatz labels', 'runs'],
            rows: levels.map((l) => [
              l.k1,
              fmt(l.loss, 4),
              l.labels.join(', '),
              records.filter((r) => Math.abs(r.finalLoss - l.loss) <= ON_LEVEL * l.loss).length,
            ]),
          },
        ];
  const table = rows.map((r) => [r.group, r.category, r.count, r.fraction, r.se]);
  const markdown = `${tableMarkdown(heading, rows, records, expected)}${paper ? `\n${paperCellsMarkdown(records, paper)}` : ''}`;
  const sections = [
    {
      heading: 'End states',
      tables: [
        {
          caption: 'Fractions with binomial standard errors √(p(1−p)/n)',
          header: ['group', 'category', 'count', '%', '± SE (%)'],
          rows: rows.map((r) => [r.group, r.category, r.count, (100 * r.fraction).toFixed(2), (100 * r.se).toFixed(2)]),
        },
        ...levelTable,
      ],
      plots: [plot],
    },
    { heading: 'Configuration', paragraphs: [JSON.stringify(c)], plots: [] },
  ];
  const page = renderReportHtml({
    title: `scm-harness stats: ${heading}`,
    subtitle,
    verdict: statsVerdict(result, passed),
    command: prov.command,
    sections,
    footer: provenanceFooter(prov),
  });
  return {
    files: [
      ['runs.csv', runsCsv(records)],
      [STATES_FILE, statesJsonl(result.states)],
      ['table.csv', csvText([...TABLE_COLUMNS], table)],
      ['table.md', markdown],
      ['histogram.svg', plot.svg],
      ['histogram.html', page],
    ],
    overviewTables: [],
    sections,
    summary: [markdown.trimEnd()],
  };
}
