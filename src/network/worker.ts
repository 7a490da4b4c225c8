import { parentPort, workerData } from 'node:worker_threads';
import type { TrainConfig } from './config.js';
import { type WorkerResult, toWorkerResult } from './parallel.js';
import { trainEnsemble } from './train.js';

/**
 * Worker-thread entry of trainEnsembleParallel: trains its share of the seeds on its own TensorFlow.js
 * backend instance (each worker has its own tfjs engine) and posts the result back.
 */
const { config } = workerData as { config: TrainConfig };
trainEnsemble(config).then(
  (result) => parentPort?.postMessage({ ok: true, result: toWorkerResult(result) } satisfies WorkerResult),
  (error: unknown) => parentPort?.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerResult),
);
