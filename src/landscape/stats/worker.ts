import { serveTasks } from '../../runtime/worker-host.js';
import type { StatsConfig } from './config.js';
import { StatsContext, runInitialisation } from './run.js';

/** Worker thread of `stats` (studies/stats/runner.ts): one RunRecord per seed, with per-thread workspaces. */
serveTasks((data) => {
  const ctx = new StatsContext((data as { config: StatsConfig }).config);
  return (seed: number) => runInitialisation(ctx, seed);
});
