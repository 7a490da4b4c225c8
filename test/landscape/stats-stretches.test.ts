import { describe, expect, it } from 'vitest';
import { dopri5FlowOnly } from '../../src/bench/stats-reference.js';
import { resolveStatsConfig } from '../../src/landscape/stats/config.js';
import { StatsContext, runInitialisation } from '../../src/landscape/stats/run.js';

/**
 * Issue 11: a stats run is dopri5 through the transient, rkc at the looser rkcRtol/rkcAtol while the flow
 * is slow, rkc at rtol/atol to rest (docs/theory.md §7.5a). The looser stretch must not change which
 * minimum a run ends in: the end state (class, k1, loss) is the one of the dopri5 flow-only reference
 * (the classification before issue 11), on seeds of the samples measured for the README.
 */
describe('stats run stretches (docs/theory.md §7.5a)', () => {
  it.each([
    [8, 7000, 11],
    [17, 5000, 5],
  ])(
    'K = M = %i, seeds %i + 0…%i: the default run ends where the dopri5 flow-only reference ends',
    (K, base, n) => {
      const ctx = new StatsContext(resolveStatsConfig({ K, M: K, inits: n + 1, seed: base }));
      for (let seed = base; seed <= base + n; seed++) {
        const run = runInitialisation(ctx, seed);
        const reference = dopri5FlowOnly(ctx, seed);
        expect([seed, run.class, run.k1]).toEqual([seed, reference.class, reference.k1]);
        // Both at rest (max|F| ≤ 1e-9) at one isolated point: losses agree far below the level spacing (~1e-3).
        if (run.class !== 'global') expect(Math.abs(run.finalLoss - reference.loss)).toBeLessThan(1e-8);
      }
    },
    120_000,
  );

  it('the slow-stretch tolerances are the ones configured: tight ones cost more steps, to the same end state', () => {
    // Seed 5002 ends at the k1 = 3 minimum L = 0.0361749 (a non-global rest point: losses comparable).
    const base = { K: 17, M: 17, inits: 1, seed: 5002 };
    const loose = runInitialisation(new StatsContext(resolveStatsConfig(base)), 5002);
    const tight = runInitialisation(
      new StatsContext(resolveStatsConfig({ ...base, solver: { rkcRtol: 1e-6, rkcAtol: 1e-9 } })),
      5002,
    );
    expect(tight.steps).toBeGreaterThan(1.3 * loose.steps);
    expect([tight.class, tight.k1]).toEqual([loose.class, loose.k1]);
    expect(Math.abs(tight.finalLoss - loose.finalLoss)).toBeLessThan(1e-8);
  });

  it('refuses a non-positive slow-stretch tolerance, naming the key', () => {
    expect(() => resolveStatsConfig({ K: 3, M: 3, inits: 1, solver: { rkcRtol: 0 } })).toThrow(/rkcRtol/);
  });
});
