import { StateLayout } from '../model/state-layout.js';
import { runPool } from '../runtime/pool.js';
import type { TrainConfig } from './config.js';
import { type EnsembleResult, type SeedResult, type TrainProgress, trainEnsemble } from './train.js';

/** Structured cloning keeps a StateLayout's fields but not its class: rebuild it on arrival. */
function restoreLayouts(result: EnsembleResult): EnsembleResult {
  const seeds: SeedResult[] = result.seeds.map((r) => {
    const { K, M, withReadouts } = r.trajectory.layout;
    return { ...r, trajectory: { ...r.trajectory, layout: new StateLayout(K, M, withReadouts) } };
  });
  return { ...result, seeds };
}

/** config.seeds split into at most `parts` contiguous, non-empty, nearly equal chunks. */
export function splitSeeds(seeds: number[], parts: number): number[][] {
  const count = Math.max(1, Math.min(parts, seeds.length));
  return Array.from({ length: count }, (_, i) =>
    seeds.slice(Math.floor((i * seeds.length) / count), Math.floor(((i + 1) * seeds.length) / count)),
  );
}

export interface ParallelTrainOptions {
  /** Called at every recording step of each chunk of seeds (chunk index as in splitSeeds). */
  onProgress?: (chunk: number, progress: TrainProgress) => void;
}

/**
 * trainEnsemble with the seeds spread over `workers` worker threads (runtime/pool.ts), each with its own
 * tfjs backend instance. Every seed's numbers are independent of the ensemble composition, so the result
 * is identical to trainEnsemble(config); only the wall time changes. With one worker (or one seed) it
 * runs in-process. Needs the compiled package (dist/), where the worker script lives.
 */
export async function trainEnsembleParallel(
  config: TrainConfig,
  workers: number,
  options: ParallelTrainOptions = {},
): Promise<EnsembleResult> {
  const chunks = splitSeeds(config.seeds, workers);
  const onProgress = options.onProgress;
  if (chunks.length === 1) return trainEnsemble(config, onProgress ? { onProgress: (p) => onProgress(0, p) } : {});
  const started = performance.now();
  const parts = await runPool<number[], EnsembleResult, TrainProgress>(chunks, {
    workers: chunks.length,
    // Compiled layout: dist/network/parallel.js next to dist/network/worker.js.
    script: new URL('./worker.js', import.meta.url),
    workerData: { config },
    inline: (seeds, progress) => trainEnsemble({ ...config, seeds }, { onProgress: progress }),
    ...(onProgress ? { onProgress } : {}),
    revive: restoreLayouts,
    describe: (seeds) => `seeds ${seeds.join(',')}`,
  });
  return {
    ...parts[0],
    config,
    seeds: parts.flatMap((p) => p.seeds),
    wallSeconds: (performance.now() - started) / 1000,
  };
}
