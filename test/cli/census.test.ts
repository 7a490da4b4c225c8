import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, root } from '../helpers/built.js';
import { cli, readCsv } from '../helpers/cli.js';
import { analyseStability } from '../../src/landscape/stability.js';
import { makeFlow } from '../../src/theory/config.js';
import { overlapsFromJSON } from '../../src/theory/overlaps.js';
import { clopperPearsonUpper } from '../../src/studies/census/binomial.js';

const work = mkdtempSync(join(tmpdir(), 'scm-census-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const INITS = '300';
const CONTRACT =
  'K,M,k1,solution,loss,stable,max_real_eigenvalue,hessian_min,hessian_max,reach_count,reach_fraction,reach_upper95,hidden';
const out = join(work, 'k4');
let rows: Record<string, string>[];

beforeAll(async () => {
  // K = M = 4 and K = 5, M = 4, 300 initialisations each (in this thread).
  const r = await cli('census', '--M', '4', '--overparam', '0,1', '--inits', INITS, '--seed', '11', '--out', out);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/census K=4 M=4: \d+ points/);
  rows = readCsv(readFileSync(join(out, 'census.csv'), 'utf8'));
});

describe('scm-harness census at K = M = 4 and K = 5, M = 4', () => {
  it('writes census.csv (contract columns first), census.md, census.html, config.json and every point file', () => {
    expect(readFileSync(join(out, 'census.csv'), 'utf8').startsWith(`${CONTRACT},`)).toBe(true);
    for (const f of ['census.md', 'census.html', 'config.json']) expect(existsSync(join(out, f))).toBe(true);
    for (const row of rows) expect(existsSync(join(out, row.file))).toBe(true);
    expect(readdirSync(join(out, 'points'))).toEqual(['K4-M4', 'K5-M4']);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.command).toBe('census');
    expect(config.shapes).toEqual([
      { K: 4, M: 4, initD: 4 },
      { K: 5, M: 4, initD: 5 },
    ]);
    const md = readFileSync(join(out, 'census.md'), 'utf8');
    expect(md).toMatch(/two-sided 95 % Clopper–Pearson/);
    expect(md).toMatch(/seeds 11…310/);
  });

  it('lists the global minimum, reached exactly as often as `stats` (saddle-safe default) reaches it (same seeds)', async () => {
    const global = rows.find((r) => r.K === '4' && r.verdict === 'global-minimum');
    expect(global?.k1).toBe('0');
    const statsOut = join(work, 'stats4');
    const s = await cli('stats', '--K', '4', '--M', '4', '--inits', INITS, '--seed', '11', '--out', statsOut);
    expect(s.code).toBe(0);
    const table = readCsv(readFileSync(join(statsOut, 'table.csv'), 'utf8'));
    const fraction = Number(table.find((t) => t.group === 'paper' && t.category === 'global')?.fraction);
    expect(Number(global?.reach_fraction)).toBe(fraction);
    // Every run is in one row, or not converged.
    const counts = rows.filter((r) => r.K === '4').reduce((n, r) => n + Number(r.reach_count), 0);
    expect(counts).toBeLessThanOrEqual(Number(INITS));
    expect(counts).toBeGreaterThanOrEqual(Number(INITS) - 3);
  });

  it('every row: stability as analyseStability gives it at its point file; hidden ⇔ stable ∧ never reached; exact bounds', () => {
    for (const row of rows) {
      const json = JSON.parse(readFileSync(join(out, row.file), 'utf8'));
      const o = overlapsFromJSON(json);
      const flow = makeFlow({ K: o.K, M: o.M, activation: 'relu', alpha: null }, { name: 'gd', lr: 1 });
      const report = analyseStability(flow, flow.pack(o));
      expect(row.verdict).toBe(report.verdict);
      expect(json.fixedPoint.verdict).toBe(report.verdict);
      expect(row.stable).toBe(String(report.verdict === 'stable' || report.verdict === 'global-minimum'));
      if (report.verdict !== 'global-minimum')
        expect(Number(row.max_real_eigenvalue)).toBeCloseTo(report.maxRealEigenvalue, 6);
      expect(row.hidden).toBe(String(row.stable === 'true' && row.reach_count === '0'));
      expect(Number(row.reach_upper95)).toBe(clopperPearsonUpper(Number(row.reach_count), Number(INITS)));
      expect(Number(row.reach_fraction)).toBe(Number(row.reach_count) / Number(INITS));
    }
  });

  it('Hessians: at a contact-free stable point H min = −max Re λ (docs/hessian.md); none at the zero-unit K = M + 1 global minimum', () => {
    const stable = rows.filter((r) => r.verdict === 'stable' && r.K === r.M && r.hessian_note === '');
    for (const r of stable) expect(Number(r.hessian_min)).toBeCloseTo(-Number(r.max_real_eigenvalue), 6);
    const global5 = rows.find((r) => r.K === '5' && r.verdict === 'global-minimum');
    expect(global5?.hessian_min).toBe('');
    expect(global5?.hessian_note).toMatch(/zero vector.*not differentiable/);
    // The K = M global minimum spectrum starts at ¼ − 1/2π.
    const global4 = rows.find((r) => r.K === '4' && r.verdict === 'global-minimum');
    expect(Number(global4?.hessian_min)).toBeCloseTo(0.25 - 1 / (2 * Math.PI), 10);
  });
});

describe('--catalogue-stability krylov (the default above 500 state coordinates, K = M ≥ 19)', () => {
  it('K = M = 4 and K = 5, M = 4: the same points, verdicts, reach counts and hidden list as the dense spectra', async () => {
    const krylovOut = join(work, 'k4-krylov');
    const r = await cli(
      'census',
      ...['--M', '4', '--overparam', '0,1', '--inits', INITS, '--seed', '11', '--catalogue-stability', 'krylov'],
      ...['--out', krylovOut],
    );
    expect(r.code).toBe(0);
    const krylov = readCsv(readFileSync(join(krylovOut, 'census.csv'), 'utf8'));
    expect(krylov.map((k) => [k.K, k.k1, k.solution, k.loss, k.verdict, k.reach_count, k.hidden])).toEqual(
      rows.map((d) => [d.K, d.k1, d.solution, d.loss, d.verdict, d.reach_count, d.hidden]),
    );
    // Stable points: the same rightmost realisable eigenvalue (Ritz values converge to tol·‖J‖ ≈ 1e-9 here).
    // Saddles: Krylov reports the largest realisable eigenvalue among those it computed and tagged, which
    // at multiple eigenvalues can be below the dense one (docs/hessian.md "Census of minima"): positive,
    // never above it.
    for (let i = 0; i < rows.length; i++) {
      const dense = Number(rows[i].max_real_eigenvalue);
      const found = Number(krylov[i].max_real_eigenvalue);
      if (rows[i].verdict === 'stable' || rows[i].verdict === 'degenerate')
        expect(Math.abs(found - dense)).toBeLessThan(1e-7);
      if (rows[i].verdict === 'saddle') {
        expect(found).toBeGreaterThan(0);
        expect(found).toBeLessThan(dense + 1e-7);
      }
    }
    expect(JSON.parse(readFileSync(join(krylovOut, 'config.json'), 'utf8')).catalogueStability).toBe('krylov');
  }, 120_000);
});

describe('census flags', () => {
  const bad: [string[], RegExp][] = [
    [['--K', '6..8', '--M', '6'], /^scm-harness: --K: takes one value/],
    [['--K', '6', '--M', '4'], /^scm-harness: --K: the k1 ansatz needs K = M or K = M \+ 1/],
    [['--M', '4', '--overparam', '2'], /^scm-harness: --overparam:/],
    [['--M', '4', '--inits', '0'], /^scm-harness: --inits:/],
    [['--M', '4', '--init-d', '3'], /^scm-harness: --init-d: must be at least M/],
    [['--M', '4', '--optimizer', 'sgd'], /^scm-harness: --optimizer:/],
    [['--M', '4', '--hessian', 'maybe'], /^scm-harness: --hessian:/],
    [['--M', '4', '--catalogue-stability', 'lanczos'], /^scm-harness: --catalogue-stability:/],
    [['--K', '4'], /^scm-harness: --M: is required/],
    [['--M', '4', '--scenario', 'x.json'], /^scm-harness: --M: is set by the scenario file/],
  ];
  for (const [args, message] of bad)
    it(`${args.join(' ')} → exit 2, one line naming the flag, nothing written`, async () => {
      const dir = join(work, `bad-${args.join('_').replace(/[^\w]/g, '')}`);
      const r = await cli('census', ...args, '--out', dir);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(dir)).toBe(false);
    });

  it('--scenario runs a census scenario file (with --inits overriding it)', async () => {
    const file = join(work, 'scenario.json');
    writeFileSync(file, JSON.stringify({ kind: 'census', name: 'tiny', M: [3], inits: 1000, hessian: false }));
    const dir = join(work, 'scenario');
    const r = await cli('census', '--scenario', file, '--inits', '20', '--out', dir);
    expect(r.code).toBe(0);
    const csv = readCsv(readFileSync(join(dir, 'census.csv'), 'utf8'));
    expect(csv.every((row) => row.hessian_note === 'not computed (hessian off)')).toBe(true);
    expect(csv.reduce((n, row) => n + Number(row.reach_count), 0)).toBe(20);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).name).toBe('tiny');
  });
});

describe('census on worker threads', () => {
  it('`--workers 2` writes the census.csv of one thread (built CLI)', () => {
    assertBuilt(['studies/census', 'landscape/stats', 'cli/commands']);
    const args = ['census', '--K', '5', '--M', '5', '--inits', '40', '--seed', '3'];
    const run = (dir: string, ...extra: string[]) =>
      execFileSync(join(root, 'bin', 'scm-harness'), [...args, ...extra, '--out', dir], { stdio: 'pipe' });
    run(join(work, 'one'));
    run(join(work, 'two'), '--workers', '2');
    expect(readFileSync(join(work, 'two', 'census.csv'), 'utf8')).toBe(
      readFileSync(join(work, 'one', 'census.csv'), 'utf8'),
    );
  });
});
