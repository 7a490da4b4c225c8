import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeScenario, networkRuns } from '../../src/studies/scenario/execute.js';
import { resolveScenario } from '../../src/studies/scenario/resolve.js';

/**
 * Finite-d broadening of online SGD (issue 4 test): scenarios/broadening.json reduced to two input
 * dimensions, d = 100 and 1600, with 16 seeds, stopped at t = 5 (on the plateau, where a deviation from
 * the same-init ODE stays linear in the O(1/√d) sampling noise; the full scenario runs to t = 100 and
 * takes minutes). Deterministic: fixed seeds.
 */
describe('broadening of online SGD with d', () => {
  it('spread larger at d = 100 than at d = 1600, fitted slope negative with its error bar', async () => {
    const json = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'broadening.json'), 'utf8'),
    );
    json.runs[0] = { ...json.runs[0], d: [100, 1600], seeds: '0..15', tMax: 5, record: 'log:40' };
    const result = await executeScenario(resolveScenario(json), { progress: false });
    const [run] = networkRuns(result);
    const [small, large] = run.broadening.rows;
    expect([small.d, large.d]).toEqual([100, 1600]);
    expect(small.n + large.n).toBe(32);
    // The spread of the final loss around each seed's d → ∞ prediction, and across seeds.
    expect(small.lossDeviationRms).toBeGreaterThan(large.lossDeviationRms);
    expect(small.finalLossSd).toBeGreaterThan(large.finalLossSd);
    for (const key of ['lossDeviationRms', 'finalLossSd', 'trajectoryQDeviationMean'] as const) {
      const fit = run.broadening.fits.find((f) => f.key === key)?.fit;
      expect(fit?.method, key).toBe('two-point');
      expect(fit?.slope, key).toBeLessThan(0);
      // Error bar from the log-variance of each per-d statistic (16 seeds: SE(log sd) ≈ 0.18 per point).
      expect(fit?.slopeSE, key).toBeGreaterThan(0);
      expect(fit?.slopeSE, key).toBeLessThan(0.2);
      // Online-SGD fluctuations scale like d^(-1/2): the slope must be compatible with it (3 SE plus the
      // O(1/d) drift corrections that steepen a two-point slope at d = 100).
      expect(Math.abs((fit?.slope ?? 0) + 0.5), key).toBeLessThan(3 * (fit?.slopeSE ?? 0) + 0.1);
    }
    expect(result.violations).toEqual([]);
  });
});
