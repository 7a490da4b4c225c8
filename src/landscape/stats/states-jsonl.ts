import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic.js';
import type { RunRecord } from './run.js';

/**
 * DIR/states.jsonl: one JSON object per non-global end state, so that any of them can be re-examined
 * (`fixed-points --from`, `hessian --from`, the census) — `{"seed", "class", "k1", "k1_argmax", "loss",
 * "max_real_eigenvalue", "Q", "R", "T"}`, numbers in shortest round-trip form (full float64 precision).
 * runs.csv is the record of which runs exist: a state is appended before its runs.csv line, and on
 * resume lines of seeds runs.csv does not hold (a run killed in between) or a torn last line are dropped.
 */
export const STATES_FILE = 'states.jsonl';

/** The states.jsonl line of a record, or null for a global run (no line). */
export function stateLine(r: RunRecord): string | null {
  if (!r.endState) return null;
  return JSON.stringify({
    seed: r.seed,
    class: r.class,
    k1: r.k1,
    k1_argmax: r.k1Argmax,
    loss: r.finalLoss,
    max_real_eigenvalue: r.maxRealEigenvalue,
    ...r.endState,
  });
}

/** The seed of a states.jsonl line, or null when the line is not a complete JSON object with one. */
function seedOf(line: string): number | null {
  try {
    const seed = (JSON.parse(line) as { seed?: unknown }).seed;
    return typeof seed === 'number' ? seed : null;
  } catch {
    return null;
  }
}

/**
 * Read `path` keeping the lines of `seeds` (the runs recorded in runs.csv), rewriting the file when
 * anything was dropped; creates an empty file when there is none. Returns the kept lines by seed.
 */
export function openStates(path: string, seeds: ReadonlySet<number>): Map<number, string> {
  const kept = new Map<number, string>();
  if (!existsSync(path)) {
    writeFileAtomic(path, '');
    return kept;
  }
  const lines = readFileSync(path, 'utf8').split('\n');
  let dropped = false;
  for (const line of lines) {
    if (line === '') continue;
    const seed = seedOf(line);
    if (seed !== null && seeds.has(seed) && !kept.has(seed)) kept.set(seed, line);
    else dropped = true;
  }
  if (dropped) writeFileAtomic(path, statesJsonl(kept));
  return kept;
}

/** Append one state line with a single write (O_APPEND), as runs.csv rows are. */
export function appendState(path: string, line: string): void {
  appendFileSync(path, `${line}\n`);
}

/** The lines sorted by seed (the canonical order of finished and merged runs). */
export function statesJsonl(lines: ReadonlyMap<number, string>): string {
  return [...lines.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, line]) => `${line}\n`)
    .join('');
}

/** Lines of a finished directory's states.jsonl by seed (merge); empty when the file is absent. */
export function readStates(path: string): Map<number, string> {
  const lines = new Map<number, string>();
  if (!existsSync(path)) return lines;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const seed = line === '' ? null : seedOf(line);
    if (seed !== null) lines.set(seed, line);
  }
  return lines;
}
