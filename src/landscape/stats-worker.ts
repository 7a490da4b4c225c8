import { parentPort, workerData } from 'node:worker_threads';
import type { StatsConfig } from './stats-config.js';
import { StatsContext, runInitialisation } from './stats-run.js';
import type { StatsWorkerMessage } from './stats-runner.js';

/** Worker thread of `stats` (stats-runner.ts): receives seeds, returns one RunRecord per seed. */
const ctx = new StatsContext((workerData as { config: StatsConfig }).config);
parentPort?.on('message', (seed: number) => {
  let message: StatsWorkerMessage;
  try {
    message = { kind: 'done', record: runInitialisation(ctx, seed) };
  } catch (err) {
    message = { kind: 'failed', seed, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort?.postMessage(message);
});
