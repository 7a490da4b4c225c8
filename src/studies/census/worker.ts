import { serveTasks } from '../../runtime/worker-host.js';
import type { StatsConfig } from '../../landscape/stats/config.js';
import { StatsContext, runInitialisation } from '../../landscape/stats/run.js';

/** Worker thread of `census` (./compute.ts): one run (with its end-state overlaps) per seed, with per-thread workspaces. */
serveTasks((data) => {
  const ctx = new StatsContext((data as { config: StatsConfig }).config);
  return (seed: number) => runInitialisation(ctx, seed);
});
