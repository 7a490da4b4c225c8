import { Worker } from 'node:worker_threads';
import { StateLayout } from '../theory/state.js';
import type { TrainConfig } from './config.js';
import { type EnsembleResult, type SeedResult, trainEnsemble } from './train.js';

/** What a worker posts back: an EnsembleResult whose layouts are plain data (structured clone drops classes). */
export type WorkerResult = { ok: true; result: EnsembleResult } | { ok: false; error: string };

export function toWorkerResult(result: EnsembleResult): EnsembleResult {
  return {
    ...result,
    seeds: result.seeds.map((r) => ({ ...r, trajectory: { ...r.trajectory, layout: { ...r.trajectory.layout } as StateLayout } })),
  };
}

function restoreLayouts(result: EnsembleResult): SeedResult[] {
  return result.seeds.map((r) => {
    const { K, M, withReadouts } = r.trajectory.layout;
    return { ...r, trajectory: { ...r.trajectory, layout: new StateLayout(K, M, withReadouts) } };
  });
}

/** config.seeds split into at most `parts` contiguous, non-empty, nearly equal chunks. */
export function splitSeeds(seeds: number[], parts: number): number[][] {
  const count = Math.max(1, Math.min(parts, seeds.length));
  return Array.from({ length: count }, (_, i) => seeds.slice(Math.floor((i * seeds.length) / count), Math.floor(((i + 1) * seeds.length) / count)));
}

function runWorker(config: TrainConfig): Promise<EnsembleResult> {
  return new Promise((resolve, reject) => {
    // Compiled layout: dist/network/parallel.js next to dist/network/worker.js.
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { config } });
    worker.once('message', (message: WorkerResult) => {
      if (message.ok) resolve(message.result);
      else reject(new Error(`worker for seeds ${config.seeds.join(',')} failed: ${message.error}`));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * trainEnsemble with the seeds spread over `workers` worker threads, each with its own backend
 * instance. Every seed's numbers are independent of the ensemble composition, so the result is identical
 * to trainEnsemble(config); only the wall time changes. With one worker (or one seed) it runs in-process.
 * Needs the compiled package (dist/), where the worker script lives.
 */
export async function trainEnsembleParallel(config: TrainConfig, workers: number): Promise<EnsembleResult> {
  const chunks = splitSeeds(config.seeds, workers);
  if (chunks.length === 1) return trainEnsemble(config);
  const started = performance.now();
  const parts = await Promise.all(chunks.map((seeds) => runWorker({ ...config, seeds })));
  return {
    ...parts[0],
    config,
    seeds: parts.flatMap(restoreLayouts),
    wallSeconds: (performance.now() - started) / 1000,
  };
}
