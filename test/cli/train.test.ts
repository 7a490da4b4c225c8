import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { overlapsFromJSON } from '../../src/theory/overlaps.js';

const work = mkdtempSync(join(tmpdir(), 'scm-train-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BASE = ['train', '--activation', 'relu', '--K', '2', '--M', '2', '--d', '30', '--lr', '0.5', '--t-max', '1'];
const csvLines = (path: string): string[] => readFileSync(path, 'utf8').trimEnd().split('\n');

describe('scm-harness train: outputs', () => {
  it('writes trajectories.csv, final.csv, init/seed-<s>.json and config.json as contracted', async () => {
    const dir = join(work, 'sgd');
    const r = await cli(...BASE, '--optimizer', 'sgd', '--seeds', '0..2', '--record', 'every:10', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');

    const lines = csvLines(join(dir, 'trajectories.csv'));
    expect(lines[0]).toBe('seed,step,t,loss,Q_1_1,Q_1_2,Q_2_2,R_1_1,R_1_2,R_2_1,R_2_2');
    // t_max·d = 30 steps, recorded at 0, 10, 20, 30, for 3 seeds.
    expect(lines.length).toBe(1 + 3 * 4);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((c) => c[0])).toEqual(['0', '0', '0', '0', '1', '1', '1', '1', '2', '2', '2', '2']);
    expect(rows.slice(0, 4).map((c) => [Number(c[1]), Number(c[2])])).toEqual([
      [0, 0],
      [10, 10 / 30],
      [20, 20 / 30],
      [30, 1],
    ]);

    const final = csvLines(join(dir, 'final.csv'));
    expect(final[0]).toBe('seed,status,step,t,loss,grad_norm,Q_1_1,Q_1_2,Q_2_2,R_1_1,R_1_2,R_2_1,R_2_2');
    expect(final.slice(1).map((l) => l.split(',').slice(0, 4))).toEqual(
      [0, 1, 2].map((s) => [String(s), 'running', '30', '1']),
    );

    for (const seed of [0, 1, 2]) {
      const initial = overlapsFromJSON(JSON.parse(readFileSync(join(dir, 'init', `seed-${seed}.json`), 'utf8')));
      const first = rows[4 * seed];
      expect(initial.Q[0]).toBe(Number(first[4]));
      expect(initial.R[3]).toBe(Number(first[10]));
    }

    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      command: 'train',
      optimizer: 'sgd',
      gradient: 'online',
      constraint: 'none',
      layers: 'first',
      K: 2,
      M: 2,
      d: 30,
      lr: 0.5,
      tMax: 1,
      batch: 1,
      dt: null,
      samples: null,
      seeds: [0, 1, 2],
      teacher: 'orthonormal',
      // auto resolves to the embedded wasm backend: tfjs-node is never installed by npm ci.
      backend: 'auto',
      backendUsed: { requested: 'auto', resolved: 'wasm', active: 'wasm' },
      record: 'every:10',
      totalSteps: 30,
      result: { running: 3, converged: 0, diverged: 0 },
    });
    expect(config.provenance.version).toMatch(/\d+\.\d+\.\d+/);
  });

  it('gd2l adds the readout columns; its init file starts `ode --init` at the same loss', async () => {
    const dir = join(work, 'gd2l');
    expect((await cli(...BASE, '--optimizer', 'gd2l', '--seeds', '4', '--dt', '0.1', '--out', dir)).code).toBe(0);
    const lines = csvLines(join(dir, 'trajectories.csv'));
    expect(lines[0]).toBe('seed,step,t,loss,Q_1_1,Q_1_2,Q_2_2,R_1_1,R_1_2,R_2_1,R_2_2,a_1,a_2');
    const odeDir = join(work, 'gd2l-ode');
    const ode = await cli(
      'ode',
      '--activation',
      'relu',
      '--optimizer',
      'gd2l',
      '--lr',
      '0.5',
      '--t-max',
      '1',
      '--init',
      join(dir, 'init', 'seed-4.json'),
      '--save-times',
      '0,1',
      '--out',
      odeDir,
    );
    expect(ode.code).toBe(0);
    const odeFirst = csvLines(join(odeDir, 'trajectory.csv'))[1].split(',');
    expect(Number(odeFirst[1])).toBe(Number(lines[1].split(',')[3]));
  });

  it.each([
    ['3', [3]],
    ['1,4,7', [1, 4, 7]],
    ['0..2', [0, 1, 2]],
  ])('--seeds %s', async (spec, seeds) => {
    const dir = join(work, `seeds-${spec}`);
    expect((await cli(...BASE, '--optimizer', 'gd', '--seeds', spec, '--record', 'every:50', '--out', dir)).code).toBe(
      0,
    );
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).seeds).toEqual(seeds);
    expect(
      csvLines(join(dir, 'final.csv'))
        .slice(1)
        .map((l) => Number(l.split(',')[0])),
    ).toEqual(seeds);
  });

  it('--init-weights starts every seed from the file’s weights', async () => {
    const W = [Array.from({ length: 30 }, (_, i) => (i % 3) - 1), Array.from({ length: 30 }, (_, i) => Math.cos(i))];
    const file = join(work, 'weights.json');
    writeFileSync(file, JSON.stringify({ W, a: [1, 0.5] }));
    const dir = join(work, 'from-file');
    expect(
      (await cli(...BASE, '--optimizer', 'gd2l', '--seeds', '0,1', '--init-weights', file, '--out', dir)).code,
    ).toBe(0);
    const q11 = W[0].reduce((s, w) => s + w * w, 0) / 30;
    for (const seed of [0, 1]) {
      const initial = JSON.parse(readFileSync(join(dir, 'init', `seed-${seed}.json`), 'utf8'));
      expect(initial.Q[0][0]).toBeCloseTo(q11, 6);
      expect(initial.a).toEqual([1, 0.5]);
    }
  });
});

describe('scm-harness train: invalid input → exit 2, one line naming the flag, nothing written', () => {
  it.each([
    ['--constraint stiefel with K > d', ['--optimizer', 'gd', '--constraint', 'stiefel', '--K', '40'], '--constraint'],
    ['ongd with K > d', ['--optimizer', 'ongd', '--K', '31'], '--constraint'],
    ['d < 1', ['--optimizer', 'sgd', '--d', '0'], '--d'],
    ['unknown optimizer', ['--optimizer', 'adam'], '--optimizer'],
    ['unknown backend', ['--optimizer', 'sgd', '--backend', 'gpu'], '--backend'],
    ['--backend node without @tensorflow/tfjs-node', ['--optimizer', 'sgd', '--backend', 'node'], '--backend'],
    ['--alpha for relu (default activation)', ['--alpha', '0.2'], '--alpha'],
    ['--samples without the empirical source', ['--optimizer', 'sgd', '--samples', '10'], '--samples'],
    ['empirical without --samples', ['--optimizer', 'gd', '--gradient', 'empirical'], '--samples'],
    ['--dt for online SGD', ['--optimizer', 'sgd', '--dt', '0.1'], '--dt'],
    ['t-max not a whole number of steps', ['--optimizer', 'gd', '--dt', '0.3'], '--dt'],
    ['empty seed range', ['--optimizer', 'sgd', '--seeds', '5..2'], '--seeds'],
    ['bad record grid', ['--optimizer', 'sgd', '--record', 'every:0'], '--record'],
    ['missing weights file', ['--optimizer', 'sgd', '--init-weights', '/nonexistent/w.json'], '--init-weights'],
  ])('%s', async (_, args, flag) => {
    const dir = join(work, `bad-${flag}-${args.join('_').replace(/[^a-z0-9]/gi, '')}`);
    const r = await cli(...BASE, ...args, '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    if (flag === '--backend' && args.includes('node')) expect(r.stderr).toContain('npm install @tensorflow/tfjs-node');
    expect(existsSync(dir)).toBe(false);
  });

  it('--init-weights that cannot be put on the sphere (a zero row)', async () => {
    const file = join(work, 'zero-row.json');
    writeFileSync(file, JSON.stringify({ W: [Array(30).fill(0), Array(30).fill(1)] }));
    const dir = join(work, 'bad-zero-row');
    const r = await cli(...BASE, '--optimizer', 'ngd', '--init-weights', file, '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--init-weights');
    expect(existsSync(dir)).toBe(false);
  });

  it('missing --out', async () => {
    const r = await cli(...BASE, '--optimizer', 'sgd');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out');
  });
});
