import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readdirSync, unlinkSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { clampLoss } from '../io/loss.js';
import { writeConfigJson } from '../io/config-file.js';
import { type KeyColumn, trajectoryCsv } from '../io/trajectory-csv.js';
import { overlapsToJSON } from '../model/overlaps.js';
import { CONVERGED_GRAD_NORM, CONVERGED_LOSS, type EnsembleResult, type SeedStatus } from './train.js';

/** Key columns of trajectories.csv: `seed,step` in front of `t,loss,Q_1_1,...` (issue 3 contract). */
export const NETWORK_KEY_COLUMNS: readonly KeyColumn[] = [
  { name: 'seed', value: (tr) => tr.seed ?? '' },
  { name: 'step', value: (tr, i) => tr.steps?.[i] ?? '' },
];

/** final.csv: one row per seed, `seed,status,step,t,loss,grad_norm` and the overlap columns at that step. */
export function finalCsv(result: EnsembleResult): string {
  const layout = result.seeds[0].trajectory.layout;
  const rows: (string | number)[][] = [['seed', 'status', 'step', 't', 'loss', 'grad_norm', ...layout.columnNames()]];
  for (const r of result.seeds) {
    // The loss column is clamped at 0 (a −5e-10 is float64 round-off, io/loss.ts).
    rows.push(
      [r.seed, r.status, r.end.step, r.end.t, clampLoss(r.end.loss), r.end.gradNorm, ...r.end.state].map((v) =>
        typeof v === 'number' ? String(v) : v,
      ),
    );
  }
  return stringify(rows);
}

/** How a run was executed (does not change any result). */
export interface Execution {
  workers: number;
}

/** config.json: the resolved configuration, the backend actually used, thresholds, outcome, provenance. */
export function resolvedTrainRun(result: EnsembleResult, execution: Execution): Record<string, unknown> {
  const counts: Record<SeedStatus, number> = { converged: 0, running: 0, diverged: 0 };
  for (const r of result.seeds) counts[r.status]++;
  const seedSteps = result.seeds.reduce((sum, r) => sum + r.end.step, 0);
  return {
    ...result.config,
    backendUsed: result.backend,
    workers: execution.workers,
    totalSteps: result.totalSteps,
    stepTime: result.stepTime,
    thresholds: {
      convergedLoss: CONVERGED_LOSS,
      convergedGradNorm: CONVERGED_GRAD_NORM,
      divergenceLoss: result.config.divergenceLoss,
    },
    result: { ...counts, wallSeconds: result.wallSeconds, seedStepsPerSecond: seedSteps / result.wallSeconds },
  };
}

/**
 * Write DIR/trajectories.csv, DIR/init/seed-<s>.json (initial overlaps, the `ode --init` format),
 * DIR/final.csv and DIR/config.json, each atomically. init/seed-<s>.json files of seeds that are not in
 * this run (left by an earlier run with more seeds) are removed, so DIR/init matches final.csv.
 */
export function writeTrainOutputs(dir: string, result: EnsembleResult, execution: Execution = { workers: 1 }): void {
  writeFileAtomic(
    join(dir, 'trajectories.csv'),
    trajectoryCsv(
      result.seeds.map((r) => r.trajectory),
      NETWORK_KEY_COLUMNS,
    ),
  );
  const initDir = join(dir, 'init');
  const current = new Set(result.seeds.map((r) => `seed-${r.seed}.json`));
  for (const r of result.seeds) {
    writeFileAtomic(join(initDir, `seed-${r.seed}.json`), `${JSON.stringify(overlapsToJSON(r.initial), null, 2)}\n`);
  }
  for (const name of readdirSync(initDir)) {
    if (/^seed-\d+\.json$/.test(name) && !current.has(name)) unlinkSync(join(initDir, name));
  }
  writeFileAtomic(join(dir, 'final.csv'), finalCsv(result));
  writeConfigJson(dir, 'train', resolvedTrainRun(result, execution));
}
