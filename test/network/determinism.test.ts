import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/network/backend.js';
import { NetworkEnsemble } from '../../src/network/ensemble.js';
import { type TrainInput, resolveTrainConfig, trainEnsemble } from '../../src/network/index.js';
import { writeTrainOutputs } from '../../src/network/output.js';
import { activationByName } from '../../src/theory/activations/index.js';

const work = mkdtempSync(join(tmpdir(), 'scm-network-determinism-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BASE: TrainInput = { activation: 'relu', K: 3, M: 2, d: 64, lr: 0.5 };

function maxAbsDiff(a: Float64Array[], b: Float64Array[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

describe('determinism', () => {
  it('the same seeds give byte-identical trajectories.csv, final.csv and init files twice', async () => {
    const config = resolveTrainConfig({ ...BASE, optimizer: 'sgd', tMax: 1, seeds: [0, 1, 2], record: 'every:8' });
    const dirs = [join(work, 'first'), join(work, 'second')];
    for (const dir of dirs) writeTrainOutputs(dir, await trainEnsemble(config));
    for (const file of ['trajectories.csv', 'final.csv', 'init/seed-0.json', 'init/seed-2.json']) {
      expect(readFileSync(join(dirs[1], file))).toEqual(readFileSync(join(dirs[0], file)));
    }
    expect(readFileSync(join(dirs[0], 'trajectories.csv'), 'utf8').split('\n').length).toBeGreaterThan(3 * 8);
  });

  it.each<[string, TrainInput]>([
    ['online SGD, B = 1', { optimizer: 'sgd', tMax: 1 }],
    [
      'online SGD, B = 4, both layers, label noise',
      { optimizer: 'sgd', layers: 'both', batch: 4, labelNoise: 0.1, tMax: 1 },
    ],
    ['population ongd (Stiefel)', { optimizer: 'ongd', tMax: 1, dt: 0.02 }],
    ['empirical GD', { optimizer: 'gd', gradient: 'empirical', samples: 50, tMax: 1, dt: 0.02 }],
  ])('seed 3 alone equals seed 3 inside an ensemble of 8: %s', async (_, input) => {
    const alone = await trainEnsemble(resolveTrainConfig({ ...BASE, ...input, seeds: [3], record: 'log:20' }));
    const ensemble = await trainEnsemble(
      resolveTrainConfig({ ...BASE, ...input, seeds: [0, 1, 2, 3, 4, 5, 6, 7], record: 'log:20' }),
    );
    const inside = ensemble.seeds[3];
    expect(inside.seed).toBe(3);
    expect(inside.trajectory.states).toEqual(alone.seeds[0].trajectory.states);
    expect(inside.trajectory.loss).toEqual(alone.seeds[0].trajectory.loss);
    // Different seeds really differ (so equality above is not an accident of identical inputs).
    expect(maxAbsDiff(ensemble.seeds[2].trajectory.states, inside.trajectory.states)).toBeGreaterThan(1e-2);
  });

  /**
   * The backends run the same float32 algorithm with different kernels (summation order, SIMD), so
   * results differ by rounding: ~1e-7 per step, accumulated over 64 steps of a non-chaotic descent.
   */
  it.each<[string, TrainInput]>([
    ['online SGD', { optimizer: 'sgd', tMax: 1 }],
    ['population ngd', { optimizer: 'ngd', tMax: 1, dt: 0.02 }],
  ])('wasm and cpu agree to float32 tolerance: %s', async (_, input) => {
    const run = (backend: 'wasm' | 'cpu') =>
      trainEnsemble(resolveTrainConfig({ ...BASE, ...input, seeds: [0, 1], backend, record: 'log:10' }));
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    expect(wasm.backend.active).toBe('wasm');
    expect(cpu.backend.active).toBe('cpu');
    for (let s = 0; s < 2; s++) {
      expect(maxAbsDiff(wasm.seeds[s].trajectory.states, cpu.seeds[s].trajectory.states)).toBeLessThan(1e-5);
    }
  });
});

describe('tensor memory', () => {
  it.each<[string, TrainInput]>([
    ['online / none / first', { optimizer: 'sgd', tMax: 1 }],
    ['online / sphere / both, B = 3', { optimizer: 'sgd', constraint: 'sphere', layers: 'both', batch: 3, tMax: 1 }],
    ['population / stiefel', { optimizer: 'ongd', tMax: 1 }],
    ['population / none / both', { optimizer: 'gd2l', tMax: 1 }],
    ['empirical / sphere', { optimizer: 'ngd', gradient: 'empirical', samples: 20, tMax: 1 }],
  ])('no tensor leaks per step, measurement or run: %s', async (_, input) => {
    const config = resolveTrainConfig({ ...BASE, ...input, seeds: [0, 1, 2] });
    await selectBackend(config.backend);
    const baseline = tf.memory().numTensors;
    const ensemble = new NetworkEnsemble(config, activationByName('relu'));
    ensemble.step();
    const live = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) ensemble.step();
    ensemble.measure();
    expect(tf.memory().numTensors).toBe(live);
    ensemble.keep([0, 2]);
    ensemble.step();
    expect(tf.memory().numTensors).toBe(live);
    ensemble.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    await trainEnsemble(config);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('divergence', () => {
  /**
   * ReLU SGD at lr = 1.2 diverges (so does the sgd ODE): with d = 50, seed 1 blows up near step 250
   * and seed 2 only after step 400 (t_max = 8 is step 400).
   */
  it('a diverging seed is frozen and reported; the other seed continues exactly as if alone', async () => {
    const input: TrainInput = { ...BASE, M: 3, d: 50, lr: 1.2, optimizer: 'sgd', tMax: 8, record: 'log:30' };
    const both = await trainEnsemble(resolveTrainConfig({ ...input, seeds: [1, 2] }));
    const alone = await trainEnsemble(resolveTrainConfig({ ...input, seeds: [2] }));
    const [diverged, survivor] = both.seeds;
    expect(diverged.status).toBe('diverged');
    expect(diverged.end.step).toBeLessThan(both.totalSteps);
    // Default bound 1e6 (TRAIN_DEFAULTS.divergenceLoss): above it or non-finite.
    expect(diverged.end.loss <= 1e6).toBe(false);
    const steps = diverged.trajectory.steps as number[];
    expect(steps[steps.length - 1]).toBeLessThan(diverged.end.step);
    expect(diverged.trajectory.loss.every((l) => Number.isFinite(l) && l <= 1e6)).toBe(true);
    expect(survivor.status).toBe('running');
    expect(survivor.end.step).toBe(both.totalSteps);
    expect(survivor.trajectory.states).toEqual(alone.seeds[0].trajectory.states);
  });
});

it('leaves no temporary files behind', () => {
  expect(readdirSync(join(work, 'first')).sort()).toEqual(['config.json', 'final.csv', 'init', 'trajectories.csv']);
});
