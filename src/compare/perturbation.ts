import { type Verdict, type Violation, fmt } from './tolerances.js';

/** One perturbation strength of one case (src/landscape/perturb.ts PerturbationRow plus its case). */
export interface PerturbationPoint {
  /** 'K=M' (the family itself) or 'K=M+1' (embedded with an extra zero unit). */
  case: 'K=M' | 'K=M+1';
  k1: number;
  K: number;
  sigma: number;
  distanceMean: number;
  initialDistanceMean: number;
}

export interface PerturbationTolerances {
  maxReturnRatio?: number;
  minEscapeRatio?: number;
}

/** Mean distance after relaxing over mean distance right after the perturbation: ≪ 1 returns, ≫ 1 escapes. */
function returnRatio(p: PerturbationPoint): number {
  return p.distanceMean / p.initialDistanceMean;
}

/**
 * The perturbation tolerances (paper App. D): the K = M family returns (ratio ≤ maxReturnRatio at every
 * σ), its K = M + 1 embedding escapes (ratio ≥ minEscapeRatio at every σ). Returns the verdict per
 * tolerance (worst case) and one violation per failing (k1, σ).
 */
export function checkPerturbation(
  id: string,
  spec: PerturbationTolerances,
  points: PerturbationPoint[],
): { verdicts: Verdict[]; violations: Violation[] } {
  const verdicts: Verdict[] = [];
  const violations: Violation[] = [];
  const check = (
    name: string,
    bound: number | undefined,
    which: PerturbationPoint['case'],
    ok: (ratio: number) => boolean,
    worstOf: (ratios: number[]) => number,
  ) => {
    if (bound === undefined) return;
    const cases = points.filter((p) => p.case === which);
    for (const p of cases) {
      const ratio = returnRatio(p);
      if (!ok(ratio))
        violations.push({
          metric: `${id}.${name}`,
          observed: fmt(ratio),
          tolerance: fmt(bound),
          where: `k1 ${p.k1} / sigma ${p.sigma} / K ${p.K}`,
        });
    }
    const ratios = cases.map(returnRatio);
    verdicts.push({
      metric: `${id}.${name}`,
      tolerance: fmt(bound),
      observed: ratios.length > 0 ? fmt(worstOf(ratios)) : 'no points',
      pass: ratios.length > 0 && ratios.every(ok),
    });
  };
  check(
    'maxReturnRatio',
    spec.maxReturnRatio,
    'K=M',
    (r) => r <= (spec.maxReturnRatio as number),
    (rs) => Math.max(...rs),
  );
  check(
    'minEscapeRatio',
    spec.minEscapeRatio,
    'K=M+1',
    (r) => r >= (spec.minEscapeRatio as number),
    (rs) => Math.min(...rs),
  );
  return { verdicts, violations };
}
