/** One point of a power-law fit: x > 0, y > 0, and the variance of log y when known (two-point slopes). */
export interface FitPoint {
  x: number;
  y: number;
  logVariance?: number;
}

export interface PowerLawFit {
  /** log y = intercept + slope · log x (natural logs). */
  slope: number;
  slopeSE: number;
  intercept: number;
  /** Points that entered the fit (finite and positive). */
  n: number;
  /**
   * ols: ordinary least squares on the logs, SE from the residuals (n − 2 degrees of freedom), ≥ 3 points.
   * two-point: the slope through two points, SE propagated from the per-point variances of log y
   * (delta method; with two points there are no residuals to estimate it from).
   */
  method: 'ols' | 'two-point';
}

/**
 * Power law y ∝ x^slope on log–log axes (e.g. the spread of the final loss against d; online-SGD
 * fluctuations are expected near slope −1/2). Returns null with fewer than two usable points.
 */
export function fitPowerLaw(points: FitPoint[]): PowerLawFit | null {
  const usable = points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = usable.map((p) => Math.log(p.x));
  const ys = usable.map((p) => Math.log(p.y));
  const n = usable.length;
  if (n < 2 || new Set(xs).size < 2) return null;
  if (n === 2) {
    const dx = xs[1] - xs[0];
    const slope = (ys[1] - ys[0]) / dx;
    const variance = (usable[0].logVariance ?? NaN) + (usable[1].logVariance ?? NaN);
    return {
      slope,
      slopeSE: Math.sqrt(variance) / Math.abs(dx),
      intercept: ys[0] - slope * xs[0],
      n,
      method: 'two-point',
    };
  }
  const line = leastSquaresLine(xs, ys);
  return { slope: line.slope, slopeSE: line.slopeSE, intercept: line.intercept, n, method: 'ols' };
}

/** The straight line y = intercept + slope·x by ordinary least squares, with standard errors from the residuals. */
export interface LeastSquaresLine {
  slope: number;
  intercept: number;
  /** Residual variance estimate rss/(n − 2). */
  residualVariance: number;
  slopeSE: number;
  interceptSE: number;
}

/** Ordinary least squares on (xs, ys): n ≥ 3 points with at least two distinct x for finite standard errors. */
export function leastSquaresLine(xs: readonly number[], ys: readonly number[]): LeastSquaresLine {
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (ys[i] - intercept - slope * xs[i]) ** 2;
  const residualVariance = rss / (n - 2);
  return {
    slope,
    intercept,
    residualVariance,
    slopeSE: Math.sqrt(residualVariance / sxx),
    interceptSE: Math.sqrt(residualVariance * (1 / n + (mx * mx) / sxx)),
  };
}
