import { serveTasks } from '../../runtime/worker-host.js';
import { type Job, executeJob } from './job.js';
import type { NetworkTheoryConfig } from './schema.js';

/** Job worker of the network-vs-theory study (./pool.ts): trains one ensemble and integrates its theory. */
serveTasks((data) => {
  const { spec } = data as { spec: NetworkTheoryConfig };
  return (job: Job, progress: (fraction: number) => void) => executeJob(spec, job, progress);
});
