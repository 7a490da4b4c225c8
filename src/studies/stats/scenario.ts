import { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { readJsonFile } from '../../io/read-json.js';
import { type StatsConfig, StatsConfigSchema, resolveStatsConfig } from '../../landscape/stats/config.js';
import { markdownTable } from '../../io/markdown.js';
import type { StatsResult } from './compute.js';
import { type PaperRow, paperAgrees } from './report.js';

/**
 * A statistics scenario (scenarios/table1.json, …): one published table of end-state fractions
 * (paper Appendix G), one stats run per row. `base` holds the StatsConfig fields shared by the rows
 * (anything but K, M and the shard); each row gives K, M, optional threshold overrides (the nGD tables
 * use their own loss and gradient thresholds per row) and the published percentages. This is its own
 * schema, not a section of the network-vs-theory scenario schema (src/scenario/schema.ts): a stats
 * scenario has no network runs, and its rows are independent ODE ensembles.
 */
const PercentSchema = z.number().min(0).max(100);

export const StatsScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z
    .literal('stats')
    .describe('Marks a stats scenario (scenarios/ also holds network-vs-theory scenarios, src/scenario/schema.ts).'),
  name: z.string().min(1),
  description: z.string().default(''),
  source: z.string().describe('Where the published numbers come from (paper table).'),
  base: StatsConfigSchema.omit({ K: true, M: true, shard: true }).describe(
    'Shared stats configuration (src/landscape/stats-config.ts).',
  ),
  rows: z
    .array(
      z.strictObject({
        K: z.int().min(1),
        M: z.int().min(1),
        thresholds: StatsConfigSchema.shape.thresholds.unwrap().partial().optional(),
        paper: z.strictObject({ local: PercentSchema, global: PercentSchema, none: PercentSchema }),
      }),
    )
    .min(1),
});

export interface StatsScenarioRow {
  id: string;
  config: StatsConfig;
  paper: PaperRow;
}

export interface StatsScenario {
  name: string;
  description: string;
  source: string;
  rows: StatsScenarioRow[];
}

/**
 * Read a stats scenario and resolve each row into a StatsConfig, with the CLI overrides applied
 * (`--inits` to run a published table small, `--rows` to pick rows by K, `--shard` for job arrays).
 */
export function loadStatsScenario(
  path: string,
  overrides: { inits?: number; rows?: number[]; shard?: { index: number; count: number } },
): StatsScenario {
  const json = readJsonFile(path, '--scenario');
  const parsed = StatsScenarioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`--scenario ${path}: ${issue.path.join('.') || '(root)'}`, issue.message);
  }
  const s = parsed.data;
  const selected = overrides.rows === undefined ? s.rows : s.rows.filter((r) => overrides.rows?.includes(r.K));
  if (selected.length === 0)
    throw new InputError('--rows', `matches no row of ${path} (its K values: ${s.rows.map((r) => r.K).join(', ')})`);
  const rows = selected.map((row, i) => {
    const input = {
      ...s.base,
      K: row.K,
      M: row.M,
      inits: overrides.inits ?? s.base.inits,
      ...(overrides.shard ? { shard: overrides.shard } : {}),
      thresholds: { ...s.base.thresholds, ...row.thresholds },
    };
    return { id: `K${row.K}-M${row.M}`, config: resolveStatsConfig(input, `--scenario rows[${i}]`), paper: row.paper };
  });
  return { name: s.name, description: s.description, source: s.source, rows };
}

/** DIR/summary.md of a stats scenario: one line per row (in the scenario's order) against the published percentages. */
export function statsScenarioSummary(scenario: StatsScenario, results: StatsResult[]): string {
  const tableRows = scenario.rows.map((row, i) => {
    const result = results[i];
    const pct = (c: string) =>
      (100 * (result.table.find((t) => t.group === 'paper' && t.category === c)?.fraction ?? Number.NaN)).toFixed(2);
    const agrees = paperAgrees(result.table, result.records.length, row.paper);
    const paper = `${row.paper.local} / ${row.paper.global} / ${row.paper.none}`;
    return [
      row.config.K,
      row.config.M,
      result.records.length,
      pct('local'),
      pct('global'),
      pct('none'),
      paper,
      agrees ? 'yes' : 'no',
    ];
  });
  const header = ['K', 'M', 'runs', 'local %', 'global %', 'none %', 'paper local / global / none', 'within 3 SE'];
  const table = markdownTable(header, tableRows, [
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'left',
    'left',
  ]);
  const lines = [`# ${scenario.name}`, '', scenario.description, '', `Source: ${scenario.source}`, '', table];
  return `${lines.join('\n')}\n`;
}
