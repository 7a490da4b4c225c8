import { describe, expect, it } from 'vitest';
import type { Trajectory } from '../../src/model/trajectory.js';
import { trajectoryCsv, trajectoryCsvHeader, trajectoryCsvRows, trajectoryRows } from '../../src/io/trajectory-csv.js';
import { identity } from '../../src/model/overlaps.js';
import { StateLayout } from '../../src/model/state-layout.js';

function trajectory(seed: number, withReadouts = false): Trajectory {
  const layout = new StateLayout(2, 1, withReadouts);
  const state = (t: number) =>
    Float64Array.from({ length: layout.dim }, (_, i) => 0.1 * (i + 1) + t / 3 + seed * 1e-17);
  return {
    source: 'network',
    layout,
    fixed: {
      K: 2,
      M: 1,
      Q: identity(2),
      R: new Float64Array(2),
      T: identity(1),
      a: new Float64Array([1, 1]),
      v: new Float64Array([1]),
    },
    times: [0, 0.1],
    states: [state(0), state(0.1)],
    loss: [1 / 3, 2e-300],
    steps: [0, 100],
    seed,
  };
}

describe('trajectory CSV/JSON writer', () => {
  const keys = [
    { name: 'seed', value: (tr: Trajectory) => tr.seed ?? '' },
    { name: 'step', value: (tr: Trajectory, i: number) => tr.steps?.[i] ?? '' },
  ];

  it('writes key columns, t, loss and the layout columns, full float64 precision', () => {
    const csv = trajectoryCsv([trajectory(1), trajectory(2)], keys);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('seed,step,t,loss,Q_1_1,Q_1_2,Q_2_2,R_1_1,R_2_1');
    expect(lines.length).toBe(5);
    expect(lines[1].startsWith('1,0,0,0.3333333333333333,')).toBe(true);
    expect(lines[4].startsWith('2,100,0.1,2e-300,')).toBe(true);
    // Every number round-trips exactly.
    const tr = trajectory(2);
    expect(lines[4].split(',').slice(4).map(Number)).toEqual(Array.from(tr.states[1]));
  });

  it('header + rows compose to the full text (for appending), readout columns appear when trained', () => {
    const trs = [trajectory(3, true)];
    expect(trajectoryCsvHeader(trs[0]) + trajectoryCsvRows(trs)).toBe(trajectoryCsv(trs));
    expect(trajectoryCsvHeader(trs[0]).trimEnd()).toBe('t,loss,Q_1_1,Q_1_2,Q_2_2,R_1_1,R_2_1,a_1,a_2');
  });

  it('rejects mixed layouts and empty input', () => {
    expect(() => trajectoryCsv([trajectory(1), trajectory(1, true)])).toThrow(RangeError);
    expect(() => trajectoryCsv([])).toThrow(RangeError);
  });

  it('JSON rows use the same column names', () => {
    const rows = trajectoryRows([trajectory(5)], keys);
    expect(Object.keys(rows[0])).toEqual(['seed', 'step', 't', 'loss', 'Q_1_1', 'Q_1_2', 'Q_2_2', 'R_1_1', 'R_2_1']);
    expect(rows[1].step).toBe(100);
  });
});
