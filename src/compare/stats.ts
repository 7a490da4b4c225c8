/** Small summary statistics used by the comparisons (sample sd with n − 1). */

export function mean(values: number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for fewer than two values. */
export function sampleSd(values: number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** Root mean square about zero: the spread of deviations around a known centre (the d → ∞ prediction). */
export function rms(values: number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v * v;
  return Math.sqrt(s / values.length);
}

/**
 * Trigamma ψ′(x) for x > 0: recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 10, then the asymptotic series
 * 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹) (next term 5/(66x¹¹) < 1e-11 there).
 */
export function trigamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc += 1 / (x * x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return acc + inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)));
}

/**
 * Variance of the natural log of each statistic over n independent Gaussian samples, used as error bars
 * on log–log plots and for the two-point slope error. For a sample sd, (n−1)s²/σ² ~ χ²_{n−1} and
 * Var log χ²_k = ψ′(k/2), so Var log s = ψ′((n−1)/2)/4 exactly (≈ 1/(2(n−1)) for large n); an rms about a
 * known centre has k = n. For a mean of positive values the delta method gives (sd/mean)²/n.
 */
export const logVariance = {
  sd: (n: number) => (n >= 2 ? trigamma((n - 1) / 2) / 4 : NaN),
  rms: (n: number) => (n >= 1 ? trigamma(n / 2) / 4 : NaN),
  mean: (values: number[]) => {
    const m = mean(values);
    return values.length >= 2 && m > 0 ? (sampleSd(values) / m) ** 2 / values.length : NaN;
  },
};
