import type { Broadening, BroadeningFitKey } from './broadening.js';
import type { DeviationQuantity, TrajectoryDeviation } from './deviation.js';

/** A tolerance that does not hold: `check` prints one line `metric, observed, tolerance, seed/d` each. */
export interface Violation {
  /** `<run>.<tolerance name>`, e.g. gd.maxLossDeviation. */
  metric: string;
  observed: string;
  tolerance: string;
  /** `seed 3 / d 100` for per-seed tolerances, `d 100..1600` for fits across d. */
  where: string;
}

export function violationLine(v: Violation): string {
  return `${v.metric}, ${v.observed}, ${v.tolerance}, ${v.where}`;
}

/** What the tolerance checks need per seed. */
export interface SeedCheckInput {
  d: number;
  seed: number;
  /**
   * The deviation the per-seed maxima are checked on: `run`/`check` pass the matched one (after
   * relabelling a label-switched seed's student units, matching.ts); the loss part is the same either way.
   */
  deviation: TrajectoryDeviation;
  finalLoss: number;
  predictedFinalLoss: number;
}

export interface ToleranceSpec {
  maxLossDeviation?: number;
  maxQDeviation?: number;
  maxRDeviation?: number;
  maxADeviation?: number;
  maxFinalLossDeviation?: number;
  spreadSlope?: { min?: number; max?: number };
  deviationSlope?: { min?: number; max?: number };
}

/** An observed value or bound in a verdict or violation line: 3 significant digits, NaN/Infinity as such. */
export const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : String(x));

const slopeBounds = (bounds: { min?: number; max?: number }) => `[${bounds.min ?? '-inf'}, ${bounds.max ?? 'inf'}]`;

const PER_SEED_MAX: [keyof ToleranceSpec, DeviationQuantity][] = [
  ['maxLossDeviation', 'loss'],
  ['maxQDeviation', 'Q'],
  ['maxRDeviation', 'R'],
  ['maxADeviation', 'a'],
];

const SLOPES: [keyof ToleranceSpec, BroadeningFitKey][] = [
  ['spreadSlope', 'lossDeviationRms'],
  ['deviationSlope', 'trajectoryQDeviationMean'],
];

function slopeViolation(
  run: string,
  name: string,
  bounds: { min?: number; max?: number },
  broadening: Broadening,
  key: BroadeningFitKey,
): Violation | null {
  const fit = broadening.fits.find((f) => f.key === key)?.fit ?? null;
  const ds = broadening.rows.map((r) => r.d);
  const where = `d ${Math.min(...ds)}..${Math.max(...ds)}`;
  const tolerance = slopeBounds(bounds);
  if (!fit || !Number.isFinite(fit.slope))
    return { metric: `${run}.${name}`, observed: 'no fit (too few finite points)', tolerance, where };
  const inside =
    (bounds.min === undefined || fit.slope >= bounds.min) && (bounds.max === undefined || fit.slope <= bounds.max);
  return inside
    ? null
    : { metric: `${run}.${name}`, observed: `${fmt(fit.slope)} ± ${fmt(fit.slopeSE)}`, tolerance, where };
}

/** One checked tolerance of a run, with the worst observation (for the report's verdict table). */
export interface Verdict {
  metric: string;
  tolerance: string;
  /** Worst value over seeds and d (per-seed tolerances) or the fitted slope ± SE. */
  observed: string;
  pass: boolean;
}

/** "2 of 3 tolerances hold", or "no tolerances checked" when there are none (never "0 of 0"). */
export function toleranceTally(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return 'no tolerances checked';
  return `${verdicts.filter((v) => v.pass).length} of ${verdicts.length} tolerances hold`;
}

/** Every tolerance of the run with its worst observation and pass/fail. */
export function toleranceVerdicts(
  run: string,
  spec: ToleranceSpec,
  seeds: SeedCheckInput[],
  broadening: Broadening,
): Verdict[] {
  const violations = checkTolerances(run, spec, seeds, broadening);
  const worst = (f: (s: SeedCheckInput) => number) =>
    seeds.reduce((m, s) => {
      const v = f(s);
      return !(v <= m) ? v : m;
    }, 0);
  const verdicts: Verdict[] = [];
  for (const [name, quantity] of PER_SEED_MAX) {
    const bound = spec[name] as number | undefined;
    if (bound === undefined) continue;
    const observed = worst((s) => s.deviation.max[quantity] ?? NaN);
    verdicts.push({
      metric: `${run}.${name}`,
      tolerance: fmt(bound),
      observed: fmt(observed),
      pass: observed <= bound,
    });
  }
  if (spec.maxFinalLossDeviation !== undefined) {
    const observed = worst((s) => Math.abs(s.finalLoss - s.predictedFinalLoss));
    verdicts.push({
      metric: `${run}.maxFinalLossDeviation`,
      tolerance: fmt(spec.maxFinalLossDeviation),
      observed: fmt(observed),
      pass: observed <= spec.maxFinalLossDeviation,
    });
  }
  for (const [name, key] of SLOPES) {
    const bounds = spec[name] as { min?: number; max?: number } | undefined;
    if (!bounds) continue;
    const fit = broadening.fits.find((f) => f.key === key)?.fit ?? null;
    const failed = violations.some((v) => v.metric === `${run}.${name}`);
    verdicts.push({
      metric: `${run}.${name}`,
      tolerance: slopeBounds(bounds),
      observed: fit ? `${fmt(fit.slope)} ± ${fmt(fit.slopeSE)}` : 'no fit',
      pass: !failed,
    });
  }
  return verdicts;
}

/**
 * Every violated tolerance of one run. A non-finite observation (a diverged seed) violates any bound on
 * it. Slopes are checked on the point estimate; the report shows the standard error next to it.
 */
export function checkTolerances(
  run: string,
  spec: ToleranceSpec,
  seeds: SeedCheckInput[],
  broadening: Broadening,
): Violation[] {
  const out: Violation[] = [];
  for (const s of seeds) {
    const where = `seed ${s.seed} / d ${s.d}`;
    for (const [name, quantity] of PER_SEED_MAX) {
      const bound = spec[name] as number | undefined;
      if (bound === undefined) continue;
      const observed = s.deviation.max[quantity] ?? NaN;
      if (!(observed <= bound))
        out.push({ metric: `${run}.${name}`, observed: fmt(observed), tolerance: fmt(bound), where });
    }
    if (spec.maxFinalLossDeviation !== undefined) {
      const observed = Math.abs(s.finalLoss - s.predictedFinalLoss);
      if (!(observed <= spec.maxFinalLossDeviation)) {
        out.push({
          metric: `${run}.maxFinalLossDeviation`,
          observed: fmt(observed),
          tolerance: fmt(spec.maxFinalLossDeviation),
          where,
        });
      }
    }
  }
  for (const [name, key] of SLOPES) {
    const bounds = spec[name] as { min?: number; max?: number } | undefined;
    if (!bounds) continue;
    const v = slopeViolation(run, name, bounds, broadening, key);
    if (v) out.push(v);
  }
  return out;
}
