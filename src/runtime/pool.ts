import { Worker } from 'node:worker_threads';

/**
 * The one worker-thread pool of the harness (scenario jobs, network seed chunks, stats initialisations).
 * Tasks are independent and deterministic in their input, so results do not depend on the number of
 * workers or the order of completion; they are returned in input order.
 */

/** Messages between the pool and a worker running `serveTasks` (./worker-host.ts). */
export type TaskRequest<I> = { index: number; input: I };
export type TaskMessage<O, P> =
  | { kind: 'progress'; index: number; progress: P }
  | { kind: 'done'; index: number; result: O }
  | { kind: 'failed'; index: number; message: string };

export interface PoolOptions<I, O, P> {
  /** Worker threads; ≤ 1 (or a single task) runs every task in this thread through `inline`. */
  workers: number;
  /** The compiled worker module (it calls serveTasks); resolved next to the caller's compiled file. */
  script: URL;
  /** Handed to each worker once at start-up (structured clone). */
  workerData: unknown;
  /** The same task in this thread. */
  inline: (input: I, progress: (p: P) => void) => O | Promise<O>;
  /** Structured cloning keeps fields but drops classes: rebuild them on arrival. */
  revive?: (result: O) => O;
  onProgress?: (index: number, progress: P) => void;
  /** Called in this thread as each result arrives (streaming to disk, progress bars). */
  onResult?: (index: number, result: O) => void;
  /** Names a task in an error message. */
  describe?: (input: I) => string;
}

export async function runPool<I, O, P = never>(inputs: readonly I[], options: PoolOptions<I, O, P>): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  if (options.workers <= 1 || inputs.length <= 1) {
    for (let i = 0; i < inputs.length; i++) {
      results[i] = await options.inline(inputs[i], (p) => options.onProgress?.(i, p));
      options.onResult?.(i, results[i]);
    }
    return results;
  }
  const describe = options.describe ?? ((input: I) => JSON.stringify(input));
  let next = 0;
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(options.script, { workerData: options.workerData });
      const feed = () => {
        if (next >= inputs.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        const index = next++;
        worker.postMessage({ index, input: inputs[index] } satisfies TaskRequest<I>);
      };
      worker.on('message', (message: TaskMessage<O, P>) => {
        if (message.kind === 'progress') {
          options.onProgress?.(message.index, message.progress);
          return;
        }
        if (message.kind === 'failed') {
          void worker.terminate();
          reject(new Error(`task ${describe(inputs[message.index])} failed in a worker: ${message.message}`));
          return;
        }
        const result = options.revive ? options.revive(message.result) : message.result;
        results[message.index] = result;
        options.onResult?.(message.index, result);
        feed();
      });
      worker.on('error', reject);
      feed();
    });
  await Promise.all(Array.from({ length: Math.min(options.workers, inputs.length) }, lane));
  return results;
}
