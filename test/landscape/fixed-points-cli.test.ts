import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countAntiAligned, countAntiAlignedArgmax } from '../../src/landscape/classify.js';
import { permutationSignature, sameSignature } from '../../src/landscape/distinct.js';
import { overlapsFromJSON } from '../../src/theory/overlaps.js';
import { cli, readCsv } from '../helpers/cli.js';
import { maxAbs, rhsOf, teacherStudentFlow } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'scm-fixed-points-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scm-harness fixed-points', () => {
  it('writes families.csv (contract columns) and one overlaps JSON per fixed point', async () => {
    const dir = join(work, 'k6');
    const r = await cli('fixed-points', '--K', '6', '--M', '6', '--k1', '0..1', '--out', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'families.csv'), 'utf8');
    const header = text.split('\n')[0].split(',');
    for (const column of [
      'k1',
      'loss',
      'residual',
      'n_unstable',
      'max_real_eigenvalue',
      'stable',
      'x1',
      'y1',
      'z1',
      'z2',
      'x2',
      'y2',
      'q1',
      'q2',
      'q3',
      'q4',
      'q5',
    ]) {
      expect(header).toContain(column);
    }
    const rows = readCsv(text);
    expect(rows[0]).toMatchObject({ k1: '0', stable: 'true', verdict: 'global-minimum' });
    const k1 = rows.filter((row) => row.k1 === '1' && row.stable === 'true');
    expect(k1).toHaveLength(1);
    expect(Number(k1[0].max_real_eigenvalue)).toBeLessThan(0);
    expect(k1[0].y2).toBe('');
    // Each JSON is a fixed point of the full flow (residual column and an independent evaluation).
    const flow = teacherStudentFlow('gd', 6, 6);
    for (const row of rows) {
      expect(Number(row.residual)).toBeLessThan(1e-10);
      const o = overlapsFromJSON(JSON.parse(readFileSync(join(dir, row.file), 'utf8')));
      expect(maxAbs(rhsOf(flow, flow.pack(o)))).toBeLessThan(1e-10);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'config.json')).toHaveLength(rows.length);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({
      command: 'fixed-points',
      K: 6,
      M: 6,
      optimizer: 'gd',
      source: { kind: 'ansatz', k1: [0, 1] },
    });
  });

  it('clamps a round-off negative loss at 0 in families.csv and the fixed point JSON (io/loss.ts)', async () => {
    // At K = M = 5 the global minimum's float64 loss cancels to about −1e-16.
    const dir = join(work, 'k5-clamp');
    const r = await cli('fixed-points', '--K', '5', '--M', '5', '--k1', '0', '--out', dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = readCsv(readFileSync(join(dir, 'families.csv'), 'utf8'));
    expect(rows[0]).toMatchObject({ verdict: 'global-minimum', loss: '0' });
    for (const row of rows) {
      expect(Number(row.loss)).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(readFileSync(join(dir, row.file), 'utf8')).fixedPoint.loss).toBe(Number(row.loss));
    }
  });

  it('families.csv has one row per distinct fixed point, labelled by its measured k1 (issue 9)', async () => {
    const dir = join(work, 'k8');
    const r = await cli('fixed-points', '--K', '8', '--M', '8', '--out', dir);
    expect(r.code).toBe(0);
    const rows = readCsv(readFileSync(join(dir, 'families.csv'), 'utf8'));
    const points = rows.map((row) => ({ row, json: JSON.parse(readFileSync(join(dir, row.file), 'utf8')) }));
    for (const { row, json } of points) {
      const o = overlapsFromJSON(json);
      expect(Number(row.k1)).toBe(countAntiAligned(o));
      expect(Number(row.k1_argmax)).toBe(countAntiAlignedArgmax(o));
      // The JSON says what the point is, and ode --init still reads it (overlapsFromJSON above).
      expect(json.fixedPoint).toMatchObject({ k1: Number(row.k1), loss: Number(row.loss), verdict: row.verdict });
      expect(row.ansatz_labels).toMatch(/^\d+(;\d+)*$/);
    }
    // No two rows are the same point up to a permutation of units.
    const signatures = points.map(({ row, json }) => permutationSignature(overlapsFromJSON(json), Number(row.loss)));
    signatures.forEach((a, i) => signatures.slice(i + 1).forEach((b) => expect(sameSignature(a, b)).toBe(false)));
    // K = M = 8 (issue 5): the stable non-global points are k1 = 1, 2, 6, 7, 8, one each.
    const stable = rows.filter((row) => row.verdict === 'stable').map((row) => Number(row.k1));
    expect(stable.sort((a, b) => a - b)).toEqual([1, 2, 6, 7, 8]);
  });

  it('--from polishes a given state into the same fixed point and counts its k1', async () => {
    const source = join(work, 'k6', 'k1-1-0.json');
    const o = JSON.parse(readFileSync(source, 'utf8'));
    // Move the start away from the fixed point, realisably: Q + εI (students leave the teacher span)
    // plus a smaller symmetric off-diagonal change that εI keeps positive semidefinite.
    for (let i = 0; i < 6; i++) o.Q[i][i] += 1e-3;
    o.Q[1][2] += 1e-4;
    o.Q[2][1] += 1e-4;
    const start = join(work, 'start.json');
    writeFileSync(start, JSON.stringify(o));
    const dir = join(work, 'from');
    const r = await cli('fixed-points', '--from', start, '--out', dir);
    expect(r.code).toBe(0);
    const [row] = readCsv(readFileSync(join(dir, 'families.csv'), 'utf8'));
    expect(row).toMatchObject({ k1: '1', stable: 'true', verdict: 'stable', newton_status: 'converged' });
    expect(Number(row.residual)).toBeLessThanOrEqual(1e-12);
    const expected = readCsv(readFileSync(join(work, 'k6', 'families.csv'), 'utf8')).find(
      (e) => e.file === 'k1-1-0.json',
    );
    expect(Number(row.loss)).toBeCloseTo(Number(expected?.loss), 12);
  });

  it.each([
    [['--K', '6', '--M', '4'], '--K'],
    [['--K', '4', '--M', '4', '--k1', '5'], '--k1'],
    [['--K', '4', '--M', '4', '--optimizer', 'sgd'], '--optimizer'],
    [['--K', 'x', '--M', '4'], '--K'],
    [['--from', 'does-not-exist.json'], '--from'],
    [['--K', '4', '--M', '4', '--perturb', '0.1,-1'], '--perturb'],
    [['--K', '4', '--M', '4', '--t-relax', '5'], '--t-relax'],
  ])('bad input %j: exit 2, one line naming %s, nothing written', async (args, flag) => {
    const dir = join(work, `bad-${flag}-${args.length}`);
    const r = await cli('fixed-points', ...args, '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(flag);
    expect(existsSync(dir)).toBe(false);
  });

  it('--perturb adds perturbation.csv: the K = M family returns, its K = M + 1 embedding escapes', async () => {
    const dir = join(work, 'perturb');
    const r = await cli(
      'fixed-points',
      '--K',
      '6',
      '--M',
      '6',
      '--k1',
      '1',
      '--perturb',
      '0.05',
      '--perturb-d',
      '30',
      '--t-relax',
      '300',
      '--repetitions',
      '2',
      '--out',
      dir,
    );
    expect(r.code).toBe(0);
    const rows = readCsv(readFileSync(join(dir, 'perturbation.csv'), 'utf8'));
    const stable = readCsv(readFileSync(join(dir, 'families.csv'), 'utf8')).find((row) => row.stable === 'true');
    const own = rows.find((row) => row.case === 'K=6' && row.solution === stable?.solution);
    const embedded = rows.find((row) => row.case === 'K=M+1 embedded' && row.solution === stable?.solution);
    expect(Number(own?.distance_mean)).toBeLessThan(Number(own?.initial_distance_mean) / 10);
    expect(Number(embedded?.loss_gap_mean)).toBeLessThan(-0.5 * Number(stable?.loss));
  });
});
