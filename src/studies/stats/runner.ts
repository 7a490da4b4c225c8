import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { provenance } from '../../io/provenance.js';
import type { StatsConfig } from '../../landscape/stats/config.js';
import type { RunRecord } from '../../landscape/stats/run.js';
import type { StatsResult } from './compute.js';
import type { PaperRow } from './paper.js';
import { statsStudy } from './study.js';

export { bindOutputDirectory } from './compute.js';

export interface StatsRunOptions {
  /** Worker threads; ≤ 1 runs in this thread. Results do not depend on it. */
  workers: number;
  /** Called after each recorded run (progress display). */
  onRecord?: (record: RunRecord, done: number, total: number) => void;
  paper?: PaperRow;
  /** Show a progress bar on stderr labelled `label` (default "stats"); default false. */
  progress?: boolean;
  label?: string;
}

export type StatsRunResult = StatsResult;

/** Write a stats study's report files into `dir`, each atomically. */
export async function writeStatsReport(dir: string, result: StatsResult): Promise<void> {
  const report = await statsStudy.report(result, { provenance: provenance() });
  for (const [name, text] of report.files) writeFileAtomic(join(dir, name), text);
}

/**
 * A `stats` run into `dir`: the stats study's run (./compute.ts: resumable, runs.csv appended run by
 * run), then its report — runs.csv rewritten sorted by seed, table.csv, table.md and the histogram.
 */
export async function runStats(config: StatsConfig, dir: string, options: StatsRunOptions): Promise<StatsRunResult> {
  const started = performance.now();
  const { workers, progress = false, ...rest } = options;
  const result = await statsStudy.run({ stats: config, dir, ...rest }, { workers, progress });
  await writeStatsReport(dir, result);
  return { ...result, wallSeconds: (performance.now() - started) / 1000 };
}
