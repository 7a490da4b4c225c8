import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { assertBuilt, root } from '../helpers/built.js';
import { randomOverlaps } from '../../src/theory/init.js';
import { overlapsToJSON } from '../../src/model/overlaps.js';

const work = mkdtempSync(join(tmpdir(), 'scm-ode-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BASE = [
  'ode',
  '--activation',
  'relu',
  '--optimizer',
  'gd',
  '--K',
  '2',
  '--M',
  '2',
  '--t-max',
  '5',
  '--save-times',
  'linear:6',
];

describe('scm-harness ode: outputs', () => {
  it('writes trajectory.csv with the contract header and config.json with every resolved default', async () => {
    const dir = join(work, 'basic');
    const r = await cli(...BASE, '--out', dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = readFileSync(join(dir, 'trajectory.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('t,loss,Q_1_1,Q_1_2,Q_2_2,R_1_1,R_1_2,R_2_1,R_2_2');
    expect(lines.length).toBe(1 + 6);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([0, 1, 2, 3, 4, 5]);

    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      command: 'ode',
      activation: 'relu',
      alpha: null,
      optimizer: 'gd',
      K: 2,
      M: 2,
      lr: 1,
      lrReadout: null,
      labelNoise: null,
      tMax: 5,
      init: { kind: 'random', d: 2, seed: 1 },
      solver: {
        method: 'dopri5',
        dt: null,
        rtol: 1e-8,
        atol: 1e-10,
        convergenceTol: 1e-9,
        maxSteps: 10_000_000,
        saveTimes: 'linear:6',
      },
      format: 'csv',
      result: { status: 't-max', tFinal: 5, savedRows: 6 },
    });
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(config.provenance.version).toBe(pkg.version);
    expect(config.provenance).toHaveProperty('gitCommit');
    // The initial overlaps in config.json are the first CSV row, in full precision.
    const first = lines[1].split(',').map(Number);
    const init = randomOverlaps(2, 2, 2, 1);
    expect(config.initialOverlaps).toEqual(overlapsToJSON(init));
    expect(first.slice(2)).toEqual([init.Q[0], init.Q[1], init.Q[3], init.R[0], init.R[1], init.R[2], init.R[3]]);
    expect(config.result.finalLoss).toBe(Number(lines[6].split(',')[1]));
  });

  it('is deterministic: the same command twice gives a byte-identical trajectory.csv', async () => {
    const args = [
      'ode',
      '--activation',
      'erf',
      '--optimizer',
      'gd2l',
      '--K',
      '3',
      '--M',
      '2',
      '--init-d',
      '5',
      '--seed',
      '7',
      '--t-max',
      '20',
      '--lr-readout',
      '0.5',
    ];
    expect((await cli(...args, '--out', join(work, 'a'))).code).toBe(0);
    expect((await cli(...args, '--out', join(work, 'b'))).code).toBe(0);
    const a = readFileSync(join(work, 'a', 'trajectory.csv'));
    expect(a.equals(readFileSync(join(work, 'b', 'trajectory.csv')))).toBe(true);
    expect(a.toString().split('\n')[0]).toBe(
      't,loss,Q_1_1,Q_1_2,Q_1_3,Q_2_2,Q_2_3,Q_3_3,R_1_1,R_1_2,R_2_1,R_2_2,R_3_1,R_3_2,a_1,a_2,a_3',
    );
    // Default log:200 save times: 200 rows.
    expect(a.toString().trimEnd().split('\n').length).toBe(201);
  });

  it('--format json prints the trajectory and the config to stdout and writes nothing', async () => {
    const r = await cli(...BASE, '--format', 'json', '--method', 'euler');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.config.solver).toMatchObject({ method: 'euler', dt: 0.01 });
    expect(doc.trajectory.length).toBe(6);
    expect(Object.keys(doc.trajectory[0])).toEqual([
      't',
      'loss',
      'Q_1_1',
      'Q_1_2',
      'Q_2_2',
      'R_1_1',
      'R_1_2',
      'R_2_1',
      'R_2_2',
    ]);
    expect(doc.trajectory[5].t).toBe(5);
  });

  it('--method map iterates the exact population-GD map on the step grid (log:N times rounded to steps)', async () => {
    const r = await cli(
      'ode',
      '--activation',
      'relu',
      '--optimizer',
      'ngd',
      '--K',
      '2',
      '--M',
      '2',
      '--init-d',
      '6',
      '--t-max',
      '1',
      '--method',
      'map',
      '--dt',
      '0.1',
      '--save-times',
      'log:6',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.config.solver).toMatchObject({ method: 'map', dt: 0.1, saveTimes: 'log:6' });
    expect(doc.config.result).toMatchObject({ status: 't-max', steps: 10, tFinal: 1 });
    // log:6 on [0, 1] = 0, 0.01, 0.032, 0.1, 0.32, 1 → steps 0, 0, 0, 1, 3, 10.
    expect(doc.trajectory.map((row: { t: number }) => row.t)).toEqual([0, 0.1, 0.30000000000000004, 1]);
    // The sphere retraction keeps Q_kk = 1 exactly.
    expect(doc.trajectory.map((row: { Q_2_2: number }) => row.Q_2_2)).toEqual([1, 1, 1, 1]);
  });

  it('--init reads an overlaps file (T, a, v defaulted) and the trajectory starts there', async () => {
    const file = join(work, 'init.json');
    writeFileSync(
      file,
      JSON.stringify({
        Q: [
          [1, 0.1],
          [0.1, 0.8],
        ],
        R: [
          [0.3, -0.2],
          [0.1, 0.5],
        ],
      }),
    );
    const dir = join(work, 'from-file');
    const r = await cli(
      'ode',
      '--activation',
      'leaky-relu',
      '--optimizer',
      'sgd',
      '--init',
      file,
      '--t-max',
      '2',
      '--save-times',
      '0,1,2',
      '--lr',
      '0.5',
      '--out',
      dir,
    );
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'trajectory.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[1].split(',').slice(2).map(Number)).toEqual([1, 0.1, 0.8, 0.3, -0.2, 0.1, 0.5]);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ K: 2, M: 2, alpha: 0.1, labelNoise: 0, init: { kind: 'file', path: file } });
    expect(config.initialOverlaps.T).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
});

describe('scm-harness ode: invalid input exits 2, names the flag, writes nothing', () => {
  const missingFile = join(work, 'does-not-exist.json');
  const badJson = join(work, 'bad.json');
  const asymmetric = join(work, 'asym.json');
  const wrongShape = join(work, 'shape.json');
  writeFileSync(badJson, '{"Q": [[1]], ');
  writeFileSync(
    asymmetric,
    JSON.stringify({
      Q: [
        [1, 0.5],
        [0.2, 1],
      ],
      R: [
        [0, 0],
        [0, 0],
      ],
    }),
  );
  writeFileSync(
    wrongShape,
    JSON.stringify({
      Q: [
        [1, 0],
        [0, 1],
      ],
      R: [[0, 0], [0]],
    }),
  );
  const base = ['--activation', 'relu', '--optimizer', 'gd', '--K', '2', '--M', '2'];
  const cases: { args: string[]; flag: string }[] = [
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--K', 'abc', '--M', '2'], flag: '--K' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--K', '0', '--M', '2'], flag: '--K' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--K', '2.5', '--M', '2'], flag: '--K' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--K', '2'], flag: '--M' },
    { args: ['--activation', 'tanh', '--optimizer', 'gd', '--K', '2', '--M', '2'], flag: '--activation' },
    { args: ['--optimizer', 'gd', '--K', '2', '--M', '2', '--alpha', '0.2'], flag: '--alpha' },
    { args: ['--activation', 'relu', '--optimizer', 'adam', '--K', '2', '--M', '2'], flag: '--optimizer' },
    { args: [...base, '--lr', 'NaN'], flag: '--lr' },
    { args: [...base, '--lr', 'Infinity'], flag: '--lr' },
    { args: [...base, '--lr', '-1'], flag: '--lr' },
    { args: [...base, '--t-max', '1e400'], flag: '--t-max' },
    { args: [...base, '--method', 'rk4'], flag: '--method' },
    { args: [...base, '--method', 'euler', '--dt', '0'], flag: '--dt' },
    {
      args: ['--activation', 'relu', '--optimizer', 'sgd', '--K', '2', '--M', '2', '--method', 'map'],
      flag: '--method',
    },
    { args: [...base, '--method', 'map', '--t-max', '1', '--dt', '0.3'], flag: '--dt' },
    {
      args: [...base, '--method', 'map', '--t-max', '1', '--dt', '0.1', '--save-times', '0,0.25'],
      flag: '--save-times',
    },
    { args: [...base, '--rtol', 'x'], flag: '--rtol' },
    { args: [...base, '--atol', '-1e-3'], flag: '--atol' },
    { args: [...base, '--convergence-tol', ''], flag: '--convergence-tol' },
    { args: [...base, '--save-times', 'log:1'], flag: '--save-times' },
    { args: [...base, '--save-times', '0,5,2'], flag: '--save-times' },
    { args: [...base, '--save-times', '0,500'], flag: '--save-times' },
    { args: [...base, '--save-times', 'cubic:5'], flag: '--save-times' },
    { args: [...base, '--alpha', '0.2'], flag: '--alpha' },
    {
      args: ['--activation', 'leaky-relu', '--optimizer', 'gd', '--K', '2', '--M', '2', '--alpha', '1'],
      flag: '--alpha',
    },
    { args: [...base, '--label-noise', '0.1'], flag: '--label-noise' },
    { args: [...base, '--lr-readout', '0.1'], flag: '--lr-readout' },
    { args: [...base, '--init-d', '1'], flag: '--init-d' },
    { args: [...base, '--seed', '-3'], flag: '--seed' },
    { args: [...base, '--format', 'xml'], flag: '--format' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--init', missingFile], flag: '--init' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--init', badJson], flag: '--init' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--init', asymmetric], flag: '--init.Q[0][1]' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--init', wrongShape], flag: '--init.R[1]' },
    { args: ['--activation', 'relu', '--optimizer', 'gd', '--init', asymmetric, '--seed', '3'], flag: '--seed' },
    { args: [...base, '--K', '3', '--init', asymmetric], flag: '--init' },
    { args: [...base, '--bogus', '1'], flag: '--bogus' },
  ];
  cases.forEach(({ args, flag }, i) => {
    it(`${args.slice(-2).join(' ')} → ${flag}`, async () => {
      const dir = join(work, `invalid-${i}`);
      const r = await cli('ode', ...args, '--out', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(flag);
      // One line, no stack trace.
      expect(r.stderr.trimEnd().split('\n').length).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(dir)).toBe(false);
    });
  });

  it('ngd/ongd need initial overlaps on their constraint set; random students are projected onto it', async () => {
    const file = join(work, 'unnormalised.json');
    writeFileSync(
      file,
      JSON.stringify({
        Q: [
          [1.5, 0],
          [0, 1],
        ],
        R: [
          [0.1, 0],
          [0, 0.1],
        ],
      }),
    );
    for (const optimizer of ['ngd', 'ongd']) {
      const dir = join(work, `constraint-${optimizer}`);
      const r = await cli('ode', '--activation', 'relu', '--optimizer', optimizer, '--init', file, '--out', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--init.Q[0][0]');
      expect(existsSync(dir)).toBe(false);
    }
    const r = await cli(
      'ode',
      '--activation',
      'erf',
      '--optimizer',
      'ongd',
      '--K',
      '2',
      '--M',
      '2',
      '--init-d',
      '4',
      '--t-max',
      '3',
      '--save-times',
      '0,3',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).trajectory;
    expect([rows[0].Q_1_1, rows[0].Q_1_2, rows[0].Q_2_2]).toEqual([1, 0, 1]);
    expect(Math.abs(rows[1].Q_1_2)).toBeLessThan(1e-9);
    expect(rows[1].R_1_1).not.toBe(rows[0].R_1_1);
  });

  it('--K/--M that contradict the init file are rejected', async () => {
    const file = join(work, 'k2.json');
    writeFileSync(
      file,
      JSON.stringify({
        Q: [
          [1, 0],
          [0, 1],
        ],
        R: [
          [0.1, 0],
          [0, 0.1],
        ],
      }),
    );
    const dir = join(work, 'mismatch');
    const r = await cli('ode', '--activation', 'relu', '--optimizer', 'gd', '--init', file, '--M', '3', '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--M: is 3 but .* has M = 2/);
    expect(existsSync(dir)).toBe(false);
  });

  it('--out is required with --format csv, and rejected with --format json', async () => {
    const r = await cli('ode', ...base);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out');
    const j = await cli('ode', ...base, '--format', 'json', '--out', join(work, 'json-out'));
    expect(j.code).toBe(2);
    expect(j.stderr).toContain('--out');
    expect(existsSync(join(work, 'json-out'))).toBe(false);
  });
});

describe('scm-harness ode: progress (#8 item 5)', () => {
  it('off a terminal with SCM_HARNESS_PROGRESS_SECONDS=0: plain lines in t/tMax on stderr, ending at 100%', () => {
    assertBuilt(['cli', 'cli/commands', 'runtime', 'theory', 'theory/solvers']);
    const dir = join(work, 'progress');
    const r = spawnSync(
      process.execPath,
      [join(root, 'bin', 'scm-harness'), ...BASE.slice(0, -4), '--t-max', '20', '--out', dir],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '1', SCM_HARNESS_PROGRESS_SECONDS: '0' } },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^ode: \d+% \(t = [\d.e+-]+\), ETA .*, \d+\.\d s$/);
    expect(lines.at(-1)).toMatch(/^ode: 100% \(t = 20\.0\), \d+\.\d s$/);
    expect(existsSync(join(dir, 'trajectory.csv'))).toBe(true);
  });

  it('a short run with the default interval prints nothing on stderr', async () => {
    const r = await cli(...BASE, '--out', join(work, 'quiet'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
