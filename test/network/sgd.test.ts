import { describe, expect, it } from 'vitest';
import { type SeedResult, resolveTrainConfig, trainEnsemble } from '../../src/network/index.js';
import { activationByName } from '../../src/theory/activations/index.js';
import { Flow } from '../../src/theory/flow.js';
import { solve } from '../../src/theory/solvers/solve.js';

const LR = 0.5;
const T_MAX = 2;
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7];

/** Deviations network − ODE (sgd flow, docs/theory.md §4.2, with batch B) per seed, record time and overlap. */
async function deviations(d: number, batch: number): Promise<number[][][]> {
  const config = resolveTrainConfig({
    optimizer: 'sgd',
    activation: 'relu',
    K: 3,
    M: 3,
    d,
    lr: LR,
    tMax: T_MAX,
    batch,
    seeds: SEEDS,
    record: 'log:10',
  });
  const result = await trainEnsemble(config);
  return result.seeds.map((seed: SeedResult) => {
    const tr = seed.trajectory;
    const flow = new Flow('sgd', activationByName('relu'), seed.initial, { lr: LR, batch });
    const ode = solve(flow, flow.pack(seed.initial), {
      method: 'dopri5',
      tMax: T_MAX,
      rtol: 1e-8,
      atol: 1e-10,
      saveTimes: tr.times,
    });
    expect(ode.times).toEqual(tr.times);
    return tr.states.map((state, i) => Array.from(state, (v, j) => v - ode.states[i][j]));
  });
}

/**
 * Over the seeds, per record time (after t = 0) and overlap: the mean deviation in units of its standard
 * error, z = mean/(sd/√S). If the network follows the ODE up to zero-mean O(η/√d) fluctuations, z is
 * Student-t distributed (7 degrees of freedom; E z² = 1.4), so rms z ≈ 1.2; a systematic drift of the
 * size of the fluctuations would give rms z ≈ √S ≈ 3 and more.
 */
function zScores(dev: number[][][]): number[] {
  const S = dev.length;
  const z: number[] = [];
  for (let i = 1; i < dev[0].length; i++) {
    for (let j = 0; j < dev[0][i].length; j++) {
      const xs = dev.map((seed) => seed[i][j]);
      const mean = xs.reduce((a, b) => a + b) / S;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (S - 1));
      z.push(mean / (sd / Math.sqrt(S)));
    }
  }
  return z;
}

const rms = (xs: number[]): number => Math.sqrt(xs.reduce((a, b) => a + b * b, 0) / xs.length);
const allDeviations = (dev: number[][][]): number[] => dev.flatMap((seed) => seed.flatMap((row) => row));

describe('online SGD against the sgd ODE (8 seeds, each ODE from its own seed’s initial overlaps)', () => {
  it('stays within a few standard errors of the ODE, and the deviation shrinks like 1/√d', async () => {
    const small = await deviations(200, 1);
    const large = await deviations(1600, 1);
    for (const dev of [small, large]) {
      const z = zScores(dev);
      expect(rms(z)).toBeLessThan(2.5);
      expect(Math.max(...z.map(Math.abs))).toBeLessThan(6);
    }
    // Fluctuations scale as 1/√d: an 8× larger d should shrink them about 2.8×; require at least 2×.
    expect(rms(allDeviations(large))).toBeLessThan(0.5 * rms(allDeviations(small)));
  });

  // With the η² term not divided by B the same runs give rms z ≈ 7 (checked), so this can fail.
  it('a mini-batch B = 4 matches the ODE whose η² term is divided by B', async () => {
    const z = zScores(await deviations(400, 4));
    expect(rms(z)).toBeLessThan(2.5);
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(6);
  });
});
