import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/landscape/stats/run.js';
import { paperAgrees, paperCells } from '../../src/studies/stats/paper.js';

function runs(counts: { global?: number; spurious?: [number, number][]; none?: number }): RunRecord[] {
  const base = {
    finalLoss: 0.02,
    steps: 1,
    wallTime: 0,
    tFinal: 1,
    maxRhs: 1e-12,
    finish: 'newton' as const,
    newtonIterations: 0,
    nUnstable: 0,
    maxRealEigenvalue: -1e-3,
    saddles: [],
  };
  const out: RunRecord[] = [];
  const push = (n: number, cls: RunRecord['class'], k1: number) => {
    for (let i = 0; i < n; i++) out.push({ ...base, seed: out.length, class: cls, k1, k1Argmax: k1 });
  };
  push(counts.global ?? 0, 'global', 0);
  for (const [k1, n] of counts.spurious ?? []) push(n, 'spurious', k1);
  push(counts.none ?? 0, 'not-converged', 2);
  return out;
}

describe('paper cells: two-proportion z against published percentages', () => {
  it('z follows the pooled formula; a cell 12 SE off fails, one within 3 passes', () => {
    // 359 of 1000 local vs 48.95 % of 10⁴ (the nGD K = 4, M = 3 row of issue 9).
    const records = runs({ global: 641, spurious: [[0, 359]] });
    const [local, global] = paperCells(records, { local: 48.95, global: 51.05, inits: 10_000 });
    const pooled = (359 + 4895) / 11_000;
    const z = (0.359 - 0.4895) / Math.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 10_000));
    expect(local.z).toBeCloseTo(z, 12);
    expect(local.pass).toBe(false);
    expect(global.z).toBeCloseTo(-z, 12);
    expect(paperAgrees(runs({ global: 500, spurious: [[1, 500]] }), { global: 51.05, local: 48.95 })).toBe(true);
  });

  it('k1 cells count runs at rest with that k1 (k1 = 0 includes the global runs); a published 0 % tolerates rare hits', () => {
    const records = runs({
      global: 130,
      spurious: [
        [1, 280],
        [2, 290],
        [0, 1],
      ],
      none: 299,
    });
    const cells = paperCells(records, { k1: { '0': 13.09, '1': 27.52, '2': 29.05, '5': 0 } });
    expect(cells.map((c) => [c.cell, c.observed])).toEqual([
      ['k1=0', 0.131],
      ['k1=1', 0.28],
      ['k1=2', 0.29],
      ['k1=5', 0],
    ]);
    expect(cells.every((c) => c.pass)).toBe(true);
    // 1 of 1000 at a published 0.00 % (of 10⁴): pooled 1/11000, z ≈ 3.0 — at the limit, not infinite.
    const [rare] = paperCells(runs({ global: 999, spurious: [[5, 1]] }), { k1: { '5': 0 } });
    expect(rare.z).toBeGreaterThan(2.9);
    expect(rare.z).toBeLessThan(3.2);
  });

  it('no runs at all agree with nothing: every published cell fails (z NaN), so --check cannot pass on an empty shard', () => {
    const cells = paperCells([], { global: 50, local: 50, k1: { '0': 0 } });
    expect(cells).toHaveLength(3);
    for (const c of cells) {
      expect(c.pass).toBe(false);
      expect(c.z).toBeNaN();
    }
    expect(paperAgrees([], { global: 100 })).toBe(false);
  });

  it('an outcome without numbers yields no cell', () => {
    expect(paperCells(runs({ none: 10 }), { outcome: 'no-convergence' })).toEqual([]);
  });
});

describe('stats configuration: the older `spectrum` key', () => {
  it('maps true to stability dense, false to off, and refuses both keys at once', async () => {
    const { resolveStatsConfig } = await import('../../src/landscape/stats/config.js');
    expect(resolveStatsConfig({ K: 3, M: 3, inits: 1, spectrum: true }).stability).toBe('dense');
    expect(resolveStatsConfig({ K: 3, M: 3, inits: 1, spectrum: false }).stability).toBe('off');
    expect(resolveStatsConfig({ K: 3, M: 3, inits: 1 }).stability).toBe('krylov');
    expect('spectrum' in resolveStatsConfig({ K: 3, M: 3, inits: 1, spectrum: true })).toBe(false);
    expect(() => resolveStatsConfig({ K: 3, M: 3, inits: 1, spectrum: true, stability: 'off' })).toThrow(
      /stats\.spectrum/,
    );
  });
});
