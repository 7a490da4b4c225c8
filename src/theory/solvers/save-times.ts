import { InputError } from '../../model/errors.js';

/**
 * Save-time specifications (the `--save-times` flag and scenario fields):
 * - `log:N`    N times: t = 0, then N−1 log-spaced times from LOG_START_FRACTION·min(1, tMax) to tMax
 *              (both included). Mean-field dynamics has structure from t ~ 1e-2 (initial descent) to
 *              t ~ 1e4 (slow convergence), so log spacing is the default.
 * - `linear:N` N equally spaced times from 0 to tMax (both included).
 * - `0,1,5,10` an explicit, strictly increasing list of times in [0, tMax].
 */
export type SaveTimesSpec =
  { kind: 'log'; count: number } | { kind: 'linear'; count: number } | { kind: 'list'; times: number[] };

export const DEFAULT_SAVE_TIMES = 'log:200';
/** First positive log-spaced time, as a fraction of min(1, tMax). */
export const LOG_START_FRACTION = 1e-2;
const MAX_SAVE_TIMES = 10_000_000;

/** A plain decimal number ("1", "-0.5", "1e-3", ".5"); NaN for anything else ("", "0x10", "1,5", "Infinity"). */
export function parseDecimal(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : NaN;
}

function parseCount(text: string, where: string): number {
  const n = parseDecimal(text);
  if (!(Number.isInteger(n) && n >= 2 && n <= MAX_SAVE_TIMES)) {
    throw new InputError(where, `count must be an integer between 2 and ${MAX_SAVE_TIMES}, got "${text}"`);
  }
  return n;
}

export function parseSaveTimes(text: string, where = '--save-times'): SaveTimesSpec {
  const s = text.trim();
  const prefixed = /^(log|linear):(.*)$/.exec(s);
  if (prefixed) return { kind: prefixed[1] as 'log' | 'linear', count: parseCount(prefixed[2], where) };
  if (s === '') throw new InputError(where, 'must be log:N, linear:N or a comma-separated list of times');
  const times = s.split(',').map((item) => {
    const t = parseDecimal(item);
    if (!Number.isFinite(t) || t < 0) {
      throw new InputError(
        where,
        `"${item.trim()}" is not a non-negative number (expected log:N, linear:N or a list like 0,1,5,10)`,
      );
    }
    return t;
  });
  for (let i = 1; i < times.length; i++) {
    if (!(times[i] > times[i - 1]))
      throw new InputError(where, `times must be strictly increasing (${times[i - 1]} then ${times[i]})`);
  }
  return { kind: 'list', times };
}

export function formatSaveTimes(spec: SaveTimesSpec): string {
  return spec.kind === 'list' ? spec.times.join(',') : `${spec.kind}:${spec.count}`;
}

/** The save times of `spec` on [0, tMax]: strictly increasing, all in [0, tMax]. */
export function buildSaveTimes(spec: SaveTimesSpec, tMax: number, where = '--save-times'): number[] {
  if (!(Number.isFinite(tMax) && tMax > 0)) throw new RangeError(`tMax must be positive and finite, got ${tMax}`);
  switch (spec.kind) {
    case 'list': {
      const last = spec.times[spec.times.length - 1];
      if (last > tMax) throw new InputError(where, `time ${last} is beyond t-max = ${tMax}`);
      return spec.times.slice();
    }
    case 'linear':
      return Array.from({ length: spec.count }, (_, i) =>
        i === spec.count - 1 ? tMax : (tMax * i) / (spec.count - 1),
      );
    case 'log': {
      const positive = spec.count - 1;
      const t0 = LOG_START_FRACTION * Math.min(1, tMax);
      const logT0 = Math.log(t0);
      const span = Math.log(tMax) - logT0;
      const times = [0];
      for (let i = 0; i < positive; i++) {
        times.push(i === positive - 1 ? tMax : Math.exp(logT0 + (span * i) / (positive - 1)));
      }
      return times;
    }
  }
}

/**
 * Relative slack, in steps, within which a time counts as a grid time n·dt (decimal input such as
 * t = 0.3, dt = 0.1 gives t/dt = 2.9999999999999996). The network engine uses the same slack for
 * "t_max is a whole number of steps" (src/network/config.ts).
 */
export const STEP_GRID_SLACK = 1e-9;

/** The step number n with t = n·dt to round-off (|t/dt − n| ≤ STEP_GRID_SLACK·max(1, n)), or null if t is off the grid. */
export function onStepGrid(t: number, dt: number): number | null {
  const steps = t / dt;
  const n = Math.round(steps);
  return Math.abs(steps - n) <= STEP_GRID_SLACK * Math.max(1, n) ? n : null;
}

/**
 * Save times for a fixed-step discrete map (solve method 'map'), which has states only at t = n·dt:
 * tMax must be a whole number of steps (else InputError at `dtWhere`); an explicit list must lie on the
 * grid (else InputError at `where`, naming the first time that does not); log:N and linear:N times are
 * rounded to the nearest step and duplicates dropped (as the network's --record log:N does), so short
 * runs can get fewer than N times. The returned times are n·dt, exactly as the step loop computes them.
 */
export function buildGridSaveTimes(
  spec: SaveTimesSpec,
  tMax: number,
  dt: number,
  where = '--save-times',
  dtWhere = '--dt',
): number[] {
  const total = onStepGrid(tMax, dt);
  if (total === null || total < 1)
    throw new InputError(dtWhere, `t-max (${tMax}) must be a whole number of steps of ${dt} for the map method`);
  const steps = buildSaveTimes(spec, tMax, where).map((t) => {
    const n = onStepGrid(t, dt);
    if (n !== null) return n;
    if (spec.kind === 'list')
      throw new InputError(
        where,
        `time ${t} is not a multiple of the step ${dt}: the map method has states only at t = n·dt`,
      );
    return Math.min(total, Math.round(t / dt));
  });
  return [...new Set(steps)].map((n) => (n === total ? tMax : n * dt));
}
