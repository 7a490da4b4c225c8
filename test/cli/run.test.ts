import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { cli as inProcessCli } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'scm-harness');
const work = mkdtempSync(join(tmpdir(), 'scm-run-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The real executable (dist/, built by `npm ci` / `npx tsc -p .`), as a user or CI job runs it. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same entry point in-process (fast, for the many malformed-input cases). */
async function inProcess(args: string[]) {
  try {
    return await inProcessCli(...args);
  } finally {
    process.exitCode = undefined;
  }
}

function scenarioFile(name: string, json: unknown): string {
  const path = join(work, `${name}.json`);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
}

const quickstart = () => JSON.parse(readFileSync(join(ROOT, 'scenarios', 'quickstart.json'), 'utf8'));

describe('scm-harness check scenarios/quickstart.json', () => {
  it('runs end to end, writes the report and passes every tolerance', () => {
    const out = join(work, 'quickstart');
    const r = cli(['check', 'scenarios/quickstart.json', '--out', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/report written to .*report\.html/);
    for (const f of [
      'trajectories.csv',
      'comparison.csv',
      'broadening.csv',
      'broadening-fits.csv',
      'config.json',
      'summary.md',
      'report.html',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\*\*PASS\*\*/);
    expect(summary).toContain('scm-harness check scenarios/quickstart.json');
    // 4 gd seeds × 3 d + 8 sgd seeds × 3 d = 36 comparison rows.
    const comparison = readFileSync(join(out, 'comparison.csv'), 'utf8').trim().split('\n');
    expect(comparison[0]).toMatch(/^run,optimizer,d,seed,status,/);
    expect(comparison).toHaveLength(37);
    const header = readFileSync(join(out, 'trajectories.csv'), 'utf8').split('\n', 1)[0];
    expect(header).toBe(
      'run,d,seed,source,step,t,loss,Q_1_1,Q_1_2,Q_1_3,Q_2_2,Q_2_3,Q_3_3,R_1_1,R_1_2,R_1_3,R_2_1,R_2_2,R_2_3,R_3_1,R_3_2,R_3_3',
    );
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.provenance.version).toBeTruthy();
    expect(config.command).toBe('check');
    expect(config.runs[1].theoryMethod).toBe('dopri5');
    // No temporary files left behind by the atomic writes.
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<\/html>\s*$/);
  });

  it('exits 1 and names each violated tolerance of an impossible copy', () => {
    const s = quickstart();
    // A reduced copy (one GD run, one d, two seeds) with a tolerance no float32 network can meet.
    s.runs = [{ ...s.runs[0], d: [20], seeds: [0, 1], tMax: 4, tolerances: { maxLossDeviation: 1e-12 } }];
    const out = join(work, 'impossible');
    const r = cli(['check', scenarioFile('impossible', s), '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('gd.maxLossDeviation, '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^gd\.maxLossDeviation, [0-9.e-]+, 1\.00e-12, seed 0 \/ d 20$/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\*\*FAIL\*\*/);
    // `run` on the same file only reports: exit 0.
    expect(cli(['run', join(work, 'impossible.json'), '--out', join(work, 'impossible-run')]).code).toBe(0);
  });
});

describe('a scenario without tolerances', () => {
  it('says "no tolerances checked" on stdout and in the summary headline, never "0 of 0 tolerances hold"', async () => {
    const s = quickstart();
    s.runs = [{ ...s.runs[0], d: [20], seeds: [0], tMax: 2 }];
    delete s.runs[0].tolerances;
    const out = join(work, 'no-tolerances');
    const r = await inProcess(['run', scenarioFile('no-tolerances', s), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^quickstart: no tolerances checked, [\d.]+ s$/m);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('; no tolerances checked; wall time');
    expect(r.stdout + summary).not.toMatch(/0 of 0/);
  });
});

describe('--workers', () => {
  it('two worker threads give byte-identical tables to one', () => {
    const s = quickstart();
    // Reduced: four small ensembles (two runs × two d), enough to keep two workers busy.
    s.runs = [
      { ...s.runs[0], d: [20, 40], seeds: [0, 1], tMax: 2 },
      { ...s.runs[1], d: [50, 100], seeds: [0, 1, 2], tMax: 1 },
    ];
    const file = scenarioFile('workers', s);
    const one = join(work, 'workers-1');
    const two = join(work, 'workers-2');
    expect(cli(['run', file, '--out', one, '--workers', '1']).code).toBe(0);
    const r = cli(['run', file, '--out', two, '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(two, 'config.json'), 'utf8')).workers).toBe(2);
    for (const f of ['trajectories.csv', 'comparison.csv', 'broadening.csv']) {
      expect(readFileSync(join(two, f), 'utf8'), f).toBe(readFileSync(join(one, f), 'utf8'));
    }
  });
});

describe('malformed scenarios: exit 2, the JSON path in the message, nothing written', () => {
  afterEach(() => vi.restoreAllMocks());
  const base = () => ({
    name: 'bad',
    model: { K: 3, M: 3 },
    runs: [{ id: 'gd', optimizer: 'gd', lr: 1, dt: 0.05, d: [10, 40], seeds: '0..1', tMax: 1 }],
  });
  const CASES: [string, (s: any) => void, string][] = [
    ['unknown key', (s) => (s.runs[0].learning_rate = 1), 'runs[0].learning_rate'],
    ['K < 1', (s) => (s.model.K = 0), 'model.K'],
    ['wrong type', (s) => (s.runs[0].d = [10, 'forty']), 'runs[0].d[1]'],
    ['non-finite number', (s) => (s.runs[0].lr = '__INF__'), 'runs[0].lr'],
    ['empty seed list', (s) => (s.runs[0].seeds = []), 'runs[0].seeds'],
    ['d < K with Stiefel', (s) => Object.assign(s.runs[0], { optimizer: 'ongd', d: [10, 2] }), 'runs[0].d[1]'],
    ['unknown optimizer', (s) => (s.runs[0].optimizer = 'adam'), 'runs[0].optimizer'],
    ['negative lr', (s) => (s.runs[0].lr = -0.1), 'runs[0].lr'],
    ['missing runs', (s) => delete s.runs, 'runs'],
    ['tMax not a whole number of steps', (s) => (s.runs[0].tMax = 1.01), 'runs[0].dt'],
    ['unknown backend', (s) => (s.runs[0].backend = 'gpu'), 'runs[0].backend'],
    [
      'impossible slope bound',
      (s) => (s.runs[0].tolerances = { spreadSlope: { min: 1, max: 0 } }),
      'runs[0].tolerances.spreadSlope.min',
    ],
  ];
  it.each(CASES)('%s', async (name, mutate, path) => {
    const s = base();
    mutate(s);
    const file = scenarioFile(`bad-${name.replace(/\W+/g, '-')}`, JSON.stringify(s).replace('"__INF__"', '1e999'));
    const out = join(work, `bad-out-${name.replace(/\W+/g, '-')}`);
    const r = await inProcess(['run', file, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`scm-harness: ${path}: `);
    expect(existsSync(out)).toBe(false);
  });

  it('the real binary exits 2 on a bad file and on a bad --workers, without a stack trace', () => {
    const missing = cli(['check', join(work, 'no-such.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such\.json: cannot read the scenario file \(ENOENT\)/);
    const notJson = cli(['run', scenarioFile('not-json', '{"name": ')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/not valid JSON/);
    const workers = cli(['run', 'scenarios/quickstart.json', '--workers', '0', '--out', join(work, 'never')]);
    expect(workers.code).toBe(2);
    expect(workers.stderr).toMatch(/--workers: must be a positive integer/);
    expect(workers.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});

describe('scm-harness schema', () => {
  it('prints the strict JSON Schema that the shipped scenarios satisfy', async () => {
    const r = await inProcess(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'model', 'runs', 'theory', 'comparison', 'output']),
    );
  });
});
