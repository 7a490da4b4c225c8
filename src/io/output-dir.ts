import { mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../model/errors.js';
import { type DirectoryLock, lockDirectory } from './dir-lock.js';

/**
 * The output directory of a command (`--out`), checked and locked BEFORE anything is computed:
 *
 * 1. create it, one missing component at a time (not `mkdir -p`: Node 20's recursive mkdir loops forever
 *    on paths such as /proc/x), so a path under a file, under /proc or without permission fails at once;
 * 2. probe it: write and remove a small file (a read-only mount or a full disk fails here);
 * 3. lock it (dir-lock.ts) against a second scm-harness process writing the same directory.
 *
 * Every failure is an InputError naming the flag (one line, exit 2). `release()` drops the lock; when the
 * command failed, directories this call created are removed again if they are still empty, so an error
 * leaves nothing behind.
 */
export interface OutputDirectory {
  readonly path: string;
  release(outcome?: { failed: boolean }): Promise<void>;
}

const PROBE = '.scm-harness-probe';

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOTDIR':
      return 'a component of the path is a file, not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ENOENT':
      return 'the file system does not allow creating it';
    default:
      return e.code ?? String(err);
  }
}

/** The nearest ancestor of `p` that exists and is not a directory (the cause of an ENOTDIR), if any. */
function fileAncestor(p: string): string | null {
  for (let q = dirname(p); ; q = dirname(q)) {
    try {
      return statSync(q).isDirectory() ? null : q;
    } catch {
      if (dirname(q) === q) return null;
    }
  }
}

/** Create `dir` and its missing ancestors, returning the directories created (outermost first). */
function createDirectory(dir: string, flag: string): string[] {
  const missing: string[] = [];
  let p = dir;
  for (;;) {
    let stat;
    try {
      stat = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        missing.unshift(p);
        const parent = dirname(p);
        if (parent === p) break;
        p = parent;
        continue;
      }
      if (code === 'ENOTDIR') {
        const file = fileAncestor(p);
        if (file !== null)
          throw new InputError(flag, `cannot use ${dir} as the output directory (${file} is a file, not a directory)`);
      }
      throw new InputError(flag, `cannot use ${dir} as the output directory (${p}: ${reason(err)})`);
    }
    if (!stat.isDirectory())
      throw new InputError(flag, `cannot use ${dir} as the output directory (${p} is a file, not a directory)`);
    break;
  }
  const created: string[] = [];
  for (const m of missing) {
    try {
      mkdirSync(m);
      created.push(m);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue; // created concurrently
      removeEmpty(created);
      throw new InputError(flag, `cannot create the output directory ${dir} (${m}: ${reason(err)})`);
    }
  }
  return created;
}

/** Remove the directories of `created` that are empty, innermost first (never anything else). */
function removeEmpty(created: string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      if (readdirSync(dir).length > 0) return;
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

function probe(dir: string, flag: string, created: string[]): void {
  const file = join(dir, `${PROBE}-${process.pid}`);
  try {
    writeFileSync(file, 'probe\n');
    unlinkSync(file);
  } catch (err) {
    try {
      unlinkSync(file);
    } catch {
      // never written
    }
    removeEmpty(created);
    throw new InputError(flag, `cannot write to the output directory ${dir} (${reason(err)})`);
  }
}

/**
 * Check (create, probe) and lock the output directory `dir` given by `flag`. Call it after every flag has
 * been validated and before computing; release it (in a finally) when the command is done.
 */
export async function openOutputDirectory(dir: string, flag = '--out'): Promise<OutputDirectory> {
  const path = resolve(dir);
  const created = createDirectory(path, flag);
  probe(path, flag, created);
  let lock: DirectoryLock;
  try {
    lock = await lockDirectory(path, flag);
  } catch (err) {
    removeEmpty(created);
    throw err;
  }
  return {
    path,
    async release(outcome = { failed: false }) {
      await lock.release();
      if (outcome.failed) removeEmpty(created);
    },
  };
}

/** Run `body` with the output directory checked and locked; released (and cleaned up on failure) after. */
export async function withOutputDirectory<T>(
  dir: string,
  flag: string,
  body: (path: string) => T | Promise<T>,
): Promise<T> {
  const out = await openOutputDirectory(dir, flag);
  let failed = true;
  try {
    const result = await body(out.path);
    failed = false;
    return result;
  } finally {
    await out.release({ failed });
  }
}
