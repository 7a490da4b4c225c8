import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, readCsv } from '../helpers/cli.js';
import { overlapsFromJSON } from '../../src/theory/overlaps.js';

const work = mkdtempSync(join(tmpdir(), 'scm-arcs-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const identity3 = join(work, 'identity-3.json');
writeFileSync(
  identity3,
  JSON.stringify({
    Q: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    R: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
  }),
);

const LAMBDA_MIN = 0.25 - 1 / (2 * Math.PI);

async function arcs(name: string, ...args: string[]) {
  const out = join(work, name);
  const r = await cli('arcs', ...args, '--out', out);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const text = readFileSync(join(out, 'arcs.csv'), 'utf8');
  return {
    out,
    stdout: r.stdout,
    text,
    rows: readCsv(text),
    summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')),
    config: JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')),
  };
}

describe('scm-harness arcs', () => {
  it('K = M = 3 global minimum: arcs.csv, summary.json (no barrier, flow back to the global minimum), arcs.svg, critical-point.json, config.json', async () => {
    const { out, text, rows, summary, config, stdout } = await arcs(
      'id3',
      '--from',
      identity3,
      '--radii',
      '0.001:0.1:5',
    );
    expect(text.split('\n')[0]).toBe(
      'r,loss_min,loss_max,loss_center,quadratic_min,quadratic_max,overlap_min,overlap_max,start_min,start_max,iterations_min,iterations_max,converged_min,converged_max',
    );
    expect(rows.map((row) => Number(row.r))).toEqual(
      [0.001, 0.001 * 10 ** 0.5, 0.01, 0.01 * 10 ** 0.5, 0.1].map((r, i) =>
        i === 0 || i === 4 ? r : expect.closeTo(r, 15),
      ),
    );
    for (const row of rows) {
      const r = Number(row.r);
      expect(Number(row.loss_max)).toBeGreaterThanOrEqual(Number(row.loss_min));
      expect(Number(row.quadratic_min)).toBeCloseTo(Number(row.loss_center) + (LAMBDA_MIN * r * r) / 2, 15);
      // O(r³) with a coefficient ~0.03 at this point (test/theory/arcs.test.ts).
      expect(Math.abs(Number(row.loss_min) - Number(row.quadratic_min))).toBeLessThan(0.1 * r ** 3);
      expect(Math.abs(Number(row.loss_max) - Number(row.quadratic_max))).toBeLessThan(0.2 * r ** 3);
      expect(row.converged_min).toBe('true');
      expect(row.converged_max).toBe('true');
      expect(Number(row.overlap_min)).toBeGreaterThan(0.99);
    }
    expect(summary).toMatchObject({
      activation: 'relu',
      optimizer: 'gd',
      K: 3,
      M: 3,
      d: 3,
      rank: 3,
      size: 9,
      critical: true,
      multiplicityMin: 3,
      barrier: 'none within the radii',
    });
    expect(summary.lambdaMin).toBeCloseTo(LAMBDA_MIN, 12);
    expect(summary.starts).toEqual({ min: ['hessian+', 'hessian-'], max: ['hessian+', 'hessian-'] });
    expect(summary.optimiser).toMatchObject({ relativeTolerance: 1e-8, allConverged: true });
    expect(summary.criticalPoint).toMatchObject({ status: 'converged', class: 'global', k1: 0 });
    expect(summary.criticalPoint.loss).toBeLessThan(1e-8);
    expect(readFileSync(join(out, 'arcs.svg'), 'utf8')).toMatch(/^<svg[^>]*width="560"/);
    const reached = overlapsFromJSON(
      JSON.parse(readFileSync(join(out, 'critical-point.json'), 'utf8')),
      'critical-point.json',
    );
    expect(reached.K).toBe(3);
    expect(config).toMatchObject({
      command: 'arcs',
      activation: 'relu',
      optimizer: 'gd',
      d: 3,
      dRequested: null,
      radii: '0.001:0.1:5',
      directions: 'hessian',
      seed: null,
      tMax: 1e5,
    });
    expect(stdout).toMatch(/barrier: none within the radii/);
  });

  it('--directions random:N adds seeded random starts (deterministic), and --d pads the realisation', async () => {
    const args = ['--from', identity3, '--radii', '0.01:0.1:3', '--directions', 'random:2', '--seed', '4', '--d', '4'];
    const a = await arcs('rand-a', ...args);
    const b = await arcs('rand-b', ...args);
    expect(a.text).toBe(b.text);
    expect(a.summary.starts.min).toEqual(['hessian+', 'hessian-', 'random1', 'random2']);
    expect(a.summary).toMatchObject({ d: 4, size: 12 });
    expect(a.config).toMatchObject({ directions: 'random:2', seed: 4, d: 4, dRequested: 4 });
  });

  it('gd2l: arcs in V and the readouts (K·d + K parameters)', async () => {
    const { summary, rows } = await arcs('gd2l', '--from', identity3, '--radii', '0.01:0.1:2', '--optimizer', 'gd2l');
    expect(summary).toMatchObject({ optimizer: 'gd2l', size: 12 });
    // The readout rescalings are flat directions: λ_min = 0 and the minimising arc stays at loss0 to O(r³).
    expect(Math.abs(summary.lambdaMin)).toBeLessThan(1e-12);
    for (const row of rows) expect(Number(row.loss_max)).toBeGreaterThanOrEqual(Number(row.loss_min));
  });
});

describe('scm-harness arcs: invalid input exits 2 with one line naming the flag and writes nothing', () => {
  it.each([
    ['--radii', ['--radii', '0.1:1']],
    ['--radii', ['--radii', '1:0.1:5']],
    ['--radii', ['--radii', '0:1:5']],
    ['--radii', ['--radii', '0.1:1:0']],
    ['--radii', ['--radii', '0.1:1:2.5']],
    ['--radii', ['--radii', '0.1:0.1:3']],
    ['--radii', ['--radii', '0.1:0.2:1']],
    ['--radii', ['--radii', 'a:b:c']],
    ['--directions', ['--directions', 'random:0']],
    ['--directions', ['--directions', 'eigen']],
    ['--seed', ['--seed', '3']],
    ['--seed', ['--directions', 'random:2', '--seed', '-1']],
    ['--t-max', ['--t-max', '0']],
    ['--d', ['--d', '2']],
    ['--activation', ['--activation', 'erf']],
    ['--optimizer', ['--optimizer', 'ngd']],
    ['--from', ['--from', '/nonexistent/overlaps.json']],
  ])('%s (%j)', async (flag, args) => {
    const out = join(work, `bad-${flag}-${args.join('_').replace(/[^a-z0-9]/gi, '')}`);
    const from = args.includes('--from') ? [] : ['--from', identity3];
    const r = await cli('arcs', ...from, ...args, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${flag}:`);
    expect(existsSync(out)).toBe(false);
  });

  it('--from and --out are required', async () => {
    const noFrom = await cli('arcs', '--out', join(work, 'no-from'));
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toContain('--from:');
    expect(existsSync(join(work, 'no-from'))).toBe(false);
    const noOut = await cli('arcs', '--from', identity3);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out:');
  });
});
