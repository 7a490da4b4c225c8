import { describe, expect, it } from 'vitest';
import { trajectoryDeviation } from '../../src/compare/deviation.js';
import {
  LABEL_SWITCH_RATIO,
  bestUnitPermutation,
  matchedComparison,
  permuteState,
  relabelEndState,
} from '../../src/compare/matching.js';
import { identity } from '../../src/model/overlaps.js';
import { StateLayout } from '../../src/model/state-layout.js';
import type { Trajectory } from '../../src/model/trajectory.js';
import { NormalSampler } from '../../src/random/normal.js';

const thresholds = { loss: 1e-3, Q: 1e-2, R: 1e-2, a: 1e-2 };

/**
 * A K = M = 3 theory trajectory that leaves a symmetric plateau for the global minimum (R → I, Q → I),
 * and a network that follows it up to small noise but specialises with its units 1 and 2 swapped
 * (R → the permutation matrix): the situation of scenarios/broadening.json, d = 1600 seed 2.
 */
function swappedPair(withReadouts = false): { network: Trajectory; theory: Trajectory } {
  const K = 3;
  const layout = new StateLayout(K, K, withReadouts);
  const fixed = {
    K,
    M: K,
    Q: identity(K),
    R: new Float64Array(K * K),
    T: identity(K),
    a: new Float64Array(K).fill(1),
    v: new Float64Array(K).fill(1),
  };
  const times = Array.from({ length: 21 }, (_, i) => i);
  const sampler = new NormalSampler(7);
  // Initial state: slightly different units (O(0.02)), R near 0.
  const init = Float64Array.from({ length: layout.dim }, () => 0);
  for (let i = 0; i < K; i++) {
    init[layout.q(i, i)] = 0.5 + 0.02 * i;
    for (let m = 0; m < K; m++) init[layout.r(i, m)] = 0.2 + 0.01 * (i + m);
    if (withReadouts) init[layout.a(i)] = 1;
  }
  const target = (perm: number[]) => {
    const x = new Float64Array(layout.dim);
    for (let i = 0; i < K; i++) {
      x[layout.q(i, i)] = 1;
      x[layout.r(i, perm[i])] = 1;
      if (withReadouts) x[layout.a(i)] = 1 + 0.1 * perm[i];
    }
    return x;
  };
  // s(t): 0 on the plateau (t < 8), → 1 after the escape.
  const s = (t: number) => (t < 8 ? 0 : 1 - Math.exp(-(t - 8) / 2));
  const path = (end: Float64Array, noise: number) =>
    times.map((t) => Float64Array.from(init, (v, i) => (1 - s(t)) * v + s(t) * end[i] + noise * sampler.next()));
  const loss = times.map((t) => 0.1 * (1 - s(t)) + 1e-3);
  const theory: Trajectory = { source: 'theory', layout, fixed, times, states: path(target([0, 1, 2]), 0), loss };
  const network: Trajectory = {
    source: 'network',
    layout,
    fixed,
    times,
    states: path(target([1, 0, 2]), 0.003),
    loss: loss.map((l) => l + 1e-4),
  };
  return { network, theory };
}

describe('student-unit matching of a network against its theory (issue 9 item 8)', () => {
  it('finds the permutation that relabels one state into another, Q symmetrically, R by rows, a by entries', () => {
    const layout = new StateLayout(4, 3, true);
    const sampler = new NormalSampler(3);
    const y = sampler.fill(new Float64Array(layout.dim));
    const perm = [2, 0, 3, 1];
    // x = y with its units shuffled so that permuting x by perm gives back y.
    const inverse = perm.map((_, k) => perm.indexOf(k));
    const x = permuteState(y, layout, inverse);
    const best = bestUnitPermutation(x, y, layout);
    expect(best).toEqual(perm);
    expect(Array.from(permuteState(x, layout, best))).toEqual(Array.from(y));
    expect(relabelEndState(x, y, layout)).toMatchObject({ labelSwitched: true, finalBest: 0 });
  });

  it('swapped units: raw max|ΔR| ≈ 1, matched ≈ the noise, flagged label-switched, permutation applied to the whole trajectory', () => {
    const { network, theory } = swappedPair();
    const raw = trajectoryDeviation(network, theory, thresholds);
    const m = matchedComparison(network, theory, thresholds);
    expect(raw.max.R).toBeGreaterThan(0.95);
    expect(m.labelSwitched).toBe(true);
    expect(m.permutation).toEqual([1, 0, 2]);
    expect(m.deviation.max.R).toBeLessThan(0.05);
    expect(m.deviation.max.Q).toBeLessThan(0.05);
    // Before the escape the units are nearly alike, so the relabelled start differs only by their O(0.02) spread.
    expect(m.finalBest).toBeLessThan(LABEL_SWITCH_RATIO * m.finalRaw);
    // The loss is invariant under relabelling.
    expect(m.deviation.max.loss).toBe(raw.max.loss);
  });

  it('trained readouts are permuted with their units', () => {
    const { network, theory } = swappedPair(true);
    const m = matchedComparison(network, theory, thresholds);
    expect(trajectoryDeviation(network, theory, thresholds).max.a).toBeGreaterThan(0.09);
    expect(m.labelSwitched).toBe(true);
    expect(m.deviation.max.a).toBeLessThan(0.02);
  });

  it('no switch: the identity, matched = raw', () => {
    const { theory } = swappedPair();
    const sampler = new NormalSampler(11);
    const network: Trajectory = {
      ...theory,
      source: 'network',
      states: theory.states.map((x) => x.map((v) => v + 0.01 * sampler.next())),
    };
    const m = matchedComparison(network, theory, thresholds);
    expect(m.labelSwitched).toBe(false);
    expect(m.permutation).toEqual([0, 1, 2]);
    expect(m.deviation).toEqual(trajectoryDeviation(network, theory, thresholds));
  });

  it('interchangeable end state: a permutation that fits the end better but not the start is not a label switch', () => {
    const { theory } = swappedPair();
    const L = theory.layout;
    const last = theory.times.length - 1;
    // Both end at a nearly symmetric state (every unit alike up to 1e-3 in one entry), from distinct units;
    // the odd unit is unit 2 in the theory and unit 1 in the network, so the swap fits the end exactly.
    const symmetric = (x: Float64Array, odd: number) => {
      const y = Float64Array.from(x);
      for (let i = 0; i < 3; i++) for (let j = i; j < 3; j++) y[L.q(i, j)] = i === j ? 1 : 0.3;
      for (let k = 0; k < 3; k++) for (let m = 0; m < 3; m++) y[L.r(k, m)] = 0.4 + (k === odd && m === 0 ? 1e-3 : 0);
      return y;
    };
    const th: Trajectory = { ...theory, states: theory.states.map((x, i) => (i === last ? symmetric(x, 1) : x)) };
    const net: Trajectory = {
      ...th,
      source: 'network',
      states: th.states.map((x, i) => (i === last ? symmetric(x, 0) : x)),
    };
    // Conditions 1–2 of the rule hold at the end ...
    expect(relabelEndState(net.states[last], th.states[last], L)).toMatchObject({
      labelSwitched: true,
      permutation: [1, 0, 2],
      finalBest: 0,
    });
    // ... but relabelling would add the units' initial differences to a trajectory that agreed as labelled.
    const m = matchedComparison(net, th, thresholds);
    expect(m.labelSwitched).toBe(false);
    expect(m.permutation).toEqual([0, 1, 2]);
    expect(m.deviation.max.R).toBeCloseTo(1e-3, 12);
  });

  it('fixed readouts that differ keep their units apart', () => {
    const layout = new StateLayout(2, 2, false);
    const x = Float64Array.from([1, 0, 1, 0, 1, 1, 0]); // Q11 Q12 Q22 | R: student 1 → teacher 2, student 2 → teacher 1
    const y = Float64Array.from([1, 0, 1, 1, 0, 0, 1]);
    expect(bestUnitPermutation(x, y, layout)).toEqual([1, 0]);
    expect(bestUnitPermutation(x, y, layout, Float64Array.from([1, -1]))).toEqual([0, 1]);
    expect(bestUnitPermutation(x, y, layout, Float64Array.from([1, 1]))).toEqual([1, 0]);
  });
});
