/**
 * Exact (Clopper–Pearson) binomial bounds for the reach fractions of the census (docs/hessian.md "Census
 * of minima"). The upper bound of x successes in n trials at one-sided confidence c is the p with
 * P(X ≤ x | n, p) = 1 − c, i.e. the c-quantile of Beta(x + 1, n − x), and 1 when x = n.
 *
 * The census reports the upper end of the two-sided 95 % Clopper–Pearson interval, c = 0.975
 * (CENSUS_UPPER_CONFIDENCE): 0 of 1000 → 1 − 0.025^(1/1000) = 0.00368. The one-sided 95 % bound (c = 0.95)
 * would be 1 − 0.05^(1/1000) = 0.00299, which the "rule of three" 3/n approximates.
 */
export const CENSUS_UPPER_CONFIDENCE = 0.975;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: relative error ~1e-15). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1)/(a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    for (const numerator of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + numerator * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/**
 * Clopper–Pearson upper bound of a binomial proportion with x successes in n trials at one-sided
 * confidence `confidence` (bisection on I_p(x + 1, n − x) = confidence, increasing in p; 200 halvings
 * reach double precision).
 */
export function clopperPearsonUpper(x: number, n: number, confidence = CENSUS_UPPER_CONFIDENCE): number {
  if (!(Number.isInteger(x) && Number.isInteger(n) && n >= 1 && x >= 0 && x <= n))
    throw new Error(`clopperPearsonUpper needs integers 0 <= x <= n, n >= 1 (got ${x} of ${n})`);
  if (x === n) return 1;
  if (x === 0) return 1 - (1 - confidence) ** (1 / n);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
    const mid = 0.5 * (lo + hi);
    if (regularizedBeta(mid, x + 1, n - x) < confidence) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
