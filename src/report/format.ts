/** Number formatting of report tables and captions (summary.md, report.html): 3 significant digits, exponent form outside [1e-3, 1e5). */
export const fmt = (x: number | null | undefined, digits = 3): string => {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(digits - 1) : x.toPrecision(digits);
};
