import { join } from 'node:path';
import { readConfigJson, writeConfigJson } from '../../io/config-file.js';
import { InputError } from '../../model/errors.js';
import { type StatsConfig, firstDifference, shardSeeds, statsIdentity } from '../../landscape/stats/config.js';
import { type RunRecord, StatsContext, runInitialisation } from '../../landscape/stats/run.js';
import { appendRun, openRuns } from '../../landscape/stats/runs-csv.js';
import { STATES_FILE, appendState, openStates, stateLine } from '../../landscape/stats/states-jsonl.js';
import { type TableRow, summariseRuns } from '../../landscape/stats/table.js';
import { runPool } from '../../runtime/pool.js';
import { createProgress } from '../../runtime/progress.js';
import type { StudyContext } from '../study.js';
import type { PaperRow } from './paper.js';

/** One stats run: a configuration, the directory that holds its runs.csv (resumable), and what to compare with. */
export interface StatsStudyConfig {
  stats: StatsConfig;
  /** Output directory: bound to this configuration by its config.json; runs.csv grows there run by run. */
  dir: string;
  /** Published Appendix G percentages, when the run reproduces a table row (stats scenarios). */
  paper?: PaperRow;
  /** Label of the progress bar (default "stats"). */
  label?: string;
  /** Called after each recorded run (progress display, benchmarks). */
  onRecord?: (record: RunRecord, done: number, total: number) => void;
}

export interface StatsResult {
  config: StatsConfig;
  /** Every recorded run of the shard (resumed ones included), in order of arrival. */
  records: RunRecord[];
  /** states.jsonl lines of the non-global runs, by seed. */
  states: Map<number, string>;
  /** End-state fractions with binomial standard errors. */
  table: TableRow[];
  /** Runs the shard (or merged run) should hold. */
  expected: number;
  paper?: PaperRow;
  /** Runs computed now (the others were already in runs.csv). */
  computed: number;
  wallSeconds: number;
}

/** The result of a set of recorded runs (a finished run, or merged shards). */
export function statsResult(
  config: StatsConfig,
  records: RunRecord[],
  expected: number,
  extra: Partial<StatsResult> = {},
): StatsResult {
  return {
    config,
    records,
    states: new Map(),
    table: summariseRuns(records),
    expected,
    computed: 0,
    wallSeconds: 0,
    ...extra,
  };
}

/**
 * Bind `dir` to this configuration: a new directory gets config.json; an existing one must hold the same
 * configuration (resume) — anything else is refused, naming the first differing field.
 */
export function bindOutputDirectory(dir: string, config: StatsConfig): void {
  const previous = readConfigJson(dir, '--out');
  if (previous) {
    if (previous.command !== 'stats')
      throw new InputError('--out', `${dir} holds output of \`${previous.command}\`, not of stats`);
    const before = previous.resolved as unknown as StatsConfig;
    const diff = firstDifference(
      { ...statsIdentity(before), shard: before.shard },
      { ...statsIdentity(config), shard: config.shard },
    );
    if (diff !== null)
      throw new InputError(
        '--out',
        `${dir} holds a stats run with a different configuration (${diff}); use a new directory`,
      );
    return;
  }
  writeConfigJson(dir, 'stats', config);
}

/**
 * The runs of a stats study: the shard's seeds not yet in `dir`/runs.csv are integrated and classified
 * (landscape/stats/run.ts), in this thread or on worker threads, and each result is appended to
 * runs.csv as soon as it arrives — so a killed run loses only the runs in flight, and re-running
 * resumes. The summary files are the study's report (./report.ts).
 */
export async function computeStats(study: StatsStudyConfig, ctx: StudyContext): Promise<StatsResult> {
  const started = performance.now();
  const { stats: config, dir } = study;
  bindOutputDirectory(dir, config);
  const runsPath = join(dir, 'runs.csv');
  const records = openRuns(runsPath);
  const statesPath = join(dir, STATES_FILE);
  const states = openStates(statesPath, new Set(records.map((r) => r.seed)));
  const wanted = shardSeeds(config);
  const wantedSet = new Set(wanted);
  const stray = records.find((r) => !wantedSet.has(r.seed));
  if (stray) throw new InputError('--out', `${runsPath} records seed ${stray.seed}, which is not in this run's shard`);
  const done = new Set(records.map((r) => r.seed));
  const todo = wanted.filter((s) => !done.has(s));
  const progress = ctx.progress
    ? createProgress(study.label ?? 'stats', wanted.length, {
        unit: 'runs',
        initial: records.length,
        finalLine: 'after-periodic',
      })
    : null;
  const record = (r: RunRecord) => {
    // The state first: runs.csv decides on resume which runs exist (states-jsonl.ts).
    const line = stateLine(r);
    if (line !== null) {
      appendState(statesPath, line);
      states.set(r.seed, line);
    }
    appendRun(runsPath, r);
    records.push(r);
    study.onRecord?.(r, records.length, wanted.length);
    progress?.update(records.length);
  };
  // One context (flow workspaces, spectrum cache) for every seed run in this thread.
  let context: StatsContext | null = null;
  await runPool(todo, {
    workers: ctx.workers,
    script: new URL('../../landscape/stats/worker.js', import.meta.url),
    workerData: { config },
    inline: (seed) => runInitialisation((context ??= new StatsContext(config)), seed),
    onResult: (_, r) => record(r),
    describe: (seed) => `seed ${seed}`,
  });
  progress?.done();
  return statsResult(config, records, wanted.length, {
    ...(study.paper ? { paper: study.paper } : {}),
    states,
    computed: todo.length,
    wallSeconds: (performance.now() - started) / 1000,
  });
}
