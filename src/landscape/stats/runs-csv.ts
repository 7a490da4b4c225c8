import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { InputError } from '../../model/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { END_CLASSES, type EndClass } from '../classify.js';
import type { PassedSaddle, RunFinish, RunRecord } from './run.js';

/**
 * runs.csv columns (issue 5: seed, final loss, class, k1, steps, wall time; plus t_final and max|F|;
 * issue 9 appended the rest). `saddle_path` lists the saddles passed as `loss:index` separated by `;`
 * (no comma, so the file needs no quoting).
 */
export const RUN_COLUMNS = [
  'seed',
  'final_loss',
  'class',
  'k1',
  'steps',
  'wall_time_s',
  't_final',
  'max_rhs',
  'finish',
  'newton_iterations',
  'n_unstable',
  'max_real_eigenvalue',
  'saddles_passed',
  'saddle_path',
  'k1_argmax',
] as const;
const HEADER = RUN_COLUMNS.join(',');
const FINISHES: readonly RunFinish[] = ['loss', 'newton', 'flow', 't-max', 'diverged', 'max-steps'];

/** One CSV line (no quoting needed: numbers in shortest round-trip form, fixed identifiers). */
export function runLine(r: RunRecord): string {
  return [
    r.seed,
    r.finalLoss,
    r.class,
    r.k1,
    r.steps,
    r.wallTime,
    r.tFinal,
    r.maxRhs,
    r.finish,
    r.newtonIterations,
    r.nUnstable ?? '',
    r.maxRealEigenvalue ?? '',
    r.saddles.length,
    r.saddles.map((p) => `${p.loss}:${p.index}`).join(';'),
    r.k1Argmax,
  ].join(',');
}

function parseRunLine(line: string, where: string): RunRecord {
  const cells = line.split(',');
  if (cells.length !== RUN_COLUMNS.length)
    throw new InputError(where, `expected ${RUN_COLUMNS.length} columns, got ${cells.length}`);
  const num = (i: number) => {
    const v = Number(cells[i]);
    if (cells[i] === '' || Number.isNaN(v))
      throw new InputError(where, `column ${RUN_COLUMNS[i]} is not a number: "${cells[i]}"`);
    return v;
  };
  const cls = cells[2] as EndClass;
  const finish = cells[8] as RunFinish;
  if (!END_CLASSES.includes(cls)) throw new InputError(where, `unknown class "${cells[2]}"`);
  if (!FINISHES.includes(finish)) throw new InputError(where, `unknown finish "${cells[8]}"`);
  return {
    seed: num(0),
    finalLoss: num(1),
    class: cls,
    k1: num(3),
    steps: num(4),
    wallTime: num(5),
    tFinal: num(6),
    maxRhs: num(7),
    finish,
    newtonIterations: num(9),
    nUnstable: cells[10] === '' ? null : num(10),
    maxRealEigenvalue: cells[11] === '' ? null : num(11),
    saddles: parseSaddlePath(cells[13], num(12), where),
    k1Argmax: num(14),
  };
}

function parseSaddlePath(cell: string, count: number, where: string): PassedSaddle[] {
  const entries = cell === '' ? [] : cell.split(';');
  if (entries.length !== count)
    throw new InputError(where, `saddles_passed is ${count} but saddle_path lists ${entries.length}`);
  return entries.map((entry) => {
    const [loss, index] = entry.split(':').map(Number);
    if (!Number.isFinite(loss) || !Number.isInteger(index))
      throw new InputError(where, `column saddle_path: "${entry}" is not loss:index`);
    return { loss, index };
  });
}

/**
 * Parse runs.csv text (complete lines only). A seed recorded twice (two processes appending to one
 * directory before it was locked, or a hand-edited file) is an InputError naming both lines: counting it
 * twice would bias every fraction, and which of the two to keep is the user's call.
 */
export function parseRuns(text: string, where: string): RunRecord[] {
  const lines = text.split('\n');
  if (lines[0] !== HEADER) throw new InputError(where, `is not a runs.csv of this version (header "${lines[0]}")`);
  const lineOf = new Map<number, number>();
  const records: RunRecord[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line === '') return;
    const record = parseRunLine(line, `${where}:${i + 1}`);
    const first = lineOf.get(record.seed);
    if (first !== undefined) {
      throw new InputError(
        `${where}:${i + 1}`,
        `seed ${record.seed} is recorded twice (also on line ${first}); delete one of the two lines (or the file, to recompute) and run again`,
      );
    }
    lineOf.set(record.seed, i + 1);
    records.push(record);
  });
  return records;
}

/** Runs already recorded in a runs.csv (complete, valid lines; 0 when there is no usable file): for progress displays. */
export function countRecordedRuns(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    return parseRuns(text.slice(0, text.lastIndexOf('\n') + 1), path).length;
  } catch {
    return 0;
  }
}

/**
 * Open runs.csv for appending: create it with its header, or read the rows already recorded. A run
 * killed while appending can leave one unterminated last line; it is cut off here (that run is redone),
 * so a kill costs at most the runs in flight.
 */
export function openRuns(path: string): RunRecord[] {
  if (!existsSync(path)) {
    writeFileAtomic(path, `${HEADER}\n`);
    return [];
  }
  const text = readFileSync(path, 'utf8');
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, complete)));
  if (complete === 0) {
    writeFileAtomic(path, `${HEADER}\n`);
    return [];
  }
  return parseRuns(text.slice(0, complete), path);
}

/** Append one row with a single write of a whole line (O_APPEND): rows never interleave or tear mid-file. */
export function appendRun(path: string, r: RunRecord): void {
  appendFileSync(path, `${runLine(r)}\n`);
}

/** Rows sorted by seed (the canonical order of merged and finished runs). */
export function runsCsv(records: RunRecord[]): string {
  return `${HEADER}\n${[...records]
    .sort((a, b) => a.seed - b.seed)
    .map((r) => `${runLine(r)}\n`)
    .join('')}`;
}
