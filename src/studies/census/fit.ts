import { leastSquaresLine } from '../../compare/fit.js';
import { regularizedBeta } from './binomial.js';
import { type CensusRow } from './rows.js';

/**
 * How the loss of a family of stable fixed points scales with the width (docs/hessian.md "Census of
 * minima"): an ordinary least-squares fit L(K) = L∞ + c/K over the swept shapes with the same
 * overparametrisation p = K − M, with standard errors from the residuals (n − 2 degrees of freedom) and a
 * two-sided 95 % Student-t interval for L∞. It is an extrapolation from the measured K range: it says
 * whether the measured losses look like they tend to zero or stay bounded away from it, not what they do
 * beyond.
 */
export interface FamilyFit {
  family: string;
  overparam: number;
  /** The (K, loss) points that entered the fit. */
  points: { K: number; loss: number }[];
  lInf: number;
  lInfSE: number;
  c: number;
  cSE: number;
  /** Half-width of the 95 % interval of L∞: t_{0.975, n−2} · SE. */
  lInfHalfWidth: number;
  verdict: 'bounded away from zero' | 'consistent with zero' | 'negative limit (model inadequate)';
}

/** Student t quantile t_{q, ν} for q > ½ (bisection on the CDF 1 − ½ I_{ν/(ν+t²)}(ν/2, ½)). */
export function studentQuantile(q: number, nu: number): number {
  const cdf = (t: number) => 1 - 0.5 * regularizedBeta(nu / (nu + t * t), nu / 2, 0.5);
  let lo = 0;
  let hi = 1;
  while (cdf(hi) < q) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (cdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** L = L∞ + c/K by least squares over at least three distinct K; null otherwise. */
export function fitInverseK(points: { K: number; loss: number }[]): Omit<FamilyFit, 'family' | 'overparam'> | null {
  const n = points.length;
  if (n < 3 || new Set(points.map((p) => p.K)).size < 3) return null;
  const xs = points.map((p) => 1 / p.K);
  const ys = points.map((p) => p.loss);
  const line = leastSquaresLine(xs, ys);
  const c = line.slope;
  const lInf = line.intercept;
  const cSE = line.slopeSE;
  const lInfSE = line.interceptSE;
  const lInfHalfWidth = studentQuantile(0.975, n - 2) * lInfSE;
  const verdict =
    lInf - lInfHalfWidth > 0
      ? 'bounded away from zero'
      : lInf + lInfHalfWidth < 0
        ? 'negative limit (model inadequate)'
        : 'consistent with zero';
  return { points, lInf, lInfSE, c, cSE, lInfHalfWidth, verdict };
}

/**
 * The families followed across K: the lowest-loss stable point with k1 = 1, 2 (counted from the aligned
 * end) and k1 = M, M − 1, M − 2 (counted from the all-anti-aligned end), per overparametrisation.
 */
const FAMILIES: { name: string; k1: (M: number) => number }[] = [
  { name: 'k1 = 1', k1: () => 1 },
  { name: 'k1 = 2', k1: () => 2 },
  { name: 'k1 = M', k1: (M) => M },
  { name: 'k1 = M − 1', k1: (M) => M - 1 },
  { name: 'k1 = M − 2', k1: (M) => M - 2 },
];

export function familyFits(rows: CensusRow[]): FamilyFit[] {
  const fits: FamilyFit[] = [];
  const overparams = [...new Set(rows.map((r) => r.point.K - r.point.M))].sort((a, b) => a - b);
  for (const p of overparams)
    for (const family of FAMILIES) {
      const shapes = [...new Set(rows.filter((r) => r.point.K - r.point.M === p).map((r) => r.point.M))];
      const points = shapes.flatMap((M) => {
        const k1 = family.k1(M);
        const stable = rows.filter(
          (r) =>
            r.point.M === M &&
            r.point.K - M === p &&
            r.point.k1 === k1 &&
            k1 >= 1 &&
            r.point.fixedPoint.stability.verdict === 'stable',
        );
        if (stable.length === 0) return [];
        const lowest = Math.min(...stable.map((r) => r.point.fixedPoint.loss));
        return [{ K: M + p, loss: lowest }];
      });
      const fit = fitInverseK(points);
      if (fit) fits.push({ family: family.name, overparam: p, ...fit });
    }
  return fits;
}
