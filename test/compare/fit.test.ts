import { describe, expect, it } from 'vitest';
import { fitPowerLaw } from '../../src/compare/fit.js';
import { logVariance, mean, rms, sampleSd, trigamma } from '../../src/compare/stats.js';

describe('fitPowerLaw', () => {
  it('recovers an exact power law with zero standard error (OLS)', () => {
    const fit = fitPowerLaw([100, 400, 1600, 6400].map((x) => ({ x, y: 3 * x ** -0.5 })));
    expect(fit?.method).toBe('ols');
    expect(fit?.slope).toBeCloseTo(-0.5, 12);
    expect(fit?.intercept).toBeCloseTo(Math.log(3), 12);
    expect(fit?.slopeSE).toBeLessThan(1e-12);
  });

  it('gives the textbook OLS standard error on noisy logs', () => {
    // log y = 1 − x' + e with residuals e = (+0.1, −0.2, +0.1) on x' = log x = 0, 1, 2:
    // slope −1 exactly, RSS = 0.06, Sxx = 2, SE = sqrt(0.06 / 1 / 2).
    const xs = [0, 1, 2].map(Math.exp);
    const e = [0.1, -0.2, 0.1];
    const fit = fitPowerLaw(xs.map((x, i) => ({ x, y: Math.exp(1 - Math.log(x) + e[i]) })));
    expect(fit?.slope).toBeCloseTo(-1, 12);
    expect(fit?.slopeSE).toBeCloseTo(Math.sqrt(0.06 / 2), 12);
  });

  it('propagates per-point log variances for two points', () => {
    const fit = fitPowerLaw([
      { x: 100, y: 0.1, logVariance: 0.01 },
      { x: 1600, y: 0.025, logVariance: 0.02 },
    ]);
    expect(fit?.method).toBe('two-point');
    expect(fit?.slope).toBeCloseTo(-0.5, 12);
    expect(fit?.slopeSE).toBeCloseTo(Math.sqrt(0.03) / Math.log(16), 12);
  });

  it('skips non-positive points and returns null below two usable points', () => {
    expect(
      fitPowerLaw([
        { x: 10, y: 1 },
        { x: 20, y: 0 },
      ]),
    ).toBeNull();
    expect(
      fitPowerLaw([
        { x: 10, y: 1 },
        { x: 10, y: 2 },
      ]),
    ).toBeNull();
  });
});

describe('summary statistics', () => {
  it('mean, sample sd, rms and log variances', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(sampleSd([1, 2, 3])).toBeCloseTo(1, 15);
    expect(rms([3, -4])).toBeCloseTo(Math.sqrt(12.5), 15);
    // ψ′(1) = π²/6 and ψ′(4) = π²/6 − 1 − 1/4 − 1/9 (recurrence); large n → 1/(2(n−1)).
    expect(trigamma(1)).toBeCloseTo(Math.PI ** 2 / 6, 10);
    expect(logVariance.sd(9)).toBeCloseTo((Math.PI ** 2 / 6 - 1 - 1 / 4 - 1 / 9) / 4, 10);
    expect(logVariance.rms(8)).toBeCloseTo(logVariance.sd(9), 15);
    expect(logVariance.sd(2001) * 2 * 2000).toBeCloseTo(1, 2);
    expect(logVariance.mean([1, 3])).toBeCloseTo((Math.SQRT2 / 2) ** 2 / 2, 15);
  });

  it('the variance of log sd matches a seeded simulation', () => {
    // 4000 replicate samples of n = 9 normals: Var log(sd) = ψ′(4)/4 ≈ 0.0710 (the 1/(2(n−1)) = 0.0625
    // approximation would be 12% low). The Monte Carlo SE of a variance over 4000 replicates is ~2.5%.
    let state = 7;
    const uniform = () => (state = (state * 48271) % 2147483647) / 2147483647;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const logs = Array.from({ length: 4000 }, () => Math.log(sampleSd(Array.from({ length: 9 }, normal))));
    expect(sampleSd(logs) ** 2 / logVariance.sd(9)).toBeGreaterThan(0.92);
    expect(sampleSd(logs) ** 2 / logVariance.sd(9)).toBeLessThan(1.08);
  });
});
