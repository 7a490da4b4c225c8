import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper, regularizedBeta } from '../../src/studies/census/binomial.js';
import { resolveCensusConfig } from '../../src/studies/census/config.js';
import { loadCensusScenario } from '../../src/studies/census/scenario.js';
import { fitInverseK, studentQuantile } from '../../src/studies/census/fit.js';

describe('Clopper–Pearson upper bounds (census reach_upper95)', () => {
  it('regularised incomplete beta matches closed forms', () => {
    // I_x(1, b) = 1 − (1 − x)^b, I_x(a, 1) = x^a, I_½(2, 3) = 11/16.
    expect(regularizedBeta(0.3, 1, 7)).toBeCloseTo(1 - 0.7 ** 7, 14);
    expect(regularizedBeta(0.3, 4, 1)).toBeCloseTo(0.3 ** 4, 14);
    expect(regularizedBeta(0.5, 2, 3)).toBeCloseTo(11 / 16, 14);
    expect(regularizedBeta(0.9, 30, 5)).toBeCloseTo(1 - regularizedBeta(0.1, 5, 30), 13);
  });

  it('0 of 1000: 0.00368 two-sided 95 % (the census default), 0.00299 one-sided 95 %, ≈ 3/n', () => {
    expect(clopperPearsonUpper(0, 1000)).toBeCloseTo(0.0036821, 7);
    expect(clopperPearsonUpper(0, 1000, 0.95)).toBeCloseTo(0.00299125, 8);
    // Rule of three: 3/n approximates the one-sided 95 % bound to 1 % at n = 1000.
    expect(Math.abs(clopperPearsonUpper(0, 1000, 0.95) / (3 / 1000) - 1)).toBeLessThan(0.01);
  });

  it('published two-sided 95 % intervals: 3/10 → 0.6525, 5/20 → 0.4910, 140/1000 → 0.1631; n/n → 1', () => {
    expect(clopperPearsonUpper(3, 10)).toBeCloseTo(0.65245, 4);
    expect(clopperPearsonUpper(5, 20)).toBeCloseTo(0.49105, 4);
    expect(clopperPearsonUpper(1, 1000)).toBeCloseTo(0.0055589, 6);
    expect(clopperPearsonUpper(10, 10)).toBe(1);
    // The bisection solves I_p(x + 1, n − x) = 0.975.
    expect(regularizedBeta(clopperPearsonUpper(140, 1000), 141, 860)).toBeCloseTo(0.975, 12);
    // Monotone in x, and the bound exceeds the point estimate.
    for (let x = 0; x < 50; x++) {
      expect(clopperPearsonUpper(x + 1, 50)).toBeGreaterThan(clopperPearsonUpper(x, 50));
      expect(clopperPearsonUpper(x, 50)).toBeGreaterThan(x / 50);
    }
  });
});

describe('the L(K) = L∞ + c/K fit', () => {
  it('Student t quantiles', () => {
    expect(studentQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentQuantile(0.975, 10)).toBeCloseTo(2.2281, 4);
  });

  it('recovers exact data and calls a positive limit bounded, a zero one consistent with zero', () => {
    const exact = fitInverseK([6, 7, 8, 9].map((K) => ({ K, loss: 0.01 + 0.2 / K })));
    expect(exact?.lInf).toBeCloseTo(0.01, 12);
    expect(exact?.c).toBeCloseTo(0.2, 12);
    expect(exact?.verdict).toBe('bounded away from zero');
    const noisy = fitInverseK([6, 7, 8, 9, 10].map((K, i) => ({ K, loss: 0.2 / K + (i % 2 ? 2e-3 : -2e-3) })));
    expect(noisy?.verdict).toBe('consistent with zero');
    expect(fitInverseK([6, 7].map((K) => ({ K, loss: 1 / K })))).toBeNull();
  });
});

describe('census configuration', () => {
  it('expands M × overparam by p, then M: K = M + p', () => {
    const c = resolveCensusConfig({ M: [6, 7, 8], overparam: [0, 1] });
    expect(c.shapes.map((s) => [s.K, s.M])).toEqual([
      [6, 6],
      [7, 7],
      [8, 8],
      [7, 6],
      [8, 7],
      [9, 8],
    ]);
    expect(
      c.shapes.every((s) => s.stats.initD === s.K && s.stats.stability === 'krylov' && s.stats.inits === 1000),
    ).toBe(true);
  });

  it('names the field of a bad value', () => {
    expect(() => resolveCensusConfig({ M: [4], overparam: [2] })).toThrow(/census\.overparam/);
    expect(() => resolveCensusConfig({ M: [4], initD: 3 })).toThrow(/census\.initD/);
    expect(() => resolveCensusConfig({ M: [4], optimizer: 'sgd' })).toThrow(/census\.optimizer/);
    expect(() => resolveCensusConfig({ M: [4, 4] })).toThrow(/census\.M/);
  });
});

describe('scenarios/hidden-minima.json', () => {
  it('is K = M = 6..12 and K = M + 1 = 7..13 with 1000 initialisations and Hessians', () => {
    const s = loadCensusScenario(join(import.meta.dirname, '..', '..', 'scenarios', 'hidden-minima.json'), {});
    expect(s.name).toBe('hidden-minima');
    const shapes = s.config.shapes.map((x) => `${x.K}/${x.M}`);
    expect(shapes).toEqual(
      [6, 7, 8, 9, 10, 11, 12]
        .flatMap((M) => [`${M}/${M}`])
        .concat([6, 7, 8, 9, 10, 11, 12].map((M) => `${M + 1}/${M}`)),
    );
    expect(s.config.inits).toBe(1000);
    expect(s.config.hessian).toBe(true);
  });
});
