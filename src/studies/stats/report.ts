import type { Provenance } from '../../io/provenance.js';
import { csvText } from '../../io/csv.js';
import { renderReportHtml } from '../../report/html.js';
import { type LossLevel, finalLossHistogramPlot } from '../../report/plots.js';
import { renderPlot } from '../../report/vega.js';
import { ansatzLevels } from '../../landscape/families.js';
import type { StatsConfig } from '../../landscape/stats/config.js';
import { runsCsv } from '../../landscape/stats/runs-csv.js';
import { StatsContext, type RunRecord } from '../../landscape/stats/run.js';
import { TABLE_COLUMNS, type TableRow, tableMarkdown } from '../../landscape/stats/table.js';
import type { StudyReport } from '../study.js';
import type { StatsResult } from './compute.js';

/** Published Appendix G percentages for one row, when the run reproduces one (scenarios). */
export interface PaperRow {
  local: number;
  global: number;
  none: number;
}

/** Every paper column (local, global, none) within 3 binomial SE (at the published rate) of Appendix G. */
export function paperAgrees(rows: TableRow[], n: number, paper: PaperRow): boolean {
  return (['local', 'global', 'none'] as const).every((category) => {
    const observed = rows.find((r) => r.group === 'paper' && r.category === category)?.fraction ?? Number.NaN;
    const p = paper[category] / 100;
    return Math.abs(observed - p) <= 3 * Math.sqrt((p * (1 - p)) / n) + 1e-12;
  });
}

export function statsTitle(c: StatsConfig): string {
  return `${c.optimizer} ${c.activation} K=${c.K} M=${c.M}, init d=${c.initD}`;
}

/**
 * Loss levels of the histogram: the global minimum and, for every k1 that the local end states show,
 * the block ansatz's prediction (families.ts ansatzLevels; K = M or M + 1).
 */
function levels(c: StatsConfig, records: RunRecord[]): LossLevel[] {
  const k1s = [...new Set(records.filter((r) => r.class === 'spurious' || r.class === 'saddle').map((r) => r.k1))].sort(
    (a, b) => a - b,
  );
  const predicted = ansatzLevels(new StatsContext(c).flow, k1s);
  return [{ label: 'global', loss: 0 }, ...predicted.map((l) => ({ label: `k1=${l.k1}`, loss: l.loss }))];
}

/**
 * The report of a finished (or merged) run: runs.csv sorted by seed, table.csv, table.md, and
 * histogram.svg / histogram.html — the final-loss histogram with the ansatz levels as dashed rules,
 * drawn by the report module's plot builder (src/report/plots.ts) on a page in the report style.
 */
export async function statsReport(
  result: StatsResult,
  passed: boolean,
  subtitle: string,
  prov: Provenance,
): Promise<StudyReport> {
  const { config: c, records, table: rows, expected, paper } = result;
  const heading = statsTitle(c);
  const plot = await renderPlot(
    finalLossHistogramPlot(
      'final-loss',
      `Final loss, ${heading}`,
      `${records.length} initialisations; dashed: global minimum and the k1 block-ansatz fixed-point levels (losses below 1e-10 drawn at 1e-10).`,
      [{ d: c.initD, losses: records.map((r) => r.finalLoss) }],
      levels(c, records),
    ),
  );
  const table = rows.map((r) => [r.group, r.category, r.count, r.fraction, r.se]);
  const markdown = tableMarkdown(heading, rows, records.length, expected, paper);
  const sections = [
    {
      heading: 'End states',
      tables: [
        {
          caption: 'Fractions with binomial standard errors √(p(1−p)/n)',
          header: ['group', 'category', 'count', '%', '± SE (%)'],
          rows: rows.map((r) => [r.group, r.category, r.count, (100 * r.fraction).toFixed(2), (100 * r.se).toFixed(2)]),
        },
      ],
      plots: [plot],
    },
    { heading: 'Configuration', paragraphs: [JSON.stringify(c)], plots: [] },
  ];
  const page = renderReportHtml({
    title: `scm-harness stats: ${heading}`,
    subtitle,
    passed,
    command: prov.command,
    sections,
    footer: [
      `${prov.package} ${prov.version}`,
      `commit ${prov.gitCommit ?? 'unknown'}`,
      `node ${prov.node}`,
      prov.createdAt,
    ],
  });
  return {
    files: [
      ['runs.csv', runsCsv(records)],
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
