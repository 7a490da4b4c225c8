import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEAD_OWNER_STALE_MS, LOCK_NAME, OWNER_NAME } from '../../src/io/dir-lock.js';
import { openOutputDirectory, withOutputDirectory } from '../../src/io/output-dir.js';
import { InputError } from '../../src/model/errors.js';
import { assertBuilt, root } from '../helpers/built.js';

const work = mkdtempSync(join(tmpdir(), 'scm-output-dir-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The InputError of a rejected promise (fails the test when it resolves). */
async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

/**
 * A separate process that holds the lock of `dir` while it computes synchronously for `busyMs` (its event
 * loop blocked, as in ode or a one-worker stats), printing "locked" once it holds it.
 */
function holder(dir: string, busyMs: number): Promise<ChildProcess> {
  const script = `
    import { openOutputDirectory } from ${JSON.stringify(join(root, 'dist', 'io', 'output-dir.js'))};
    const out = await openOutputDirectory(${JSON.stringify(dir)});
    process.stdout.write('locked\\n');
    const end = Date.now() + ${busyMs};
    while (Date.now() < end) {}
    await out.release();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('locked')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before locking`)));
  });
}

describe('openOutputDirectory: create and probe before computing', () => {
  it('creates missing directories, leaves no probe file, and the lock goes with release()', async () => {
    const dir = join(work, 'a', 'b', 'c');
    const out = await openOutputDirectory(dir);
    expect(existsSync(join(dir, LOCK_NAME))).toBe(true);
    expect(existsSync(join(dir, OWNER_NAME))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('probe'))).toEqual([]);
    await out.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a path under a file: InputError naming the flag, nothing created', async () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const err = await inputError(openOutputDirectory(join(file, 'sub', 'dir'), '--out'));
    expect(err.message).toMatch(
      /^--out: cannot use .*plain-file\/sub\/dir as the output directory \(.*plain-file is a file, not a directory\)$/,
    );
    const direct = await inputError(openOutputDirectory(file, '--out'));
    expect(direct.message).toMatch(/is a file, not a directory/);
  });

  it.skipIf(!existsSync('/proc/self'))(
    '/proc/x fails at once (Node 20 recursive mkdir would loop forever there)',
    async () => {
      const started = Date.now();
      const err = await inputError(openOutputDirectory('/proc/x/y', '--out'));
      expect(err.message).toMatch(/^--out: cannot create the output directory \/proc\/x\/y/);
      expect(Date.now() - started).toBeLessThan(2000);
    },
  );

  it.skipIf(process.getuid?.() === 0)('a directory without write permission fails the probe', async () => {
    const dir = join(work, 'read-only');
    mkdirSync(dir, { mode: 0o555 });
    const err = await inputError(openOutputDirectory(join(dir, 'out'), '--out'));
    expect(err.message).toMatch(/permission denied/);
  });

  it('a failing command removes the directories it created (if still empty), never pre-existing ones', async () => {
    const existing = join(work, 'existing');
    mkdirSync(existing);
    const dir = join(existing, 'new', 'deeper');
    await expect(withOutputDirectory(dir, '--out', () => Promise.reject(new InputError('--K', 'bad')))).rejects.toThrow(
      '--K: bad',
    );
    expect(existsSync(join(existing, 'new'))).toBe(false);
    expect(existsSync(existing)).toBe(true);
    // Something was written: the directory stays.
    await expect(
      withOutputDirectory(dir, '--out', (path) => {
        writeFileSync(join(path, 'partial.csv'), 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readdirSync(dir)).toEqual(['partial.csv']);
  });
});

describe('the directory lock (proper-lockfile in a worker thread)', () => {
  assertBuilt(['io']);

  it('a second holder in the same process is refused, naming the pid', async () => {
    const dir = join(work, 'twice');
    const first = await openOutputDirectory(dir);
    const err = await inputError(openOutputDirectory(dir, '--out'));
    expect(err.message).toBe(
      `--out: ${dir} is being written by another scm-harness process (pid ${process.pid}); wait for it to finish or use another directory`,
    );
    await first.release();
    await (await openOutputDirectory(dir)).release();
  });

  it('a live process computing synchronously keeps its lock past the stale time; kill -9 frees it within DEAD_OWNER_STALE_MS', async () => {
    const dir = join(work, 'killed');
    const child = await holder(dir, 60_000);
    // Longer than the stale time with the holder's event loop blocked: its worker thread keeps the lock fresh.
    await new Promise((r) => setTimeout(r, DEAD_OWNER_STALE_MS + 2500));
    expect(Date.now() - statSync(join(dir, LOCK_NAME)).mtimeMs).toBeLessThan(DEAD_OWNER_STALE_MS);
    const err = await inputError(openOutputDirectory(dir, '--out'));
    expect(err.message).toContain(`(pid ${child.pid})`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(dir, LOCK_NAME))).toBe(true);
    // The resume does not fail: it waits for the dead owner's lock to go stale and takes it.
    const started = Date.now();
    const out = await openOutputDirectory(dir, '--out');
    expect(Date.now() - started).toBeLessThan(DEAD_OWNER_STALE_MS + 2000);
    await out.release();
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});
