import { describe, expect, it } from 'vitest';
import { estimateFixedPoints, estimateStatsRun, estimateTrain } from '../../src/cli/cost.js';
import { resolveTrainConfig } from '../../src/network/config.js';
import { resolveStatsConfig } from '../../src/landscape/stats/config.js';
import { COST_LIMITS, checkCost, estimateOde } from '../../src/runtime/cost.js';

const ode = (K: number) => estimateOde({ K, M: K, tMax: 100, method: 'dopri5', dt: null, initD: K, saveRows: 201 });

describe('cost model (src/runtime/cost.ts)', () => {
  it('accepts the sizes the harness is used at, refuses K = 10000', () => {
    for (const K of [2, 17, 20, 50]) expect(() => checkCost(ode(K), false, '--K')).not.toThrow();
    expect(ode(10_000).seconds).toBeGreaterThan(COST_LIMITS.seconds);
    expect(ode(10_000).bytes).toBeGreaterThan(COST_LIMITS.bytes);
    expect(() => checkCost(ode(10_000), false, '--K')).toThrow(
      /^--K: ode at K = 10000, M = 10000, t-max 100 is estimated to need ~.* \(limit 1 h\) and ~.* of memory \(limit 8 GiB\); pass --force to run it anyway/,
    );
    expect(() => checkCost(ode(10_000), true, '--K')).not.toThrow();
  });

  it('grows like K(K+M)² per right-hand side', () => {
    const ratio = ode(400).seconds / ode(200).seconds;
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(40);
  });

  it('stats is limited per initialisation, fixed-points by the n³ spectra', () => {
    const stats = (K: number, extra = {}) =>
      estimateStatsRun(resolveStatsConfig({ K, M: K, inits: 10_000, ...extra }, 'stats'), 1);
    expect(stats(17).seconds).toBeLessThan(10);
    // The default run holds no dense matrix: K = M = 100 (15.6 s per run measured) is within the limits;
    // the Newton finish or the dense spectrum need 15 050² matrices there, and K = M = 1000 is out of reach.
    expect(stats(100).bytes).toBeLessThan(COST_LIMITS.bytes);
    expect(stats(100).seconds).toBeLessThan(COST_LIMITS.seconds);
    expect(stats(100).seconds).toBeGreaterThan(15.6 / 3);
    expect(stats(100, { finish: 'newton' }).bytes).toBeGreaterThan(COST_LIMITS.bytes);
    expect(stats(100, { stability: 'dense' }).bytes).toBeGreaterThan(COST_LIMITS.bytes);
    expect(stats(1000).seconds).toBeGreaterThan(COST_LIMITS.seconds);
    expect(estimateFixedPoints({ K: 17, M: 17, families: 18, perturb: null }).seconds).toBeLessThan(600);
    expect(estimateFixedPoints({ K: 60, M: 60, families: 61, perturb: null }).seconds).toBeGreaterThan(
      COST_LIMITS.seconds,
    );
  });

  it('train: the README example (16 seeds, K = 20, d = 5000) passes, d = K = 10000 does not', () => {
    const base = { optimizer: 'sgd', K: 20, M: 20, d: 5000, lr: 0.05, seeds: Array.from({ length: 16 }, (_, i) => i) };
    expect(estimateTrain(resolveTrainConfig(base), 1).seconds).toBeLessThan(COST_LIMITS.seconds);
    const huge = estimateTrain(
      resolveTrainConfig({ ...base, optimizer: 'gd', K: 10_000, M: 10_000, d: 10_000, seeds: [0] }),
      1,
    );
    expect(huge.seconds).toBeGreaterThan(COST_LIMITS.seconds);
  });
});
