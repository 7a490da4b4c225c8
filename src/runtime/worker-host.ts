import { parentPort, workerData } from 'node:worker_threads';
import type { TaskMessage, TaskRequest } from './pool.js';

/**
 * The worker side of runPool (./pool.ts): `setup` runs once with the pool's workerData and returns the
 * task handler (so per-thread state — workspaces, a tfjs backend, caches — is built once); tasks are then
 * served one at a time, in arrival order.
 */
export function serveTasks<I, O, P = never>(
  setup: (data: unknown) => (input: I, progress: (p: P) => void) => O | Promise<O>,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs only in a worker thread');
  const handle = setup(workerData);
  port.on('message', ({ index, input }: TaskRequest<I>) => {
    const progress = (p: P) => port.postMessage({ kind: 'progress', index, progress: p } satisfies TaskMessage<O, P>);
    Promise.resolve()
      .then(() => handle(input, progress))
      .then(
        (result) => port.postMessage({ kind: 'done', index, result } satisfies TaskMessage<O, P>),
        (err: unknown) => {
          const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
          port.postMessage({ kind: 'failed', index, message } satisfies TaskMessage<O, P>);
        },
      );
  });
}
