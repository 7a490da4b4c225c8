import { describe, expect, it } from 'vitest';
import { broadening, type SeedOutcome } from '../../src/compare/broadening.js';
import { logVariance } from '../../src/compare/stats.js';

/**
 * Synthetic outcomes with a known law: final loss = prediction + N(0, (0.05/√d)²). The fitted slope of
 * the spread must come out near −1/2 with a standard error that covers it.
 */
function outcomes(ds: number[], seeds: number): SeedOutcome[] {
  let state = 2024;
  const uniform = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return ds.flatMap((d) =>
    Array.from({ length: seeds }, (_, seed) => {
      const noise = (0.05 / Math.sqrt(d)) * normal();
      const devQ = Math.abs((0.3 / Math.sqrt(d)) * normal());
      const trajectory = {
        max: { loss: Math.abs(noise) + 1e-9, Q: devQ, R: devQ, a: null },
        firstExceed: { loss: null, Q: null, R: null, a: null },
        final: { loss: Math.abs(noise), Q: devQ, R: devQ, a: null },
        points: 10,
        tEnd: 5,
      };
      // Every fourth seed reached the same state with its units swapped: as labelled |ΔR| ≈ 1.
      const switched = seed % 4 === 1;
      const rawR = switched ? 1 + devQ : devQ;
      return {
        d,
        seed,
        finite: true,
        finalLoss: 0.01 + noise,
        predictedFinalLoss: 0.01,
        finalQDeviation: devQ,
        finalRDeviation: devQ,
        finalQDeviationRaw: devQ,
        finalRDeviationRaw: rawR,
        trajectory,
        trajectoryRaw: { ...trajectory, max: { ...trajectory.max, R: rawR }, final: { ...trajectory.final, R: rawR } },
        labelSwitched: switched,
      };
    }),
  );
}

describe('broadening', () => {
  it('per-d rows: plain spread and spread around the prediction', () => {
    const { rows } = broadening(outcomes([100, 1600], 200));
    expect(rows.map((r) => r.d)).toEqual([100, 1600]);
    // sd of 200 normals is within ±15% of its true value with overwhelming probability (SE ≈ 5%).
    expect(rows[0].finalLossSd / 0.005).toBeGreaterThan(0.85);
    expect(rows[0].finalLossSd / 0.005).toBeLessThan(1.15);
    expect(rows[0].lossDeviationRms / 0.005).toBeGreaterThan(0.85);
    expect(rows[1].finalLossSd).toBeLessThan(rows[0].finalLossSd);
    expect(Math.abs(rows[0].lossDeviationMean)).toBeLessThan((4 * 0.005) / Math.sqrt(200));
  });

  it('two values of d: slope near −1/2 with a delta-method error bar', () => {
    const fit = broadening(outcomes([100, 1600], 200)).fits.find((f) => f.key === 'finalLossSd')?.fit;
    expect(fit?.method).toBe('two-point');
    // SE = sqrt(2 · Var log sd(200)) / ln 16 ≈ 0.026.
    expect(fit?.slopeSE).toBeCloseTo(Math.sqrt(2 * logVariance.sd(200)) / Math.log(16), 10);
    expect(Math.abs((fit?.slope ?? 0) + 0.5)).toBeLessThan(3 * (fit?.slopeSE ?? 0));
  });

  it('four values of d: OLS slope of the trajectory deviation near −1/2', () => {
    const fit = broadening(outcomes([100, 400, 1600, 6400], 100)).fits.find(
      (f) => f.key === 'trajectoryQDeviationMean',
    )?.fit;
    expect(fit?.method).toBe('ols');
    expect(Math.abs((fit?.slope ?? 0) + 0.5)).toBeLessThan(0.1);
  });

  it('fits the matched overlap deviations; the raw ones, swamped by label-switched seeds, are kept beside them', () => {
    const result = broadening(outcomes([100, 400, 1600, 6400], 100));
    const slope = (key: string) => result.fits.find((f) => f.key === key)?.fit?.slope ?? NaN;
    expect(Math.abs(slope('trajectoryRDeviationMean') + 0.5)).toBeLessThan(0.1);
    // A quarter of the seeds at |ΔR| ≈ 1 flatten the as-labelled mean to ≈ 0.25 at every d.
    expect(Math.abs(slope('trajectoryRDeviationRawMean'))).toBeLessThan(0.05);
    expect(Math.abs(slope('finalRDeviationMean') + 0.5)).toBeLessThan(0.1);
    expect(Math.abs(slope('finalRDeviationRawMean'))).toBeLessThan(0.05);
    for (const row of result.rows) {
      expect(row.labelSwitched).toBe(25);
      expect(row.trajectoryRDeviationRawMean).toBeGreaterThan(0.25);
      expect(row.trajectoryRDeviationMean).toBeLessThan(0.05);
      expect(row.finalRDeviationRawMean).toBeGreaterThan(row.finalRDeviationMean);
    }
  });

  it('leaves diverged seeds out of the statistics but counts them', () => {
    const all = outcomes([100], 5);
    all[0] = { ...all[0], finite: false, finalLoss: NaN };
    const [row] = broadening(all).rows;
    expect(row.n).toBe(4);
    expect(row.diverged).toBe(1);
    expect(Number.isFinite(row.finalLossSd)).toBe(true);
  });
});
