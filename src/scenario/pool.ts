import { Worker } from 'node:worker_threads';
import type { Trajectory } from '../data/trajectory.js';
import { StateLayout } from '../theory/state.js';
import { type Job, type JobResult, executeJob, jobCost } from './job.js';
import type { Scenario } from './resolve.js';

/** Messages from the job worker (./worker.ts). */
export type WorkerMessage =
  | { kind: 'progress'; fraction: number }
  | { kind: 'done'; result: JobResult }
  | { kind: 'failed'; message: string; stack?: string };

/** Progress callback: the job, the fraction of its training steps done, and whether the whole job (theory included) is done. */
export type JobProgress = (job: Job, fraction: number, finished: boolean) => void;

/** Structured cloning keeps a StateLayout's fields but not its class: rebuild it on arrival. */
function reviveTrajectory(tr: Trajectory): Trajectory {
  return { ...tr, layout: new StateLayout(tr.layout.K, tr.layout.M, tr.layout.withReadouts) };
}

function reviveResult(result: JobResult): JobResult {
  return {
    ...result,
    seeds: result.seeds.map((s) => ({
      ...s,
      network: reviveTrajectory(s.network),
      theory: reviveTrajectory(s.theory),
      reference: s.reference ? reviveTrajectory(s.reference) : null,
    })),
  };
}

/**
 * Run the jobs, biggest first, on `workers` worker threads (one tfjs backend each), or in this thread
 * when workers ≤ 1. Every job is deterministic in its seeds, so the results do not depend on the number
 * of workers or the order of completion; they are returned in the order of `jobs`.
 */
export async function runJobs(scenario: Scenario, jobs: Job[], workers: number, onProgress: JobProgress): Promise<JobResult[]> {
  const order = jobs.map((job, i) => ({ job, i })).sort((a, b) => jobCost(scenario, b.job) - jobCost(scenario, a.job));
  const results = new Array<JobResult>(jobs.length);
  if (workers <= 1 || jobs.length <= 1) {
    for (const { job, i } of order) {
      results[i] = await executeJob(scenario, job, (f) => onProgress(job, f, false));
      onProgress(job, 1, true);
    }
    return results;
  }
  let next = 0;
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { scenario } });
      let current = -1;
      const feed = () => {
        if (next >= order.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        current = next++;
        worker.postMessage(order[current].job);
      };
      worker.on('message', (message: WorkerMessage) => {
        if (message.kind === 'progress') {
          onProgress(order[current].job, message.fraction, false);
          return;
        }
        if (message.kind === 'failed') {
          void worker.terminate();
          reject(new Error(`job ${JSON.stringify(order[current].job)} failed in a worker: ${message.stack ?? message.message}`));
          return;
        }
        const result = reviveResult(message.result);
        results[order[current].i] = result;
        onProgress(order[current].job, 1, true);
        feed();
      });
      worker.on('error', reject);
      feed();
    });
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, lane));
  return results;
}
