import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openOutputDirectory } from '../../src/io/output-dir.js';
import { StateLayout } from '../../src/model/state-layout.js';
import { finalCsv } from '../../src/network/output.js';
import type { EnsembleResult } from '../../src/network/train.js';
import { assertBuilt, root } from '../helpers/built.js';
import { cli as inProcessCli, readCsv } from '../helpers/cli.js';

/** #8 items 3 (every command locks), 4 (cost limit), 5 (train progress), 6 (train summary), 9 (small ones). */
const work = mkdtempSync(join(tmpdir(), 'scm-cli-ux-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const BIN = join(root, 'bin', 'scm-harness');

async function cli(...args: string[]) {
  try {
    return await inProcessCli(...args);
  } finally {
    process.exitCode = undefined;
  }
}

function spawned(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('every command that writes a directory takes its lock', () => {
  it.each([
    ['ode', ['ode', '--K', '2', '--M', '2', '--t-max', '1']],
    ['train', ['train', '--K', '2', '--M', '2', '--d', '10', '--t-max', '1']],
    ['fixed-points', ['fixed-points', '--K', '3', '--M', '3', '--k1', '0']],
    ['stats', ['stats', '--K', '3', '--M', '3', '--inits', '2']],
    ['run', ['run', 'scenarios/quickstart.json']],
    ['merge', ['merge', join(work, 'no-shard')]],
  ])('%s refuses a directory held by another process, writing nothing', async (name, args) => {
    const dir = join(work, `held-${name}`);
    const held = await openOutputDirectory(dir);
    try {
      const r = await cli(...args, '--out', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `scm-harness: --out: ${dir} is being written by another scm-harness process (pid ${process.pid}); wait for it to finish or use another directory\n`,
      );
      expect(readdirSync(dir).filter((f) => !f.startsWith('.scm-harness'))).toEqual([]);
    } finally {
      await held.release();
    }
  });
});

describe('huge but legal sizes are refused before anything starts, unless --force', () => {
  it.each([
    ['ode', ['ode', '--K', '10000', '--M', '10000']],
    ['train', ['train', '--K', '10000', '--M', '10000', '--d', '10000']],
    ['fixed-points', ['fixed-points', '--K', '10000', '--M', '10000']],
    ['stats', ['stats', '--K', '10000', '--M', '10000', '--inits', '10']],
  ])('%s at K = 10000', async (name, args) => {
    const dir = join(work, `huge-${name}`);
    const started = Date.now();
    const r = await cli(...args, '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^scm-harness: --K: .* at K = 10000, M = 10000.* is estimated to need ~.*; pass --force to run it anyway/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(existsSync(dir)).toBe(false);
  });

  it('a scenario with K = 10000 (run and check), naming the file', async () => {
    const s = JSON.parse(readFileSync(join(root, 'scenarios', 'quickstart.json'), 'utf8'));
    s.model = { ...s.model, K: 10000, M: 10000 };
    s.runs = [{ ...s.runs[1], d: [20000, 40000] }];
    const file = join(work, 'huge.json');
    writeFileSync(file, JSON.stringify(s));
    for (const command of ['run', 'check']) {
      const r = await cli(command, file, '--out', join(work, 'huge-run'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^scm-harness: ${file}: scenario quickstart \\(K = 10000, M = 10000\\) is estimated to need .*--force`,
        ),
      );
    }
    expect(existsSync(join(work, 'huge-run'))).toBe(false);
  });

  it('--force skips the estimate (the next check, an unusable --out, is what fails)', async () => {
    const file = join(work, 'force-file');
    writeFileSync(file, '');
    const r = await cli('fixed-points', '--K', '10000', '--M', '10000', '--force', '--out', join(file, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scm-harness: --out: cannot use/);
  });
});

describe('train: summary line, divergence hint, SGD default learning rate, progress', () => {
  const SGD = ['train', '--optimizer', 'sgd', '--K', '8', '--M', '8', '--d', '100', '--t-max', '10'];

  it('all seeds diverged: the counts on stdout and a hint on stderr', async () => {
    const r = await cli(...SGD, '--lr', '2', '--seeds', '0..3', '--out', join(work, 'diverged'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^train sgd: 4 seeds: 0 converged, 0 running, 4 diverged \(K = 8, M = 8, d = 100, lr = 2, t = 10, [\d.]+ s\)\n$/,
    );
    expect(r.stderr).toBe(
      'scm-harness: all 4 seeds diverged: lower --lr (online SGD at K = 8, M = 8 needs lr ≲ 0.313; the default is 0.125)\n',
    );
  });

  it('the default online-SGD learning rate is min(0.5, 1/K) and keeps the seeds finite; GD keeps 1', async () => {
    const r = await cli(...SGD, '--seeds', '0..1', '--out', join(work, 'sgd-default'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/0 diverged \(K = 8, M = 8, d = 100, lr = 0\.125,/);
    expect(JSON.parse(readFileSync(join(work, 'sgd-default', 'config.json'), 'utf8')).lr).toBe(0.125);
    const gd = await cli(
      'train',
      '--K',
      '8',
      '--M',
      '8',
      '--d',
      '20',
      '--t-max',
      '1',
      '--out',
      join(work, 'gd-default'),
    );
    expect(gd.stdout).toMatch(/lr = 1,/);
    const ode = await cli('ode', '--optimizer', 'sgd', '--K', '4', '--M', '4', '--t-max', '1', '--format', 'json');
    expect(JSON.parse(ode.stdout).config.lr).toBe(0.25);
  });

  it('retraining with fewer seeds removes the stale init/seed-*.json', async () => {
    const dir = join(work, 'retrain');
    const args = ['train', '--K', '2', '--M', '2', '--d', '10', '--t-max', '1'];
    expect((await cli(...args, '--seeds', '0..3', '--out', dir)).code).toBe(0);
    writeFileSync(join(dir, 'init', 'notes.txt'), 'mine');
    expect((await cli(...args, '--seeds', '1,2', '--out', dir)).code).toBe(0);
    expect(readdirSync(join(dir, 'init')).sort()).toEqual(['notes.txt', 'seed-1.json', 'seed-2.json']);
  });

  it('--format json prints the summary (counts and final state per seed) on stdout', async () => {
    const r = await cli(...SGD, '--lr', '2', '--seeds', '0,1', '--format', 'json', '--out', join(work, 'json'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      command: 'train',
      optimizer: 'sgd',
      K: 8,
      lr: 2,
      result: { diverged: 2, running: 0, converged: 0 },
      out: join(work, 'json'),
    });
    expect(doc.final.map((f: { seed: number; status: string }) => [f.seed, f.status])).toEqual([
      [0, 'diverged'],
      [1, 'diverged'],
    ]);
    expect(doc.hint).toMatch(/lower --lr/);
  });

  it('off a terminal, with --workers 2: plain progress lines with n/total, rate and ETA', () => {
    assertBuilt(['cli', 'cli/commands', 'runtime', 'network']);
    const r = spawned(
      [
        'train',
        '--optimizer',
        'sgd',
        '--K',
        '3',
        '--M',
        '3',
        '--d',
        '200',
        '--t-max',
        '20',
        '--seeds',
        '0..3',
        '--workers',
        '2',
        '--out',
        join(work, 'progress'),
      ],
      { SCM_HARNESS_PROGRESS_SECONDS: '0' },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines[0]).toMatch(
      /^train sgd: \d+\/4000 steps \(\d+%\) \(t = [\d.e+-]+(, \d\/4 seeds active)?\), .* steps\/s, ETA .*, \d+\.\d s$/,
    );
    expect(lines.at(-1)).toMatch(
      /^train sgd: 4000\/4000 steps \(100%\) \(t = 20\.0, 4\/4 seeds active\), [\d.]+ steps\/s, \d+\.\d s$/,
    );
    expect(r.stdout).toMatch(/^train sgd: 4 seeds: /);
  });
});

describe('small things (#8 item 9)', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('no arguments: the help on stderr and exit 1', () => {
    const r = spawned([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: scm-harness/);
    expect(r.stderr).toContain('Commands:');
  });

  it('a corrupt stats config.json: one line naming --out, no stack trace', () => {
    const dir = join(work, 'corrupt');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"command": "stats", "K": ');
    const r = spawned(['stats', '--K', '3', '--M', '3', '--inits', '2', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^scm-harness: --out: ${join(dir, 'config.json')} is not valid JSON \\(`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['without the configuration', '{"command": "stats"}', 'config.json.K'],
    ['with a malformed field', '{"command": "stats", "K": 3, "M": 3, "inits": 2, "shard": null}', 'config.json.shard'],
  ])('a stats config.json %s: one line naming --out (stats) or the directory (merge)', (_, text, field) => {
    const dir = join(work, `incomplete-${field}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), text);
    const r = spawned(['stats', '--K', '3', '--M', '3', '--inits', '2', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^scm-harness: --out: ${join(dir, 'config.json')} is not a valid stats configuration \\(${field}: .*\\); use a new directory or repair it\n$`,
      ),
    );
    writeFileSync(join(dir, 'runs.csv'), '');
    const m = spawned(['merge', dir, '--out', join(work, `incomplete-merged-${field}`)]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(new RegExp(`^scm-harness: ${dir}: .* is not a valid stats configuration \\(${field}: `));
    expect(existsSync(join(work, `incomplete-merged-${field}`))).toBe(false);
  });

  it('negative round-off losses are written as 0 (ode CSV, JSON and config.json)', async () => {
    // K = M = 2, seed 1 reaches the global minimum, where the float64 loss evaluates to −3e-11 at several save times.
    const args = ['ode', '--K', '2', '--M', '2', '--t-max', '3000', '--convergence-tol', '0', '--save-times', 'log:50'];
    const r = await cli(...args, '--out', join(work, 'negative'));
    expect(r.code).toBe(0);
    const losses = readCsv(readFileSync(join(work, 'negative', 'trajectory.csv'), 'utf8')).map((row) =>
      Number(row.loss),
    );
    expect(losses.filter((l) => l === 0).length).toBeGreaterThan(0);
    expect(Math.min(...losses)).toBe(0);
    expect(
      JSON.parse(readFileSync(join(work, 'negative', 'config.json'), 'utf8')).result.finalLoss,
    ).toBeGreaterThanOrEqual(0);
    const json = JSON.parse((await cli(...args, '--format', 'json')).stdout);
    expect(Math.min(...json.trajectory.map((row: { loss: number }) => row.loss))).toBe(0);
  });

  it('negative round-off losses are written as 0 in train final.csv', () => {
    const layout = new StateLayout(1, 1);
    const trajectory = { source: 'network' as const, layout, times: [], states: [], loss: [] };
    const seed = (s: number, loss: number) => ({
      seed: s,
      status: 'converged' as const,
      trajectory,
      initial: null,
      end: { step: 1, t: 1, loss, gradNorm: 0, state: new Float64Array(layout.dim) },
    });
    const text = finalCsv({
      seeds: [seed(0, -5e-10), seed(1, 2e-9), seed(2, Number.NaN)],
    } as unknown as EnsembleResult);
    expect(readCsv(text).map((r) => r.loss)).toEqual(['0', '2e-9', 'NaN']);
  });

  it('--format json for fixed-points and stats prints the result summary on stdout', async () => {
    const fp = await cli(
      'fixed-points',
      '--K',
      '4',
      '--M',
      '4',
      '--k1',
      '0..1',
      '--format',
      'json',
      '--out',
      join(work, 'fp-json'),
    );
    expect(fp.code).toBe(0);
    const fpDoc = JSON.parse(fp.stdout);
    expect(fpDoc).toMatchObject({ command: 'fixed-points', K: 4, M: 4, out: join(work, 'fp-json') });
    expect(fpDoc.fixedPoints[0]).toMatchObject({ k1: 0, verdict: 'global-minimum', stable: true });
    const text = await cli('fixed-points', '--K', '4', '--M', '4', '--k1', '0..1', '--out', join(work, 'fp-text'));
    expect(text.stdout).toMatch(/^fixed-points: \d+ fixed points at K = 4, M = 4 \(.*global-minimum.*\) in /);

    const st = await cli(
      'stats',
      '--K',
      '3',
      '--M',
      '3',
      '--inits',
      '4',
      '--format',
      'json',
      '--out',
      join(work, 'stats-json'),
    );
    expect(st.code).toBe(0);
    const stDoc = JSON.parse(st.stdout);
    expect(stDoc).toMatchObject({ command: 'stats', K: 3, M: 3, inits: 4, runs: 4, expected: 4, computed: 4 });
    expect(
      stDoc.table.find((r: { group: string; category: string }) => r.group === 'paper' && r.category === 'global'),
    ).toHaveProperty('fraction');
  });
});
