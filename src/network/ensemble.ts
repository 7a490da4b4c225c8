import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../model/errors.js';
import type { Activation } from '../theory/activations/activation.js';
import { studentOverlaps, symmetricGram } from '../theory/init.js';
import type { Overlaps } from '../model/overlaps.js';
import type { TrainConfig } from './config.js';
import { type ConstraintStep, constraintStep, projectOntoConstraint } from './constraints.js';
import { type InitialWeights, gaussianStudent, readInitialWeights, seedStreams, teacherWeights } from './init.js';
import { PopulationGeometry } from '../theory/population-geometry.js';
import {
  EmpiricalSource,
  type EnsembleTensors,
  type GradientSourceStep,
  OnlineSource,
  PopulationSource,
  type SeedConstants,
  keepSeeds,
} from './sources.js';

/** Float64 bookkeeping of one seed at one step (docs/theory.md §0, §2, §5). */
export interface Measurement {
  overlaps: Overlaps;
  loss: number;
  gradNorm: number;
}

/** Per-seed float32 initial weights (the network's actual numbers) and their float64 teacher copy. */
interface SeedInit {
  W: Float32Array;
  teacher: Float32Array;
  a: Float32Array;
  teacher64: Float64Array;
  constants: SeedConstants;
}

function initialiseSeed(config: TrainConfig, seed: number, fromFile: InitialWeights | null): SeedInit {
  const { K, M, d } = config;
  const streams = seedStreams(seed);
  const teacher = Float32Array.from(teacherWeights(config.teacher, M, d, streams.teacher));
  const W64 = fromFile ? fromFile.W.slice() : gaussianStudent(K, d, config.initScale, streams.student);
  if (!projectOntoConstraint(config.constraint, W64, K, d)) {
    throw new InputError(
      '--init-weights',
      `the initial student weights cannot be put on the ${config.constraint} constraint (a zero row, or rank < K)`,
    );
  }
  const W = Float32Array.from(W64);
  const a = fromFile?.a ? Float32Array.from(fromFile.a) : new Float32Array(K).fill(1);
  // Bookkeeping uses the float32 weights the network actually has, in float64 (so T = I only to ~1e-7).
  const teacher64 = Float64Array.from(teacher);
  const T = symmetricGram(teacher64, 0, M, d);
  return { W, teacher, a, teacher64, constants: { T, a: Float64Array.from(a) } };
}

function stack(arrays: Float32Array[], shape: [number, number, number]): tf.Tensor3D {
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  arrays.forEach((arr, s) => out.set(arr, s * arr.length));
  return tf.tensor3d(out, shape);
}

/**
 * The ensemble of S seeds as one batched computation: [S, K, d] student, [S, M, d] teacher and
 * [S, K, 1] readout tensors, one gradient source and one constraint. Each seed's numbers are independent
 * of the others (all ops are batched per seed; samples come from per-seed streams), so a seed trained
 * alone and inside any ensemble gives identical results. Seeds can be dropped (`keep`) when they diverge.
 */
export class NetworkEnsemble {
  /** Seeds still training, in batch order. */
  seeds: number[];
  /** Flags set during a step for seeds whose numbers stopped being finite (reset by the caller). */
  nonFinite: Uint8Array;
  readonly initial: Map<number, Overlaps>;
  private tensors: EnsembleTensors;
  private teacher64: Float64Array[];
  private constants: SeedConstants[];
  private readonly source: GradientSourceStep;
  private readonly constrain: ConstraintStep;
  private readonly geometry: PopulationGeometry;

  constructor(
    private readonly config: TrainConfig,
    act: Activation,
  ) {
    const { K, M, d, seeds } = config;
    const fromFile =
      config.initWeights === null ? null : readInitialWeights(config.initWeights, K, d, '--init-weights');
    const inits = seeds.map((seed) => initialiseSeed(config, seed, fromFile));
    const S = seeds.length;
    this.seeds = seeds.slice();
    this.nonFinite = new Uint8Array(S);
    this.teacher64 = inits.map((i) => i.teacher64);
    this.constants = inits.map((i) => i.constants);
    this.tensors = {
      W: stack(
        inits.map((i) => i.W),
        [S, K, d],
      ),
      teacher: stack(
        inits.map((i) => i.teacher),
        [S, M, d],
      ),
      readouts: stack(
        inits.map((i) => i.a),
        [S, K, 1],
      ),
      teacherReadouts: tf.ones([S, 1, M]),
    };
    this.geometry = new PopulationGeometry(act, K, M);
    this.constrain = constraintStep(config.constraint, K, d);
    const dataStreams = seeds.map((seed) => seedStreams(seed).data);
    switch (config.gradient) {
      case 'population':
        this.source = new PopulationSource(act, config, this.constants);
        break;
      case 'online':
        this.source = new OnlineSource(act, config, dataStreams);
        break;
      case 'empirical':
        this.source = new EmpiricalSource(act, config, dataStreams, this.tensors);
        break;
    }
    this.initial = new Map(this.measure().map((m, s) => [seeds[s], m.overlaps]));
  }

  /** One training step of every active seed. */
  step(): void {
    const t = this.tensors;
    const trainsReadouts = this.config.layers === 'both';
    const [W, readouts] = tf.tidy(() => {
      const { dW, da } = this.source.direction(t, this.nonFinite);
      const next = this.constrain(t.W, dW, this.nonFinite);
      return trainsReadouts && da ? [next, tf.add(t.readouts, da) as tf.Tensor3D] : [next];
    });
    t.W.dispose();
    t.W = W;
    if (readouts) {
      t.readouts.dispose();
      t.readouts = readouts;
    }
  }

  /**
   * Download the float32 weights and compute, per active seed in float64: the overlaps (Q, R from the
   * weights, read in place; the teacher's T, computed once at the start; a), the exact population loss
   * (§2) and the (projected) gradient norm (PopulationGeometry.gradientNorm).
   */
  measure(): Measurement[] {
    const { K, M, d } = this.config;
    const W = this.tensors.W.dataSync();
    const a = this.tensors.readouts.dataSync();
    const withReadouts = this.config.layers === 'both';
    return this.seeds.map((_, s) => {
      const o = studentOverlaps(W, s * K * d, this.teacher64[s], this.constants[s].T, K, M, d);
      o.a = Float64Array.from(a.subarray(s * K, (s + 1) * K));
      this.geometry.loadOverlaps(o);
      if (!this.geometry.finite()) return { overlaps: o, loss: NaN, gradNorm: NaN };
      this.geometry.computeGradient();
      return {
        overlaps: o,
        loss: this.geometry.loss(),
        gradNorm: this.geometry.gradientNorm(this.config.constraint, withReadouts),
      };
    });
  }

  /** Copies of the current float32 weights of the active seeds: W [S·K·d], teacher [S·M·d], readouts [S·K]. */
  weights(): { W: Float32Array; teacher: Float32Array; readouts: Float32Array } {
    const t = this.tensors;
    return {
      W: t.W.dataSync<'float32'>().slice(),
      teacher: t.teacher.dataSync<'float32'>().slice(),
      readouts: t.readouts.dataSync<'float32'>().slice(),
    };
  }

  /** Keep only the seeds at `indices` (into the current active list), e.g. after others diverged. */
  keep(indices: number[]): void {
    const t = this.tensors;
    t.W = keepSeeds(t.W, indices);
    t.teacher = keepSeeds(t.teacher, indices);
    t.readouts = keepSeeds(t.readouts, indices);
    t.teacherReadouts = keepSeeds(t.teacherReadouts, indices);
    this.seeds = indices.map((i) => this.seeds[i]);
    this.teacher64 = indices.map((i) => this.teacher64[i]);
    this.constants = indices.map((i) => this.constants[i]);
    this.nonFinite = new Uint8Array(indices.length);
    this.source.keep(indices);
  }

  dispose(): void {
    const t = this.tensors;
    for (const tensor of [t.W, t.teacher, t.readouts, t.teacherReadouts]) tensor.dispose();
    this.source.dispose?.();
  }
}
