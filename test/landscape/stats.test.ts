import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveStatsConfig } from '../../src/landscape/stats/config.js';
import { mergeStats } from '../../src/studies/stats/merge.js';
import { type RunRecord, StatsContext, runInitialisation } from '../../src/landscape/stats/run.js';
import { statsResult } from '../../src/studies/stats/compute.js';
import { initDimensionPlot } from '../../src/studies/stats/init-dimension.js';
import { runStats } from '../../src/studies/stats/runner.js';
import { loadStatsScenario } from '../../src/studies/stats/scenario.js';
import { cli, readCsv } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'scm-stats-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const root = join(import.meta.dirname, '..', '..');

/** runs.csv rows without the wall time (the only column that depends on the machine), by seed. */
function deterministicRows(dir: string): Record<string, string>[] {
  return readCsv(readFileSync(join(dir, 'runs.csv'), 'utf8'))
    .map(({ wall_time_s: _, ...rest }) => rest)
    .sort((a, b) => Number(a.seed) - Number(b.seed));
}

describe('stats at K = M = 6 against the paper (Appendix G, Table 3(a))', () => {
  it('a few hundred initialisations give a global fraction within 3 binomial SE of 98.82%', async () => {
    const scenario = loadStatsScenario(join(root, 'scenarios', 'table1.json'), { inits: 300, rows: [6] });
    expect(scenario.rows).toHaveLength(1);
    const [row] = scenario.rows;
    expect(row.paper.global).toBe(98.82);
    const result = await runStats({ ...row.config, stability: 'dense' }, join(work, 'k6'), {
      workers: 1,
      paper: row.paper,
    });
    expect(result.records).toHaveLength(300);
    const global = result.table.find((r) => r.group === 'paper' && r.category === 'global');
    const p = (row.paper.global ?? Number.NaN) / 100;
    const se = Math.sqrt((p * (1 - p)) / 300);
    expect(Math.abs((global?.fraction ?? 0) - p)).toBeLessThan(3 * se);
    // Local end states are certified fixed points: Newton residual at the §7.9 threshold, no unstable direction.
    for (const r of result.records.filter((r) => r.class === 'spurious')) {
      expect(r.maxRhs).toBeLessThanOrEqual(1e-9);
      expect(r.nUnstable).toBe(0);
      expect(r.k1).toBeGreaterThanOrEqual(1);
    }
    for (const file of ['table.csv', 'table.md', 'histogram.svg', 'histogram.html', 'config.json'])
      expect(existsSync(join(work, 'k6', file))).toBe(true);
    expect(readFileSync(join(work, 'k6', 'histogram.svg'), 'utf8')).toContain('<svg');
  });
});

describe('stopping vs classifying', () => {
  it('a loose convergence threshold (the nGD tables use 1e-2) classifies the same end states, it does not stop runs early', () => {
    const strict = new StatsContext(resolveStatsConfig({ K: 5, M: 5, inits: 12, optimizer: 'ngd' }));
    const loose = new StatsContext(
      resolveStatsConfig({
        K: 5,
        M: 5,
        inits: 12,
        optimizer: 'ngd',
        thresholds: { convergedRhs: 1e-2, globalLoss: 1e-2 },
      }),
    );
    for (let seed = 0; seed < 12; seed++) {
      const a = runInitialisation(strict, seed);
      const b = runInitialisation(loose, seed);
      // Same trajectory up to the global-loss check (1e-2 vs 1e-5 may end a global run a chunk earlier).
      if (a.class === 'global') expect(b.class).toBe('global');
      else expect({ ...b, wallTime: 0 }).toEqual({ ...a, wallTime: 0 });
    }
  });
});

describe('sharding, merging and resuming give the uninterrupted result', () => {
  const base = { K: 5, M: 5, inits: 24, seed: 100 };

  it('shards 0/3, 1/3, 2/3 merged equal the unsharded run (runs and table)', async () => {
    await runStats(resolveStatsConfig(base), join(work, 'whole'), { workers: 1 });
    for (let i = 0; i < 3; i++)
      await runStats(resolveStatsConfig({ ...base, shard: { index: i, count: 3 } }), join(work, `shard${i}`), {
        workers: 1,
      });
    const merged = await mergeStats(
      [0, 1, 2].map((i) => join(work, `shard${i}`)),
      join(work, 'merged'),
    );
    expect(merged.records).toHaveLength(24);
    expect(deterministicRows(join(work, 'merged'))).toEqual(deterministicRows(join(work, 'whole')));
    expect(readFileSync(join(work, 'merged', 'table.csv'), 'utf8')).toBe(
      readFileSync(join(work, 'whole', 'table.csv'), 'utf8'),
    );
  });

  it('a killed run (rows lost, last line torn) resumes to the uninterrupted result, computing only the missing seeds', async () => {
    const dir = join(work, 'resumed');
    await runStats(resolveStatsConfig(base), dir, { workers: 1 });
    const lines = readFileSync(join(dir, 'runs.csv'), 'utf8').split('\n');
    // Keep the header and 9 rows, then half of the 10th row without its newline.
    writeFileSync(join(dir, 'runs.csv'), `${lines.slice(0, 10).join('\n')}\n${lines[10].slice(0, 17)}`);
    rmSync(join(dir, 'table.csv'));
    const resumed = await runStats(resolveStatsConfig(base), dir, { workers: 1 });
    expect(resumed.computed).toBe(24 - 9);
    expect(deterministicRows(dir)).toEqual(deterministicRows(join(work, 'whole')));
    expect(readFileSync(join(dir, 'table.csv'), 'utf8')).toBe(readFileSync(join(work, 'whole', 'table.csv'), 'utf8'));
  });

  it('refuses to resume with another configuration and to merge shards of different runs', async () => {
    await expect(
      runStats(resolveStatsConfig({ ...base, seed: 101 }), join(work, 'whole'), { workers: 1 }),
    ).rejects.toThrow(/different configuration \(seed\)/);
    await runStats(resolveStatsConfig({ ...base, inits: 6, shard: { index: 1, count: 3 } }), join(work, 'other'), {
      workers: 1,
    });
    await expect(mergeStats([join(work, 'shard0'), join(work, 'other')], join(work, 'bad-merge'))).rejects.toThrow(
      /differs .* in inits/,
    );
    await expect(mergeStats([join(work, 'shard0'), join(work, 'shard0')], join(work, 'bad-merge'))).rejects.toThrow(
      /given twice/,
    );
    expect(existsSync(join(work, 'bad-merge'))).toBe(false);
  });
});

describe('scm-harness stats / merge: flags', () => {
  it('runs a shard from the command line and merges it', async () => {
    const a = await cli('stats', '--K', '3', '--M', '3', '--inits', '4', '--shard', '0/2', '--out', join(work, 'cli0'));
    const b = await cli('stats', '--K', '3', '--M', '3', '--inits', '4', '--shard', '1/2', '--out', join(work, 'cli1'));
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(deterministicRows(join(work, 'cli0')).map((r) => r.seed)).toEqual(['0', '2']);
    const m = await cli('merge', join(work, 'cli0'), join(work, 'cli1'), '--out', join(work, 'cli-merged'));
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/4 of 4 runs/);
  });

  it.each([
    [['--K', '3', '--M', '3', '--inits', '0'], '--inits'],
    [['--K', '3', '--M', '3', '--inits', '5', '--shard', '2/2'], '--shard'],
    [['--K', '3', '--M', '3', '--inits', '5', '--optimizer', 'sgd'], '--optimizer'],
    [['--K', '3', '--M', '3', '--inits', '5', '--init-d', '2'], '--init-d'],
    [['--K', '3', '--M', '3', '--inits', '5', '--spectrum', 'maybe'], '--spectrum'],
    [['--scenario', join(root, 'scenarios', 'table1.json'), '--K', '6', '--inits', '5'], '--K'],
    [['--scenario', join(root, 'scenarios', 'table1.json'), '--rows', '99', '--inits', '5'], '--rows'],
  ])('bad input %j: exit 2, one line naming %s, nothing written', async (args, flag) => {
    const dir = join(work, `bad-${flag}`);
    const r = await cli('stats', ...args, '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(flag);
    expect(existsSync(dir)).toBe(false);
  });
});

function record(seed: number): RunRecord {
  return {
    seed,
    finalLoss: 0.02,
    class: 'global',
    k1: 0,
    k1Argmax: 0,
    steps: 1,
    wallTime: 0,
    tFinal: 1,
    maxRhs: 1e-12,
    finish: 'newton',
    newtonIterations: 0,
    nUnstable: null,
    maxRealEigenvalue: null,
    saddles: [],
  };
}

describe('stats scenario rows', () => {
  it('two rows with one id (same K, M, optimizer, initD; other thresholds) are refused at load, not after the first has run', () => {
    const file = join(work, 'duplicate-rows.json');
    const row = { K: 4, M: 3, paper: { global: 50 } };
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'stats',
        name: 'dup',
        source: 'test',
        base: { inits: 10 },
        rows: [row, { ...row, thresholds: { convergedRhs: 1e-2 } }],
      }),
    );
    expect(() => loadStatsScenario(file, {})).toThrow(/rows\[1\].*K4-M3.*rows\[0\]/);
  });
});

describe('shipped stats scenarios', () => {
  const dir = join(root, 'scenarios');
  it.each(['table1.json', 'table2.json', 'table3.json'])(
    '%s loads, with the published rows summing to 100%%',
    (file) => {
      const scenario = loadStatsScenario(join(dir, file), {});
      expect(scenario.name).toBe(file.replace(/\.json$/, ''));
      expect(scenario.rows.length).toBeGreaterThan(10);
      for (const row of scenario.rows) {
        expect(row.config.inits).toBe(10000);
        // The published percentages are rounded to 0.01 each.
        const { local = Number.NaN, global = Number.NaN, none = Number.NaN } = row.paper;
        expect(Math.abs(local + global + none - 100)).toBeLessThan(0.03);
      }
    },
  );

  it('init-dimension varies initD per row (ids K8-M8-d8 … K17-M17-d1000) and charts it', () => {
    const s = loadStatsScenario(join(dir, 'init-dimension.json'), {});
    expect(s.rows[0].id).toBe('K8-M8-d8');
    expect(s.rows.map((r) => r.config.initD)).toEqual([8, 16, 32, 100, 300, 1000, 17, 34, 100, 300, 1000]);
    const fake = (initD: number, global: number) =>
      statsResult(
        { ...s.rows[0].config, initD },
        Array.from({ length: 10 }, (_, i) => ({
          ...record(i),
          class: i < global ? ('global' as const) : ('spurious' as const),
          k1: i < global ? 0 : 1,
        })),
        10,
      );
    const plot = initDimensionPlot([fake(8, 9), fake(1000, 7)]);
    expect(plot?.id).toBe('init-dimension');
    expect(JSON.stringify(plot?.spec)).toContain('"series":"gd K=8 M=8 k1=1"');
    expect(initDimensionPlot([fake(8, 9), fake(8, 7)])).toBeNull();
    const empty = statsResult({ ...s.rows[0].config, initD: 300 }, [], 0);
    const values = (initDimensionPlot([fake(8, 9), empty])?.spec as { data: { values: { p: number }[] } }).data.values;
    expect(values.every((v) => Number.isFinite(v.p))).toBe(true);
  });

  it('main-table1 (k1 distribution) and main-table2 (global by optimizer) load with the published numbers', () => {
    const t1 = loadStatsScenario(join(dir, 'main-table1.json'), {});
    expect(t1.rows.map((r) => [r.id, r.config.initD])).toEqual([
      ['K17-M17', 1000],
      ['K18-M17', 1000],
      ['K19-M17', 1000],
    ]);
    expect(t1.rows.map((r) => r.paper.k1?.['0'])).toEqual([13.09, 59.29, 99.63]);
    expect(t1.rows[0].paper.k1).toEqual({ '0': 13.09, '1': 27.52, '2': 29.05, '3': 18.94, '4': 7.55 });
    const t2 = loadStatsScenario(join(dir, 'main-table2.json'), { rows: [18] });
    expect(t2.rows.map((r) => [r.config.optimizer, r.paper.global ?? r.paper.outcome])).toEqual([
      ['gd', 64.18],
      ['gd2l', 67.91],
      ['ngd', 58.35],
      ['ongd', 'no-convergence'],
    ]);
  });
});
