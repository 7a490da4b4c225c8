import { describe, expect, it } from 'vitest';
import { executePerturbation } from '../../src/studies/perturbation/execute.js';
import { resolveScenario } from '../../src/studies/scenario/resolve.js';

/**
 * The Appendix D study through the scenario layer (scenarios/perturbation.json reduced to k1 = 1, two σ
 * and three repetitions): at K = M = 8 the k1 = 1 family is a stable minimum and its K = M + 1 embedding
 * a saddle (issue 5), so the perturbed weights return in the first case and escape in the second.
 */
describe('perturbation study', () => {
  const scenario = (tolerances: object) =>
    resolveScenario({
      name: 'perturbation-test',
      model: { K: 8, M: 8 },
      perturbation: { k1: [1], sigmas: [0.01, 0.1], d: 100, tRelax: 300, repetitions: 3, tolerances },
    });

  it('returns to the K = M family and escapes from its K = M + 1 embedding', () => {
    const result = executePerturbation(scenario({ maxReturnRatio: 0.1, minEscapeRatio: 3 }));
    expect(result?.cases.map((c) => [c.case, c.k1, c.K, c.stability])).toEqual([
      ['K=M', 1, 8, 'stable'],
      ['K=M+1', 1, 9, null],
    ]);
    const [family, embedded] = result?.cases ?? [];
    for (const row of family.rows) expect(row.distanceMean / row.initialDistanceMean).toBeLessThan(1e-3);
    // Escaping lowers the loss by the whole fixed-point loss (to the global minimum) here.
    for (const row of embedded.rows) expect(row.lossGapMean).toBeLessThan(-0.5 * family.loss);
    expect(result?.violations).toEqual([]);
    expect(result?.verdicts.map((v) => v.pass)).toEqual([true, true]);
  });

  it('names each (k1, σ) that violates an impossible tolerance', () => {
    const result = executePerturbation(scenario({ maxReturnRatio: 1e-12 }));
    expect(result?.violations.map((v) => [v.metric, v.where])).toEqual([
      ['perturbation.maxReturnRatio', 'k1 1 / sigma 0.01 / K 8'],
      ['perturbation.maxReturnRatio', 'k1 1 / sigma 0.1 / K 8'],
    ]);
  });
});
