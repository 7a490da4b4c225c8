import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, readCsv } from '../helpers/cli.js';
import { solveFamily } from '../../src/landscape/families.js';
import { overlapsToJSON } from '../../src/model/overlaps.js';
import { globalMinimumSpectrum } from '../../src/theory/hessian/spectrum.js';
import { randomOverlaps } from '../../src/theory/init.js';
import { reluContacts } from '../../src/theory/hessian/relu-hessian.js';
import { realiseAtDimension } from '../../src/theory/hessian/weights.js';
import { teacherStudentFlow } from '../landscape/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'scm-hessian-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const R2PI = 1 / (2 * Math.PI);

function identityFile(K: number): string {
  const I = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1 : 0)));
  const path = join(work, `identity-${K}.json`);
  writeFileSync(path, JSON.stringify({ Q: I, R: I }));
  return path;
}

function writeJson(name: string, value: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

async function hessian(name: string, ...args: string[]) {
  const out = join(work, name);
  const r = await cli('hessian', ...args, '--out', out);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const eigenvalues = readCsv(readFileSync(join(out, 'eigenvalues.csv'), 'utf8')).map((row) => Number(row.eigenvalue));
  const spectrum = readCsv(readFileSync(join(out, 'spectrum.csv'), 'utf8')).map((row) => ({
    value: Number(row.eigenvalue),
    multiplicity: Number(row.multiplicity),
  }));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  return { out, stdout: r.stdout, eigenvalues, spectrum, summary, config };
}

const multiplicityOf = (spectrum: { value: number; multiplicity: number }[], value: number, tol: number) =>
  spectrum.filter((g) => Math.abs(g.value - value) <= tol).reduce((s, g) => s + g.multiplicity, 0);

describe('scm-harness hessian at the K = M global minimum Q = R = T = I (k = d = K)', () => {
  it('K = 3: the spectrum is the derived one (¼ − 1/2π ×3, ¼ + 1/2π absent since K(K−3)/2 = 0), with every output file', async () => {
    const { eigenvalues, spectrum, summary, config, stdout } = await hessian('id3', '--from', identityFile(3));
    expect(eigenvalues).toHaveLength(9);
    for (let i = 1; i < eigenvalues.length; i++) expect(eigenvalues[i]).toBeGreaterThanOrEqual(eigenvalues[i - 1]);
    // docs/hessian.md "Spectrum at the global minimum": closed form vs derivation agree to 1e-12.
    // The derivation lists ¼ − 1/2π once per sector (antisymmetric and standard): merge equal values.
    const derived = globalMinimumSpectrum(3).groups.reduce<{ value: number; multiplicity: number }[]>((acc, g) => {
      const last = acc[acc.length - 1];
      if (last !== undefined && Math.abs(last.value - g.value) < 1e-12) last.multiplicity += g.multiplicity;
      else acc.push({ value: g.value, multiplicity: g.multiplicity });
      return acc;
    }, []);
    expect(spectrum.map((g) => g.multiplicity)).toEqual(derived.map((g) => g.multiplicity));
    spectrum.forEach((g, i) => expect(Math.abs(g.value - derived[i].value)).toBeLessThan(1e-12));
    expect(multiplicityOf(spectrum, 0.25 - R2PI, 1e-12)).toBe(3);
    expect(multiplicityOf(spectrum, 0.25 + R2PI, 1e-6)).toBe(0);
    expect(summary).toMatchObject({
      activation: 'relu',
      optimizer: 'gd',
      method: 'exact',
      K: 3,
      M: 3,
      d: 3,
      rank: 3,
      teacherRank: 3,
      size: 9,
      critical: true,
    });
    expect(summary.counts).toEqual({ negative: 0, zero: 0, positive: 9 });
    expect(summary.min).toBeCloseTo(0.25 - R2PI, 12);
    expect(summary.max).toBe(eigenvalues[8]);
    expect(summary.loss).toBeLessThan(1e-15);
    expect(summary.gradientNorm).toBeLessThan(1e-12);
    expect(summary.tolerances.zero.relative).toBe(1e-8);
    expect(summary.tolerances.cluster.relative).toBe(1e-8);
    expect(summary.zeroModes).toMatchObject({
      measured: 0,
      predicted: { rotations: 0, rescalings: 0, total: 0 },
      explained: true,
    });
    // V = V*: every student is parallel to its teacher (the closed form is the C² limit there).
    expect(summary.contacts.map((c: { kind: string }) => c.kind)).toEqual(['parallel', 'parallel', 'parallel']);
    expect(config).toMatchObject({
      command: 'hessian',
      activation: 'relu',
      optimizer: 'gd',
      method: 'exact',
      d: 3,
      dRequested: null,
      zeroTol: 1e-8,
      clusterTol: 1e-8,
      fdStep: null,
    });
    expect(config.overlaps.Q).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(stdout).toMatch(/0\.09084505691 ×3/);
  });

  it.each([4, 5])('K = %i: ¼ − 1/2π has multiplicity K(K−1)/2 and ¼ + 1/2π multiplicity K(K−3)/2', async (K) => {
    const { spectrum } = await hessian(`id${K}`, '--from', identityFile(K));
    expect(multiplicityOf(spectrum, 0.25 - R2PI, 1e-12)).toBe((K * (K - 1)) / 2);
    expect(multiplicityOf(spectrum, 0.25 + R2PI, 1e-12)).toBe((K * (K - 3)) / 2);
    expect(spectrum.reduce((s, g) => s + g.multiplicity, 0)).toBe(K * K);
  });

  it('exact and --method fd agree to the O(h) contact error h/2π (V = V* is a contact), and fd states its tolerances', async () => {
    const exact = await hessian('id3-exact', '--from', identityFile(3));
    const fd = await hessian('id3-fd', '--from', identityFile(3), '--method', 'fd');
    // docs/hessian.md "Finite differences": at an exact contact the error is h/2π = 1.59e-6 (h = 1e-5).
    const diff = Math.max(...exact.eigenvalues.map((l, i) => Math.abs(l - fd.eigenvalues[i])));
    expect(diff).toBeLessThan(2e-6);
    expect(diff).toBeGreaterThan(1e-7); // the contact error is really there: the comparison can fail
    expect(fd.spectrum.map((g) => g.multiplicity)).toEqual(exact.spectrum.map((g) => g.multiplicity));
    expect(fd.summary.method).toBe('fd');
    expect(fd.summary.tolerances.zero.relative).toBe(1e-5);
    expect(fd.config.fdStep).toBe(1e-5);
  });

  it('exact and fd agree to 1e-8 relative at a contact-free generic point (K = 3, M = 2, d = 6)', async () => {
    const o = randomOverlaps(3, 2, 6, 4);
    const from = writeJson('generic.json', overlapsToJSON(o));
    const exact = await hessian('generic-exact', '--from', from, '--d', '6');
    const fd = await hessian('generic-fd', '--from', from, '--d', '6', '--method', 'fd');
    expect(exact.summary.contacts).toEqual([]);
    expect(exact.eigenvalues).toHaveLength(18);
    const scale = Math.max(...exact.eigenvalues.map(Math.abs));
    exact.eigenvalues.forEach((l, i) => expect(Math.abs(l - fd.eigenvalues[i])).toBeLessThan(1e-8 * scale));
    // Not a critical point: the gradient norm says so.
    expect(exact.summary.critical).toBe(false);
    expect(exact.summary.gradientNorm).toBeGreaterThan(1e-3);
  });

  it('gd2l: K·d + K parameters, and the K readout rescalings are the zero modes', async () => {
    const { eigenvalues, summary } = await hessian(
      'id3-gd2l',
      '--from',
      identityFile(3),
      '--optimizer',
      'gd2l',
      '--d',
      '5',
    );
    expect(eigenvalues).toHaveLength(18);
    expect(summary).toMatchObject({ optimizer: 'gd2l', d: 5, rank: 3, size: 18 });
    expect(summary.zeroModes).toMatchObject({
      measured: 3,
      predicted: { rotations: 0, rescalings: 3, total: 3 },
      explained: true,
    });
    expect(summary.min).toBeGreaterThan(-1e-12);
  });
});

describe('scm-harness hessian: rotation zero modes at a critical point with students outside the teacher span', () => {
  it('K = M = 4 k1 = 1 saddle with r = rank Ω = 5 > r* = 4: measured zero count = (d − r)(r − r*) + (r − r*)(r − r* − 1)/2', async () => {
    const flow = teacherStudentFlow('gd', 4, 4);
    const point = solveFamily(flow, 1).find((s) => {
      const { point: p, rank } = realiseAtDimension(flow.unpack(s.x));
      return rank === 5 && reluContacts(p, 1e-4).length === 0;
    });
    expect(point).toBeDefined();
    const from = writeJson('k4-saddle.json', overlapsToJSON(flow.unpack(point!.x)));
    for (const d of [5, 8]) {
      const { summary, eigenvalues } = await hessian(`k4-saddle-${d}`, '--from', from, '--d', String(d));
      expect(eigenvalues).toHaveLength(4 * d);
      expect(summary.critical).toBe(true);
      expect(summary.rank).toBe(5);
      expect(summary.teacherRank).toBe(4);
      expect(summary.counts.negative).toBeGreaterThan(0);
      expect(summary.zeroModes).toMatchObject({
        measured: d - 5,
        predicted: { rotations: d - 5, total: d - 5 },
        explained: true,
      });
    }
  });
});

describe('scm-harness hessian: invalid input exits 2 with one line naming the flag and writes nothing', () => {
  const zeroStudent = {
    Q: [
      [1, 0],
      [0, 0],
    ],
    R: [[1], [0]],
  };
  const notPsd = {
    Q: [
      [1, 2],
      [2, 1],
    ],
    R: [[0], [0]],
  };
  it.each([
    ['--d', ['--from', 'ID3', '--d', '2']],
    ['--d', ['--from', 'ID3', '--d', '1.5']],
    ['--d', ['--from', 'ID3', '--d', '500']],
    ['--activation', ['--from', 'ID3', '--activation', 'erf']],
    ['--optimizer', ['--from', 'ID3', '--optimizer', 'sgd']],
    ['--method', ['--from', 'ID3', '--method', 'newton']],
    ['--zero-tol', ['--from', 'ID3', '--zero-tol', '0']],
    ['--cluster-tol', ['--from', 'ID3', '--cluster-tol', 'x']],
    ['--from', []],
    ['--from', ['--from', 'MISSING']],
    ['--from', ['--from', 'BADJSON']],
    ['--from', ['--from', 'NOTPSD']],
    ['--from', ['--from', 'ZERO']],
  ])('%s (%j)', async (flag, args) => {
    const files: Record<string, string> = {
      ID3: identityFile(3),
      MISSING: join(work, 'missing.json'),
      BADJSON: writeJson('bad.json', '{"Q": [[1]'),
      NOTPSD: writeJson('notpsd.json', notPsd),
      ZERO: writeJson('zero.json', zeroStudent),
    };
    const out = join(work, `bad-${flag}-${args.join('_').replace(/[^a-z0-9]/gi, '')}`);
    const r = await cli('hessian', ...args.map((a) => files[a] ?? a), '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${flag}:`);
    expect(existsSync(out)).toBe(false);
  });

  it('--out is required', async () => {
    const r = await cli('hessian', '--from', identityFile(3));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out:');
  });
});
