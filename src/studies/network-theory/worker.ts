import { serveTasks } from '../../runtime/worker-host.js';
import { type Job, executeJob } from './job.js';
import type { Scenario } from '../scenario/resolve.js';

/** Job worker of the network-vs-theory study (./pool.ts): trains one ensemble and integrates its theory. */
serveTasks((data) => {
  const { scenario } = data as { scenario: Scenario };
  return (job: Job, progress: (fraction: number) => void) => executeJob(scenario, job, progress);
});
