import { join } from 'node:path';
import { InputError } from '../../model/errors.js';
import { runPool } from '../../runtime/pool.js';
import { readConfigJson, writeConfigJson } from '../../io/config-file.js';
import { provenance } from '../../io/provenance.js';
import { type StatsConfig, firstDifference, shardSeeds, statsIdentity } from '../../landscape/stats/config.js';
import { appendRun, openRuns } from '../../landscape/stats/runs-csv.js';
import { type PaperRow, writeStatsSummary } from './report.js';
import { type RunRecord, StatsContext, runInitialisation } from '../../landscape/stats/run.js';
import type { TableRow } from '../../landscape/stats/table.js';

export interface StatsRunOptions {
  /** Worker threads; ≤ 1 runs in this thread. Results do not depend on it. */
  workers: number;
  /** Called after each recorded run (progress display). */
  onRecord?: (record: RunRecord, done: number, total: number) => void;
  paper?: PaperRow;
}

export interface StatsRunResult {
  records: RunRecord[];
  table: TableRow[];
  /** Runs computed now (the others were already in runs.csv). */
  computed: number;
  wallSeconds: number;
}

/**
 * Bind `dir` to this configuration: a new directory gets config.json; an existing one must hold the same
 * configuration (resume) — anything else is refused, naming the first differing field.
 */
export function bindOutputDirectory(dir: string, config: StatsConfig): void {
  const previous = readConfigJson(dir, '--out');
  if (previous) {
    if (previous.command !== 'stats') throw new InputError('--out', `${dir} holds output of \`${previous.command}\`, not of stats`);
    const before = previous.resolved as unknown as StatsConfig;
    const diff = firstDifference({ ...statsIdentity(before), shard: before.shard }, { ...statsIdentity(config), shard: config.shard });
    if (diff !== null) throw new InputError('--out', `${dir} holds a stats run with a different configuration (${diff}); use a new directory`);
    return;
  }
  writeConfigJson(dir, 'stats', config);
}

/**
 * A `stats` run into `dir`: the shard's seeds not yet in runs.csv are integrated and classified
 * (stats-run.ts), in this thread or on worker threads, and each result is appended to runs.csv as soon
 * as it arrives — so a killed run loses only the runs in flight, and re-running the same command
 * resumes. At the end runs.csv is rewritten sorted by seed, and table.csv, table.md and the histogram
 * are written (stats-report.ts).
 */
export async function runStats(config: StatsConfig, dir: string, options: StatsRunOptions): Promise<StatsRunResult> {
  const started = performance.now();
  bindOutputDirectory(dir, config);
  const runsPath = join(dir, 'runs.csv');
  const records = openRuns(runsPath);
  const wanted = shardSeeds(config);
  const wantedSet = new Set(wanted);
  const stray = records.find((r) => !wantedSet.has(r.seed));
  if (stray) throw new InputError('--out', `${runsPath} records seed ${stray.seed}, which is not in this run's shard`);
  const done = new Set(records.map((r) => r.seed));
  const todo = wanted.filter((s) => !done.has(s));
  const record = (r: RunRecord) => {
    appendRun(runsPath, r);
    records.push(r);
    options.onRecord?.(r, records.length, wanted.length);
  };
  // One context (flow workspaces, spectrum cache) for every seed run in this thread.
  let ctx: StatsContext | null = null;
  await runPool(todo, {
    workers: options.workers,
    script: new URL('../../landscape/stats/worker.js', import.meta.url),
    workerData: { config },
    inline: (seed) => runInitialisation((ctx ??= new StatsContext(config)), seed),
    onResult: (_, r) => record(r),
    describe: (seed) => `seed ${seed}`,
  });
  const table = await writeStatsSummary(dir, config, records, wanted.length, provenance(), options.paper);
  return { records, table, computed: todo.length, wallSeconds: (performance.now() - started) / 1000 };
}
