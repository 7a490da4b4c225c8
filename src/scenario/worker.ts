import { parentPort, workerData } from 'node:worker_threads';
import { type Job, executeJob } from './job.js';
import type { WorkerMessage } from './pool.js';
import type { Scenario } from './resolve.js';

/** Job worker of runJobs (./pool.ts): receives jobs, answers with their results, one at a time. */
const { scenario } = workerData as { scenario: Scenario };
const port = parentPort;
if (!port) throw new Error('src/scenario/worker.ts runs only as a worker thread');

port.on('message', (job: Job) => {
  const progress = (fraction: number) => port.postMessage({ kind: 'progress', fraction } satisfies WorkerMessage);
  executeJob(scenario, job, progress).then(
    (result) => port.postMessage({ kind: 'done', result } satisfies WorkerMessage),
    (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ kind: 'failed', message: error.message, stack: error.stack } satisfies WorkerMessage);
    },
  );
});
