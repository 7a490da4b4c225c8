import { InputError } from '../model/errors.js';
import { type SaveTimesSpec, parseDecimal, parseSaveTimes } from '../theory/solvers/save-times.js';

/**
 * Flag parsers shared by the commands (ode, train, run, fixed-points, stats). Each takes the raw commander value
 * (a string, or undefined when the flag is absent), the flag name for the error message, and an
 * optional default: absent + default → the default; absent + no default → InputError "is required".
 * Any malformed value → InputError(flag, ...), which the CLI prints on one line and exits 2.
 * Numbers must be plain decimals ("1", "0.5", "1e-3"); "", "0x10", "Infinity", "1,5" are rejected.
 */

function present(text: unknown, flag: string): string | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string') throw new InputError(flag, 'expects a value');
  return text;
}

function required<T>(fallback: T | undefined, flag: string): T {
  if (fallback === undefined) throw new InputError(flag, 'is required');
  return fallback;
}

function number(text: string, flag: string, what: string, ok: (v: number) => boolean): number {
  const v = parseDecimal(text);
  if (!Number.isFinite(v) || !ok(v)) throw new InputError(flag, `must be ${what}, got "${text}"`);
  return v;
}

export function parsePositiveNumber(text: unknown, flag: string, fallback?: number): number {
  const s = present(text, flag);
  return s === undefined ? required(fallback, flag) : number(s, flag, 'a positive finite number', (v) => v > 0);
}

export function parseNonNegativeNumber(text: unknown, flag: string, fallback?: number): number {
  const s = present(text, flag);
  return s === undefined ? required(fallback, flag) : number(s, flag, 'a finite number >= 0', (v) => v >= 0);
}

export function parsePositiveInteger(text: unknown, flag: string, fallback?: number): number {
  const s = present(text, flag);
  return s === undefined
    ? required(fallback, flag)
    : number(s, flag, 'a positive integer', (v) => Number.isSafeInteger(v) && v >= 1);
}

export function parseNonNegativeInteger(text: unknown, flag: string, fallback?: number): number {
  const s = present(text, flag);
  return s === undefined
    ? required(fallback, flag)
    : number(s, flag, 'a non-negative integer', (v) => Number.isSafeInteger(v) && v >= 0);
}

export function parseEnum<T extends string>(text: unknown, allowed: readonly T[], flag: string, fallback?: T): T {
  const s = present(text, flag);
  if (s === undefined) return required(fallback, flag);
  if (!(allowed as readonly string[]).includes(s))
    throw new InputError(flag, `must be one of ${allowed.join(', ')}, got "${s}"`);
  return s as T;
}

/** `log:N`, `linear:N` or a comma-separated list (src/theory/solvers/save-times.ts). */
export function parseSaveTimesFlag(text: unknown, flag: string, fallback?: string): SaveTimesSpec {
  const s = present(text, flag) ?? required(fallback, flag);
  return parseSaveTimes(s, flag);
}

/** Reject a flag that has no meaning in the current configuration (instead of silently ignoring it). */
export function rejectFlag(text: unknown, flag: string, reason: string): void {
  if (text !== undefined) throw new InputError(flag, reason);
}

/** Largest number of values one list flag may expand to (a typo like 0..1e9 should fail, not allocate). */
const MAX_SEEDS = 1_000_000;

/**
 * A seed list (also --k1 and --rows): a single value ("3"), an inclusive range ("0..9"), a comma-separated
 * list ("1,4,7"), or a list mixing both ("0..3,10"). Values are non-negative integers; duplicates are rejected.
 */
export function parseSeedList(text: unknown, flag: string, fallback?: number[]): number[] {
  const s = present(text, flag);
  if (s === undefined) return required(fallback, flag).slice();
  const seeds: number[] = [];
  const seed = (item: string): number =>
    number(
      item,
      flag,
      'a list like 0..9, 3 or 1,4,7 of non-negative integers',
      (v) => Number.isSafeInteger(v) && v >= 0,
    );
  for (const item of s.split(',')) {
    const range = /^\s*(\S+)\s*\.\.\s*(\S+)\s*$/.exec(item);
    if (!range) {
      seeds.push(seed(item.trim()));
      continue;
    }
    const [from, to] = [seed(range[1]), seed(range[2])];
    if (to < from) throw new InputError(flag, `range ${item.trim()} is empty (${to} < ${from})`);
    if (seeds.length + to - from + 1 > MAX_SEEDS)
      throw new InputError(flag, `expands to more than ${MAX_SEEDS} values`);
    for (let v = from; v <= to; v++) seeds.push(v);
  }
  if (new Set(seeds).size !== seeds.length) throw new InputError(flag, `lists a value twice ("${s}")`);
  return seeds;
}

/** Any finite decimal (range rules belong to the field's own validation, e.g. an activation parameter). */
export function parseNumber(text: unknown, flag: string): number {
  const s = present(text, flag) ?? required<string>(undefined, flag);
  return number(s, flag, 'a finite number', () => true);
}

/** Parse a flag only when it is present. */
export const optional = <T>(text: string | undefined, parse: (s: string) => T): T | undefined =>
  text === undefined ? undefined : parse(text);
