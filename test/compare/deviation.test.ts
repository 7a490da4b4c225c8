import { describe, expect, it } from 'vitest';
import { trajectoryDeviation } from '../../src/compare/deviation.js';
import type { Trajectory } from '../../src/model/trajectory.js';
import { identity } from '../../src/model/overlaps.js';
import { StateLayout } from '../../src/model/state-layout.js';

const layout = new StateLayout(2, 2, true);
const fixed = {
  K: 2,
  M: 2,
  Q: identity(2),
  R: new Float64Array(4),
  T: identity(2),
  a: new Float64Array([1, 1]),
  v: new Float64Array([1, 1]),
};

function trajectory(
  source: 'network' | 'theory',
  times: number[],
  state: (t: number) => number[],
  loss: (t: number) => number,
): Trajectory {
  return { source, layout, fixed, times, states: times.map((t) => Float64Array.from(state(t))), loss: times.map(loss) };
}

describe('trajectoryDeviation', () => {
  const times = [0, 1, 2, 3];
  // Packed order: Q11 Q12 Q22 | R11 R12 R21 R22 | a1 a2 (docs/theory.md §6).
  const theory = trajectory(
    'theory',
    times,
    (t) => [1, 0, 1, t, 0, 0, t, 1, 1],
    (t) => 1 / (1 + t),
  );
  const network = trajectory(
    'network',
    times,
    (t) => [1 + 0.01 * t, 0, 1, t, -0.002 * t, 0, t, 1, 1 + 0.03 * (t === 3 ? 1 : 0)],
    (t) => 1 / (1 + t) + 0.001 * t * t,
  );

  it('takes the max over time and entries, per quantity', () => {
    const dev = trajectoryDeviation(network, theory, { loss: 1, Q: 1, R: 1, a: 1 });
    expect(dev.max.loss).toBeCloseTo(0.009, 15);
    expect(dev.max.Q).toBeCloseTo(0.03, 15);
    expect(dev.max.R).toBeCloseTo(0.006, 15);
    expect(dev.max.a).toBeCloseTo(0.03, 15);
    expect(dev.final.Q).toBeCloseTo(0.03, 15);
    expect(dev.points).toBe(4);
  });

  it('reports the first time each deviation exceeds its threshold', () => {
    const dev = trajectoryDeviation(network, theory, { loss: 0.002, Q: 0.015, R: 0.1, a: 0.01 });
    expect(dev.firstExceed).toEqual({ loss: 2, Q: 2, R: null, a: 3 });
  });

  it('compares a diverged (shorter) network run on the common prefix and treats NaN as exceeding', () => {
    const short = trajectory(
      'network',
      [0, 1],
      (t) => [1, 0, 1, t, 0, 0, t, 1, t === 1 ? NaN : 1],
      (t) => 1 / (1 + t),
    );
    const dev = trajectoryDeviation(short, theory, { loss: 1, Q: 1, R: 1, a: 1 });
    expect(dev.points).toBe(2);
    expect(dev.tEnd).toBe(1);
    expect(dev.max.a).toBeNaN();
    expect(dev.firstExceed.a).toBe(1);
  });

  it('refuses trajectories recorded at different times', () => {
    const shifted = trajectory(
      'theory',
      [0, 1.5, 2, 3],
      (t) => [1, 0, 1, t, 0, 0, t, 1, 1],
      () => 0,
    );
    expect(() => trajectoryDeviation(network, shifted, { loss: 1, Q: 1, R: 1, a: 1 })).toThrow(/recorded times differ/);
  });
});
