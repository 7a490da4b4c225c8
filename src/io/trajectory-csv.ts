import { stringify } from 'csv-stringify/sync';
import type { Trajectory } from '../model/trajectory.js';
import { clampLoss } from './loss.js';

/**
 * THE trajectory writer (architecture.md "one CSV writer"), used by every command (ode, train, run,
 * stats, reports) so that all trajectory files share one column contract:
 *
 *   <key columns...>, t, loss, Q_1_1, Q_1_2, ..., R_1_1, ..., [a_1, ...]
 *
 * The state columns are `layout.columnNames()` (1-based Q_i_j for i ≤ j, R_i_m row-major, a_i when the
 * readouts are trained). Key columns identify a row when several trajectories share one file, e.g.
 *   [{ name: 'seed', value: (tr) => tr.seed ?? '' }, { name: 'step', value: (tr, i) => tr.steps?.[i] ?? '' }]
 * for the network engine, or [{ name: 'source', value: (tr) => tr.source }] for reports.
 * `value(tr, i)` receives the trajectory and the row index i (0 ≤ i < tr.times.length).
 *
 * Numbers are written with String(x): the shortest representation that parses back to the identical
 * float64 (ECMAScript Number::toString), so files round-trip exactly; NaN/±Infinity appear as
 * NaN/Infinity/-Infinity; a negative loss (float64 round-off, ./loss.ts) is written as 0. The output is deterministic: the same trajectories give byte-identical text.
 */
export interface KeyColumn {
  name: string;
  value: (tr: Trajectory, i: number) => string | number;
}

/** Header cells: key columns, then t, loss and the state columns of `tr.layout`. */
export function trajectoryColumns(tr: Trajectory, keyColumns: readonly KeyColumn[] = []): string[] {
  return [...keyColumns.map((k) => k.name), 't', 'loss', ...tr.layout.columnNames()];
}

function cell(v: string | number): string {
  return typeof v === 'number' ? String(v) : v;
}

/** Row cells (strings) of one trajectory, one row per save time. */
export function trajectoryRecords(tr: Trajectory, keyColumns: readonly KeyColumn[] = []): string[][] {
  return tr.times.map((t, i) => {
    const row = keyColumns.map((k) => cell(k.value(tr, i)));
    // A round-off negative loss (−5e-10 at a global minimum) is written as 0 (./loss.ts).
    row.push(String(t), String(clampLoss(tr.loss[i])));
    const state = tr.states[i];
    for (let j = 0; j < state.length; j++) row.push(String(state[j]));
    return row;
  });
}

function checkSameColumns(trajectories: readonly Trajectory[]): void {
  const first = trajectories[0].layout.columnNames().join(',');
  for (const tr of trajectories) {
    if (tr.layout.columnNames().join(',') !== first) {
      throw new RangeError(
        `trajectories with different state columns cannot share one CSV (${first} vs ${tr.layout.columnNames().join(',')})`,
      );
    }
  }
}

/** CSV text of the header line alone (for files that are appended to as results arrive). */
export function trajectoryCsvHeader(tr: Trajectory, keyColumns: readonly KeyColumn[] = []): string {
  return stringify([trajectoryColumns(tr, keyColumns)]);
}

/** CSV text of the rows of `trajectories`, without the header (append after trajectoryCsvHeader). */
export function trajectoryCsvRows(trajectories: readonly Trajectory[], keyColumns: readonly KeyColumn[] = []): string {
  if (trajectories.length === 0) return '';
  checkSameColumns(trajectories);
  return stringify(trajectories.flatMap((tr) => trajectoryRecords(tr, keyColumns)));
}

/**
 * Complete CSV text (header + all rows, '\n' line ends) of one or more trajectories with identical state
 * columns; throws RangeError for an empty list or mismatched layouts.
 */
export function trajectoryCsv(trajectories: readonly Trajectory[], keyColumns: readonly KeyColumn[] = []): string {
  if (trajectories.length === 0) throw new RangeError('trajectoryCsv needs at least one trajectory');
  return trajectoryCsvHeader(trajectories[0], keyColumns) + trajectoryCsvRows(trajectories, keyColumns);
}

/**
 * The same rows as JSON-ready objects keyed by the CSV column names ({ t, loss, Q_1_1, ... } plus key
 * columns), numbers as numbers (JSON.stringify also writes the shortest round-trip form; non-finite
 * values become null).
 */
export function trajectoryRows(
  trajectories: readonly Trajectory[],
  keyColumns: readonly KeyColumn[] = [],
): Record<string, string | number>[] {
  if (trajectories.length > 0) checkSameColumns(trajectories);
  return trajectories.flatMap((tr) => {
    const names = tr.layout.columnNames();
    return tr.times.map((t, i) => {
      const row: Record<string, string | number> = {};
      for (const k of keyColumns) row[k.name] = k.value(tr, i);
      row.t = t;
      row.loss = clampLoss(tr.loss[i]);
      names.forEach((name, j) => {
        row[name] = tr.states[i][j];
      });
      return row;
    });
  });
}
