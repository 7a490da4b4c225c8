import { markdownTable } from '../../io/markdown.js';
import type { RunRecord } from './run.js';

/**
 * Fractions of end-state classes with binomial standard errors √(p(1−p)/n):
 * - group `class`: global, spurious, marginal, saddle, not-converged (classify.ts);
 * - group `paper`: the Appendix G columns — Local (spurious + marginal + saddle: at rest, non-global),
 *   Global, None (not-converged);
 * - group `k1`: local end states by their number of anti-aligned units, as a fraction of all runs
 *   (the paper's Table 1 rows).
 */
export interface TableRow {
  group: 'class' | 'paper' | 'k1';
  category: string;
  count: number;
  fraction: number;
  se: number;
}

export const TABLE_COLUMNS = ['group', 'category', 'count', 'fraction', 'se'] as const;

function row(group: TableRow['group'], category: string, count: number, n: number): TableRow {
  const p = n > 0 ? count / n : Number.NaN;
  return { group, category, count, fraction: p, se: n > 0 ? Math.sqrt((p * (1 - p)) / n) : Number.NaN };
}

export function summariseRuns(records: RunRecord[]): TableRow[] {
  const n = records.length;
  const count = (pred: (r: RunRecord) => boolean) => records.filter(pred).length;
  const rows: TableRow[] = [
    ...(['global', 'spurious', 'marginal', 'saddle', 'not-converged'] as const).map((c) =>
      row(
        'class',
        c,
        count((r) => r.class === c),
        n,
      ),
    ),
    row('paper', 'local', count(isLocal), n),
    row(
      'paper',
      'global',
      count((r) => r.class === 'global'),
      n,
    ),
    row(
      'paper',
      'none',
      count((r) => r.class === 'not-converged'),
      n,
    ),
  ];
  const k1s = [...new Set(records.filter(isLocal).map((r) => r.k1))].sort((a, b) => a - b);
  for (const k1 of k1s)
    rows.push(
      row(
        'k1',
        String(k1),
        count((r) => isLocal(r) && r.k1 === k1),
        n,
      ),
    );
  return rows;
}

/** A run that ended at rest away from the global minimum (the paper's "Local"). */
export function isLocal(r: RunRecord): boolean {
  return r.class === 'spurious' || r.class === 'marginal' || r.class === 'saddle';
}

/**
 * The time each class of run took (t_final: median and maximum), so that "not-converged" reads as
 * "still moving at t = tMax" and a class reached only late stands out (issue 9: the K = 18 marginal
 * pair holds runs for > 5000 time units).
 */
export function timeHorizons(records: RunRecord[]): string[][] {
  const classes = [...new Set(records.map((r) => r.class))];
  return classes.map((c) => {
    const times = records
      .filter((r) => r.class === c)
      .map((r) => r.tFinal)
      .sort((a, b) => a - b);
    const median = times[Math.floor((times.length - 1) / 2)];
    return [c, String(times.length), median.toPrecision(3), times[times.length - 1].toPrecision(3)];
  });
}

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : '–');

/** Markdown of the table (the comparison with a paper is added by the stats study, studies/stats/paper.ts). */
export function tableMarkdown(title: string, rows: TableRow[], records: RunRecord[], expected: number | null): string {
  const total = records.length;
  const lines = [
    `# ${title}`,
    '',
    `${total} runs${expected !== null && expected !== total ? ` of ${expected} expected (incomplete)` : ''}.`,
    '',
  ];
  const section = (heading: string, group: TableRow['group']) => {
    const selected = rows.filter((r) => r.group === group);
    if (selected.length === 0) return;
    const header = ['category', 'count', '%', '± SE (%)'];
    const cells = selected.map((r) => [r.category, String(r.count), pct(r.fraction), pct(r.se)]);
    lines.push(
      `## ${heading}`,
      '',
      markdownTable(header, cells, ['left', ...header.slice(1).map(() => 'right' as const)]),
      '',
    );
  };
  section('Paper columns (Appendix G)', 'paper');
  section('Classes', 'class');
  section('Local minima by k1 (fraction of all runs)', 'k1');
  const horizons = timeHorizons(records);
  if (horizons.length > 0)
    lines.push(
      '## Time horizon by class (t_final)',
      '',
      markdownTable(['class', 'runs', 'median t', 'max t'], horizons, ['left', 'right', 'right', 'right']),
      '',
    );
  return `${lines.join('\n')}\n`;
}
