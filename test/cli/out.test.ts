import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, root } from '../helpers/built.js';

/**
 * #8 items 2–3 through the real executable: an unusable --out fails before any computing (exit 2, one line
 * naming --out), and two processes never write one directory at once.
 */
const BIN = join(root, 'bin', 'scm-harness');
const work = mkdtempSync(join(tmpdir(), 'scm-cli-out-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], timeout = 120_000) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, CI: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

const file = join(work, 'a-file');
writeFileSync(file, 'not a directory\n');

/** Every command that writes a directory, with arguments that would otherwise run (quickstart: ~15 s of computing). */
const COMMANDS: [string, string[]][] = [
  ['ode', ['ode', '--K', '2', '--M', '2', '--t-max', '1']],
  ['train', ['train', '--K', '2', '--M', '2', '--d', '10', '--t-max', '1']],
  ['fixed-points', ['fixed-points', '--K', '3', '--M', '3']],
  ['stats', ['stats', '--K', '3', '--M', '3', '--inits', '2']],
  ['run', ['run', 'scenarios/quickstart.json']],
  ['check', ['check', 'scenarios/quickstart.json']],
  ['merge', ['merge', work]],
];

describe('an unusable --out: exit 2 at once, one line naming --out', () => {
  assertBuilt(['cli', 'cli/commands', 'io', 'runtime']);

  it.each(COMMANDS)('%s --out under a file', (_, args) => {
    const r = cli([...args, '--out', join(file, 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe(
      `scm-harness: --out: cannot use ${file}/out as the output directory (${file} is a file, not a directory)\n`,
    );
    expect(r.stdout).toBe('');
    // Before computing: the quickstart alone takes ~15 s.
    expect(r.seconds).toBeLessThan(8);
  });

  it.skipIf(!existsSync('/proc/self')).each([
    ['train', ['train', '--K', '2', '--M', '2', '--d', '10', '--t-max', '1']],
    ['stats', ['stats', '--K', '3', '--M', '3', '--inits', '2']],
  ])('%s --out /proc/x does not spin (Node 20 recursive mkdir)', (_, args) => {
    const r = cli([...args, '--out', '/proc/x'], 30_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^scm-harness: --out: cannot create the output directory \/proc\/x \(/);
  });
});

/** Lines of runs.csv after the header. */
const runLines = (dir: string) => readFileSync(join(dir, 'runs.csv'), 'utf8').trimEnd().split('\n').slice(1);
const seedsOf = (dir: string) => runLines(dir).map((l) => Number(l.split(',')[0]));

/** Start a command in the background; resolves its exit code. */
function background(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: root,
    env: { ...process.env, CI: '1' },
    stdio: 'ignore',
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit };
}

async function until(condition: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('one writer per output directory', () => {
  const STATS = ['stats', '--K', '8', '--M', '8', '--inits', '300'];

  it('a second stats on the same --out exits 2 naming the first process; the first completes without duplicates', async () => {
    const dir = join(work, 'concurrent');
    const first = background([...STATS, '--out', dir]);
    await until(() => existsSync(join(dir, '.scm-harness.owner')), 60);
    const second = cli([...STATS, '--out', dir]);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(
      `scm-harness: --out: ${dir} is being written by another scm-harness process (pid ${first.child.pid}); wait for it to finish or use another directory\n`,
    );
    expect(await first.exit).toBe(0);
    const seeds = seedsOf(dir);
    expect(seeds).toHaveLength(300);
    expect(new Set(seeds).size).toBe(300);
    expect(existsSync(join(dir, '.scm-harness.lock'))).toBe(false);
  });

  it('kill -9 mid-run: the resume is not blocked by the dead lock and records every seed once', async () => {
    const dir = join(work, 'killed');
    const first = background([...STATS, '--out', dir]);
    await until(() => existsSync(join(dir, 'runs.csv')) && runLines(dir).length >= 10, 60);
    first.child.kill('SIGKILL');
    await first.exit;
    expect(existsSync(join(dir, '.scm-harness.lock'))).toBe(true);
    const resumed = cli([...STATS, '--out', dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^stats: 300 runs \(\d+ new/);
    expect(new Set(seedsOf(dir)).size).toBe(300);
    expect(seedsOf(dir)).toHaveLength(300);
  });

  it('a runs.csv with a duplicated seed is refused on resume and by merge, naming the line', () => {
    const dir = join(work, 'duplicated');
    expect(cli(['stats', '--K', '3', '--M', '3', '--inits', '4', '--out', dir]).code).toBe(0);
    const lines = readFileSync(join(dir, 'runs.csv'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'runs.csv'), `${[...lines, lines[2]].join('\n')}\n`);
    const resumed = cli(['stats', '--K', '3', '--M', '3', '--inits', '4', '--out', dir]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toBe(
      `scm-harness: ${join(dir, 'runs.csv')}:6: seed 1 is recorded twice (also on line 3); delete one of the two lines (or the file, to recompute) and run again\n`,
    );
    const merged = cli(['merge', dir, '--out', join(work, 'merged')]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toMatch(/runs\.csv:6: seed 1 is recorded twice/);
    expect(existsSync(join(work, 'merged'))).toBe(false);
  });
});
