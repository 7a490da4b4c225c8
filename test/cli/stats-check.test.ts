import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'scm-stats-check-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

/** A K = M = 2 scenario (60 inits, every run global in practice) with the given published global %. */
function scenario(name: string, global: number): string {
  const path = join(work, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      kind: 'stats',
      name,
      source: 'test',
      base: { optimizer: 'gd', activation: 'relu', inits: 60, seed: 0 },
      rows: [{ K: 2, M: 2, paper: { global, k1: { '0': global } } }],
    }),
  );
  return path;
}

describe('stats --scenario --check', () => {
  it('exits 0 when every published cell is within |z| ≤ 3, and summary.md lists observed, published and z', async () => {
    const out = join(work, 'ok');
    const r = await cli('stats', '--scenario', scenario('ok', 100), '--check', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('every published cell within |z| ≤ 3');
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| K2-M2 \| +60 \| global +\| +100\.00 \| +100\.00 \| +0\.00 \| yes/);
    expect(summary).toContain('k1=0');
  });

  it('exits 1 listing every cell beyond 3 SE (global and k1 = 0 at a published 50 %)', async () => {
    const r = await cli('stats', '--scenario', scenario('bad', 50), '--check', '--out', join(work, 'bad'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('2 published cell(s) beyond |z| = 3');
    expect(r.stderr).toMatch(/K2-M2 global: 100\.00 % vs 50\.00 % \(z = \d+\.\d+, n = 60\)/);
    expect(r.stderr).toMatch(/K2-M2 k1=0: /);
  });

  it.each([
    [['--stability', 'maybe'], '--stability'],
    [['--stability', 'off', '--spectrum', 'on'], '--stability'],
  ])('stats %j is an input error naming %s, and writes nothing', async (flags, named) => {
    const out = join(work, `bad-${named}-${flags.length}`);
    const r = await cli('stats', '--K', '2', '--M', '2', '--inits', '2', ...flags, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(named);
    expect(existsSync(out)).toBe(false);
  });

  it('--check without --scenario is an input error', async () => {
    const r = await cli('stats', '--K', '2', '--M', '2', '--inits', '2', '--check', '--out', join(work, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--check');
  });
});
