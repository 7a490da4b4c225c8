import { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { readJsonFile } from '../../io/read-json.js';
import { type StatsConfig, StatsConfigSchema, resolveStatsConfig } from '../../landscape/stats/config.js';
import { markdownTable } from '../../io/markdown.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { renderPlot } from '../../report/vega.js';
import type { StatsResult } from './compute.js';
import { initDimensionPlot } from './init-dimension.js';
import { type PaperRow, PaperRowSchema, paperCells } from './paper.js';

/**
 * A statistics scenario (scenarios/table1.json, …): one published table of end-state fractions
 * (paper Appendix G), one stats run per row. `base` holds the StatsConfig fields shared by the rows
 * (anything but K, M and the shard); each row gives K, M, optional threshold overrides (the nGD tables
 * use their own loss and gradient thresholds per row) and the published percentages. This is its own
 * schema, not a section of the network-vs-theory scenario schema (src/scenario/schema.ts): a stats
 * scenario has no network runs, and its rows are independent ODE ensembles.
 */
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
        optimizer: z
          .string()
          .min(1)
          .optional()
          .describe('Overrides base.optimizer for this row (tables that compare optimizers).'),
        initD: z
          .int()
          .min(1)
          .optional()
          .describe('Overrides base.initD for this row (the initialisation dimension as a studied variable).'),
        thresholds: StatsConfigSchema.shape.thresholds.unwrap().partial().optional(),
        paper: PaperRowSchema,
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
  const idOf = (row: (typeof s.rows)[number]) =>
    `${row.optimizer ? `${row.optimizer}-` : ''}K${row.K}-M${row.M}${row.initD ? `-d${row.initD}` : ''}`;
  // The id names the row's output directory (DIR/<id>): two rows with one id would share it, and the
  // second would be refused (another configuration) or silently resume the first — refuse before any run.
  const firstWithId = new Map<string, number>();
  s.rows.forEach((row, i) => {
    const first = firstWithId.get(idOf(row));
    if (first !== undefined)
      throw new InputError(
        `--scenario ${path}: rows[${i}]`,
        `has the id ${idOf(row)} of rows[${first}] (one output directory); rows must differ in K, M, optimizer or initD`,
      );
    firstWithId.set(idOf(row), i);
  });
  const rows = selected.map((row) => {
    const i = s.rows.indexOf(row);
    const input = {
      ...s.base,
      K: row.K,
      M: row.M,
      ...(row.optimizer ? { optimizer: row.optimizer } : {}),
      ...(row.initD ? { initD: row.initD } : {}),
      inits: overrides.inits ?? s.base.inits,
      ...(overrides.shard ? { shard: overrides.shard } : {}),
      thresholds: { ...s.base.thresholds, ...row.thresholds },
    };
    return { id: idOf(row), config: resolveStatsConfig(input, `--scenario rows[${i}]`), paper: row.paper };
  });
  return { name: s.name, description: s.description, source: s.source, rows };
}

/** Published cells of every row farther than the z limit (`--check`), as "row cell: observed vs published (z)". */
export function scenarioViolations(scenario: StatsScenario, results: StatsResult[]): string[] {
  return scenario.rows.flatMap((row, i) =>
    paperCells(results[i].records, row.paper)
      .filter((c) => !c.pass)
      .map(
        (c) =>
          `${row.id} ${c.cell}: ${(100 * c.observed).toFixed(2)} % vs ${(100 * c.published).toFixed(2)} % (z = ${c.z.toFixed(2)}, n = ${results[i].records.length})`,
      ),
  );
}

/**
 * DIR/summary.md of a stats scenario: for each row (in the scenario's order) every published number with
 * the observed fraction and its z (paper.ts), and the published outcomes without numbers.
 */
export function statsScenarioSummary(scenario: StatsScenario, results: StatsResult[]): string {
  const tableRows = scenario.rows.flatMap((row, i) => {
    const n = results[i].records.length;
    const cells = paperCells(results[i].records, row.paper).map((c) => [
      row.id,
      String(n),
      c.cell,
      (100 * c.observed).toFixed(2),
      (100 * c.published).toFixed(2),
      c.z.toFixed(2),
      c.pass ? 'yes' : 'NO',
    ]);
    return row.paper.outcome
      ? [...cells, [row.id, String(n), 'outcome', '', row.paper.outcome, '', 'not checked']]
      : cells;
  });
  const header = ['row', 'runs', 'cell', 'observed %', 'published %', 'z', '|z| ≤ 3'];
  const table = markdownTable(header, tableRows, ['left', 'right', 'left', 'right', 'right', 'right', 'left']);
  const lines = [`# ${scenario.name}`, '', scenario.description, '', `Source: ${scenario.source}`, '', table];
  return `${lines.join('\n')}\n`;
}

/** DIR/summary.md, and DIR/init-dimension.svg when the rows vary the initialisation dimension. */
export async function writeStatsScenarioSummary(
  out: string,
  scenario: StatsScenario,
  results: StatsResult[],
): Promise<void> {
  const plot = initDimensionPlot(results);
  const note = plot ? `\n![${plot.title}](init-dimension.svg)\n\n${plot.caption}\n` : '';
  writeFileAtomic(join(out, 'summary.md'), `${statsScenarioSummary(scenario, results)}${note}`);
  if (plot) writeFileAtomic(join(out, 'init-dimension.svg'), (await renderPlot(plot)).svg);
}
