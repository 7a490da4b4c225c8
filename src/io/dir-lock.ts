import { readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../model/errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * One scm-harness process at a time per output directory, through proper-lockfile (mkdir-based, works on
 * local and network file systems; the lock is DIR/.scm-harness.lock, its owner in DIR/.scm-harness.owner).
 *
 * - The lock runs in a small worker thread, so its mtime keeps being refreshed (every UPDATE_MS) even while
 *   this thread computes synchronously for hours (ode, fixed-points, stats with one worker). A lock whose
 *   mtime is older than the stale time belongs to a dead process: proper-lockfile removes it and takes over.
 * - Never take over a live local process's lock: the first attempt ignores staleness. Only when the owner
 *   file names a process of this host that no longer exists (kill -9, Ctrl-C, power loss) a second attempt
 *   lets proper-lockfile take the lock once it is DEAD_OWNER_STALE_MS old; with no owner file, or an owner on
 *   another host (a network file system), once it is STALE_MS old (retrying a little longer than that). A
 *   resume after a kill therefore waits about 2 s, never blocks.
 * - A normal exit, an error or process.exit releases the lock (a synchronous 'exit' handler removes it).
 *   Signals are deliberately not intercepted: a listener would keep Ctrl-C from interrupting a synchronous
 *   computation (the handler waits for the event loop). A process killed by a signal leaves its lock, which
 *   the next run takes over as above.
 */
export interface DirectoryLock {
  release(): Promise<void>;
}

export const LOCK_NAME = '.scm-harness.lock';
export const OWNER_NAME = '.scm-harness.owner';
/** A lock not refreshed for this long is stale (its process is gone): proper-lockfile's default. */
export const STALE_MS = 10_000;
/** The same when its owner is known to be dead (proper-lockfile's minimum); a live one refreshes every UPDATE_MS. */
export const DEAD_OWNER_STALE_MS = 2000;
/** Refresh interval of a held lock (proper-lockfile's minimum is 1 s). */
const UPDATE_MS = 1000;

interface Owner {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
}

type WorkerReply =
  | { kind: 'locked' }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'released' }
  | { kind: 'compromised'; message: string };

/**
 * The worker, run with eval so that it needs no compiled file (the same from src/ and dist/). Written to run
 * as a CommonJS or an ES module script (dynamic imports inside an async function), whatever the parent's flags.
 */
const WORKER_CODE = `
(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  const lockfile = (await import(workerData.library)).default;
  lockfile
    .lock(workerData.dir, {
      lockfilePath: workerData.lockPath,
      realpath: false,
      stale: workerData.stale,
      update: workerData.update,
      retries: workerData.retries,
      onCompromised: (err) => parentPort.postMessage({ kind: 'compromised', message: err.message }),
    })
    .then(
      (release) => {
        parentPort.postMessage({ kind: 'locked' });
        parentPort.once('message', () => {
          release().then(
            () => parentPort.postMessage({ kind: 'released' }),
            () => parentPort.postMessage({ kind: 'released' }),
          );
        });
      },
      (err) => parentPort.postMessage({ kind: 'failed', code: err.code || '', message: err.message }),
    );
})();
`;

const library = pathToFileURL(createRequire(import.meta.url).resolve('proper-lockfile')).href;

function readOwner(dir: string): Owner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dir, OWNER_NAME), 'utf8')) as Owner;
    return typeof owner.pid === 'number' && typeof owner.hostname === 'string' ? owner : null;
  } catch {
    return null;
  }
}

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Held by a process that certainly still runs (on this host). */
function ownerAlive(owner: Owner | null): boolean {
  return owner !== null && owner.hostname === hostname() && alive(owner.pid);
}

interface Attempt {
  worker: Worker;
  reply: WorkerReply;
}

function attempt(dir: string, stale: number, retries: object | number): Promise<Attempt> {
  const worker = new Worker(WORKER_CODE, {
    eval: true,
    // Not the parent's flags (e.g. --input-type=module would change how the eval code is read).
    execArgv: [],
    workerData: { library, dir, lockPath: join(dir, LOCK_NAME), stale, update: UPDATE_MS, retries },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (reply: WorkerReply) => resolve({ worker, reply }));
    worker.once('error', reject);
  });
}

function heldMessage(dir: string, owner: Owner | null): string {
  const who =
    owner === null ? 'pid unknown' : `pid ${owner.pid}${owner.hostname === hostname() ? '' : ` on ${owner.hostname}`}`;
  return `${dir} is being written by another scm-harness process (${who}); wait for it to finish or use another directory`;
}

/** Lock `dir` (an existing, writable directory) for this process; InputError at `flag` when it is held. */
export async function lockDirectory(dir: string, flag: string): Promise<DirectoryLock> {
  // First attempt: staleness off, so a live owner's lock is never taken over.
  let a = await attempt(dir, Number.POSITIVE_INFINITY, 0);
  if (a.reply.kind === 'failed' && a.reply.code === 'ELOCKED') {
    await a.worker.terminate();
    const owner = readOwner(dir);
    if (ownerAlive(owner)) throw new InputError(flag, heldMessage(dir, owner));
    // A dead owner (or none, or on another host): proper-lockfile takes the lock once it is stale.
    const stale = owner !== null && owner.hostname === hostname() ? DEAD_OWNER_STALE_MS : STALE_MS;
    a = await attempt(dir, stale, { retries: Math.ceil(stale / 250) + 4, factor: 1, minTimeout: 250, maxTimeout: 250 });
    if (a.reply.kind === 'failed' && a.reply.code === 'ELOCKED') {
      await a.worker.terminate();
      throw new InputError(flag, heldMessage(dir, readOwner(dir)));
    }
  }
  const { worker, reply } = a;
  if (reply.kind !== 'locked') {
    await worker.terminate();
    throw new InputError(flag, `cannot lock ${dir} (${reply.kind === 'failed' ? reply.message : reply.kind})`);
  }
  // Keep the process free to exit even if a caller forgets to release; the exit handler cleans up.
  worker.unref();
  let compromised: string | null = null;
  worker.on('message', (m: WorkerReply) => {
    if (m.kind === 'compromised') compromised = m.message;
  });
  worker.on('error', (err) => {
    compromised = err.message;
  });
  const owner: Owner = {
    pid: process.pid,
    hostname: hostname(),
    command: process.argv.slice(1).join(' '),
    startedAt: new Date().toISOString(),
  };
  const ownerPath = join(dir, OWNER_NAME);
  writeFileAtomic(ownerPath, `${JSON.stringify(owner)}\n`);
  const onExit = () => {
    // Synchronous last resort (process.exit or an uncaught error): the worker cannot run any more.
    if (compromised !== null) return;
    try {
      if (readOwner(dir)?.pid === process.pid) unlinkSync(ownerPath);
    } catch {
      // already gone
    }
    try {
      rmdirSync(join(dir, LOCK_NAME));
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      if (readOwner(dir)?.pid === process.pid) {
        try {
          unlinkSync(ownerPath);
        } catch {
          // already gone
        }
      }
      if (compromised === null) {
        await new Promise<void>((resolve) => {
          worker.once('message', () => resolve());
          worker.once('exit', () => resolve());
          worker.postMessage('release');
        });
      }
      await worker.terminate();
    },
  };
}
