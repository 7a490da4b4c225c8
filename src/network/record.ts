import { InputError } from '../model/errors.js';
import { buildSaveTimes, parseDecimal } from '../theory/solvers/save-times.js';

/**
 * When the engine records overlaps (the `--record` flag):
 * - `log:N`   about N steps on the same log-spaced time grid as `ode --save-times log:N` (t = 0, then
 *             log-spaced from 0.01·min(1, t_max) to t_max), each rounded to the nearest step; steps that
 *             coincide after rounding are recorded once, so short runs can have fewer than N rows;
 * - `every:k` every k-th step, plus the last step.
 * Step 0 and the last step are always recorded.
 */
export type RecordSpec = { kind: 'log'; count: number } | { kind: 'every'; interval: number };

export const DEFAULT_RECORD = 'log:200';

export function parseRecordSpec(text: string, where = '--record'): RecordSpec {
  const match = /^(log|every):(.*)$/.exec(text.trim());
  const value = match ? parseDecimal(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(value))
    throw new InputError(where, `must be log:N or every:k with integers N >= 2, k >= 1, got "${text}"`);
  if (match[1] === 'log') {
    if (value < 2) throw new InputError(where, `log:N needs N >= 2, got "${text}"`);
    return { kind: 'log', count: value };
  }
  if (value < 1) throw new InputError(where, `every:k needs k >= 1, got "${text}"`);
  return { kind: 'every', interval: value };
}

export function formatRecordSpec(spec: RecordSpec): string {
  return spec.kind === 'log' ? `log:${spec.count}` : `every:${spec.interval}`;
}

/** Strictly increasing step numbers to record, from 0 to totalSteps (both included). */
export function recordSteps(spec: RecordSpec, totalSteps: number, stepTime: number): number[] {
  const steps = new Set<number>([0, totalSteps]);
  if (spec.kind === 'every') {
    for (let s = spec.interval; s < totalSteps; s += spec.interval) steps.add(s);
  } else {
    for (const t of buildSaveTimes({ kind: 'log', count: spec.count }, totalSteps * stepTime)) {
      steps.add(Math.min(totalSteps, Math.round(t / stepTime)));
    }
  }
  return [...steps].sort((x, y) => x - y);
}
