import type { Trajectory } from '../../model/trajectory.js';
import { StateLayout } from '../../model/state-layout.js';
import { runPool } from '../../runtime/pool.js';
import { type Job, type JobResult, executeJob, jobCost } from './job.js';
import type { NetworkTheoryConfig } from './schema.js';

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
 * Run the jobs, biggest first, on `workers` worker threads (one tfjs backend each; runtime/pool.ts), or
 * in this thread when workers ≤ 1. Every job is deterministic in its seeds, so the results do not depend
 * on the number of workers or the order of completion; they are returned in the order of `jobs`.
 */
export async function runJobs(
  spec: NetworkTheoryConfig,
  jobs: Job[],
  workers: number,
  onProgress: JobProgress,
): Promise<JobResult[]> {
  const order = jobs.map((job, i) => ({ job, i })).sort((a, b) => jobCost(spec, b.job) - jobCost(spec, a.job));
  const sorted = await runPool(
    order.map((o) => o.job),
    {
      workers,
      script: new URL('./worker.js', import.meta.url),
      workerData: { spec },
      inline: (job, progress: (fraction: number) => void) => executeJob(spec, job, progress),
      revive: reviveResult,
      onProgress: (k, fraction) => onProgress(order[k].job, fraction, false),
      onResult: (k) => onProgress(order[k].job, 1, true),
    },
  );
  const results = new Array<JobResult>(jobs.length);
  sorted.forEach((result, k) => (results[order[k].i] = result));
  return results;
}
