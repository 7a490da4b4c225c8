import { InputError } from '../model/errors.js';
import {
  CONSTRAINTS,
  type ConstraintName,
  GRADIENT_SOURCES,
  type GradientSource,
  LAYERS,
  type Layers,
  type OptimizerComposition,
} from '../model/optimizer.js';
import { type ActivationName, resolveActivationChoice } from '../theory/activations/index.js';
import { flowDefinition, flowNames } from '../theory/flows/index.js';
import { BACKEND_NAMES, type BackendName } from './backend-names.js';
import { readInitialWeights } from './init.js';
import { DEFAULT_RECORD, formatRecordSpec, parseRecordSpec } from './record.js';

/** An optimizer preset is the name of a registered flow: the composition it is the mean-field limit of. */
export type OptimizerName = string;
export type { ConstraintName, GradientSource, Layers, OptimizerComposition } from '../model/optimizer.js';
export { CONSTRAINTS, GRADIENT_SOURCES, LAYERS } from '../model/optimizer.js';
export type TeacherInit = 'orthonormal' | 'gaussian';

export const TEACHER_INITS: readonly TeacherInit[] = ['orthonormal', 'gaussian'];

/** The optimizer presets of `train`: every registered flow, by name (theory/flows/). */
export function optimizerNames(): string[] {
  return flowNames();
}

export function optimizerPreset(name: string, where: string): OptimizerComposition {
  return flowDefinition(name, where).network;
}

/**
 * Fully resolved configuration of one network ensemble (what `train` writes to config.json and what a
 * scenario resolves to). Fields that do not apply to the chosen composition are null.
 */
export interface TrainConfig {
  /** Preset name; gradient/constraint/layers below may override parts of it. Required. */
  optimizer: OptimizerName;
  gradient: GradientSource;
  constraint: ConstraintName;
  layers: Layers;
  /** Required. */
  activation: ActivationName;
  /** Leaky-ReLU slope (default DEFAULT_LEAKY_ALPHA); null for other activations. */
  alpha: number | null;
  /** Student width K, teacher width M, input dimension d. Required. */
  K: number;
  M: number;
  d: number;
  /** First-layer learning rate η (default 1, as `ode`). Time conventions: docs/theory.md §3. */
  lr: number;
  /** Readout learning rate η_a (default η) when layers = both; null otherwise. */
  lrReadout: number | null;
  /** Train until t = t_max (default 100, as `ode`). */
  tMax: number;
  /**
   * Online mini-batch size B (default 1); null for other sources. A step averages the B per-sample
   * gradients with the same lr and still advances t by 1/d: the drift is unchanged, the η² noise term
   * of §4.2 is divided by B (FlowOptions.batch on the ODE side).
   */
  batch: number | null;
  /** Training-set size n of the empirical source (required there); null otherwise. */
  samples: number | null;
  /** Time step of the GD-type sources (default 0.01, as `ode --method euler`); t = steps·dt. Null for online (t = steps/d). */
  dt: number | null;
  /** Label-noise std σ, y = φ*(x) + σξ (default 0); null for the population source (noise does not change its gradient). */
  labelNoise: number | null;
  /** Seeds of the ensemble (default [0]); each seed's numbers depend on nothing else. */
  seeds: number[];
  /** Teacher weights: orthonormal rows with T = I (default) or i.i.d. N(0, 1) entries. */
  teacher: TeacherInit;
  /** Student entries N(0, initScale²) (default 1: Q ≈ I, R ≈ 0); ignored when initWeights is given. */
  initScale: number;
  /** JSON file {"W": K×d, "a"?: K} with the initial student weights, the same for every seed (default none). */
  initWeights: string | null;
  /** TensorFlow.js backend (default auto: tfjs-node when installed, else wasm, else cpu). */
  backend: BackendName;
  /** Recording grid, log:N or every:k (default log:200, see record.ts). */
  record: string;
  /** A seed whose population loss exceeds this (or is not finite) is frozen and reported diverged (default 1e6). */
  divergenceLoss: number;
}

export type TrainInput = Partial<TrainConfig>;

export const TRAIN_DEFAULTS = {
  optimizer: 'gd',
  activation: 'relu',
  lr: 1,
  tMax: 100,
  batch: 1,
  dt: 0.01,
  labelNoise: 0,
  seeds: [0] as number[],
  teacher: 'orthonormal' as TeacherInit,
  initScale: 1,
  backend: 'auto' as BackendName,
  record: DEFAULT_RECORD,
  divergenceLoss: 1e6,
} as const;

/** CLI flag of each field: InputErrors name it (scenario callers pass their own JSON-path naming). */
export const TRAIN_FLAGS: Readonly<Record<keyof TrainConfig, string>> = {
  optimizer: '--optimizer',
  gradient: '--gradient',
  constraint: '--constraint',
  layers: '--layers',
  activation: '--activation',
  alpha: '--alpha',
  K: '--K',
  M: '--M',
  d: '--d',
  lr: '--lr',
  lrReadout: '--lr-readout',
  tMax: '--t-max',
  batch: '--batch',
  samples: '--samples',
  dt: '--dt',
  labelNoise: '--label-noise',
  seeds: '--seeds',
  teacher: '--teacher',
  initScale: '--init-scale',
  initWeights: '--init-weights',
  backend: '--backend',
  record: '--record',
  divergenceLoss: '--divergence-loss',
};

export type FieldName = (key: keyof TrainConfig) => string;

/** Relative slack when checking that t_max is a whole number of GD steps (t_max/dt from decimal input). */
const STEP_COUNT_SLACK = 1e-9;

function enumField<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InputError(where, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function integerField(value: unknown, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new InputError(where, `must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function positiveField(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new InputError(where, `must be a positive finite number, got ${String(value)}`);
  return value;
}

function nonNegativeField(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new InputError(where, `must be a finite number >= 0, got ${String(value)}`);
  return value;
}

function required<T>(value: T | undefined | null, where: string): T {
  if (value === undefined || value === null) throw new InputError(where, 'is required');
  return value;
}

/** Reject a field that has no meaning in this composition instead of silently ignoring it. */
function reject(value: unknown, where: string, reason: string): void {
  if (value !== undefined && value !== null) throw new InputError(where, reason);
}

function seedsField(value: unknown, where: string): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new InputError(where, 'must be a non-empty list of seeds');
  const seeds = value.map((s) => integerField(s, where, 0));
  if (new Set(seeds).size !== seeds.length) throw new InputError(where, 'lists a seed twice');
  return seeds;
}

/** Number of steps of a run (GD-type: t_max/dt, which must be a whole number; online: t_max·d). */
export function totalSteps(config: TrainConfig): number {
  return config.gradient === 'online'
    ? Math.round(config.tMax * config.d)
    : Math.round(config.tMax / (config.dt as number));
}

/** Model time of one step: dt for GD-type sources, 1/d for online SGD (docs/theory.md §3). */
export function stepTime(config: TrainConfig): number {
  return config.gradient === 'online' ? 1 / config.d : (config.dt as number);
}

/**
 * Fill defaults and validate everything (including reading the initial-weights file) before anything
 * runs or is written. Throws InputError naming the offending field via `name` (CLI flags by default).
 */
export function resolveTrainConfig(input: TrainInput, name: FieldName = (key) => TRAIN_FLAGS[key]): TrainConfig {
  const optimizer = input.optimizer ?? TRAIN_DEFAULTS.optimizer;
  const preset = optimizerPreset(optimizer, name('optimizer'));
  const gradient = enumField(input.gradient ?? preset.gradient, GRADIENT_SOURCES, name('gradient'));
  const constraint = enumField(input.constraint ?? preset.constraint, CONSTRAINTS, name('constraint'));
  const layers = enumField(input.layers ?? preset.layers, LAYERS, name('layers'));
  const where = { activation: name('activation'), alpha: name('alpha') };
  const { activation, alpha } = resolveActivationChoice(
    input.activation ?? TRAIN_DEFAULTS.activation,
    input.alpha,
    where,
  );

  const K = integerField(required(input.K, name('K')), name('K'), 1);
  const M = integerField(required(input.M, name('M')), name('M'), 1);
  const d = integerField(required(input.d, name('d')), name('d'), 1);
  if (constraint === 'stiefel' && K > d)
    throw new InputError(
      name('constraint'),
      `stiefel needs K <= d (W Wᵀ = d·I_K has no solution otherwise), got K = ${K}, d = ${d}`,
    );

  const lr = positiveField(input.lr ?? TRAIN_DEFAULTS.lr, name('lr'));
  if (layers !== 'both')
    reject(
      input.lrReadout,
      name('lrReadout'),
      'only applies when the readouts are trained (--layers both, --optimizer gd2l)',
    );
  const lrReadout = layers === 'both' ? nonNegativeField(input.lrReadout ?? lr, name('lrReadout')) : null;
  const tMax = positiveField(input.tMax ?? TRAIN_DEFAULTS.tMax, name('tMax'));

  if (gradient !== 'online')
    reject(
      input.batch,
      name('batch'),
      'only applies to --gradient online (the other sources use the population or the whole training set)',
    );
  const batch = gradient === 'online' ? integerField(input.batch ?? TRAIN_DEFAULTS.batch, name('batch'), 1) : null;
  if (gradient !== 'empirical') reject(input.samples, name('samples'), 'only applies to --gradient empirical');
  if (gradient === 'empirical' && input.samples == null)
    throw new InputError(name('samples'), 'is required with --gradient empirical (the training-set size n)');
  const samples = gradient === 'empirical' ? integerField(input.samples, name('samples'), 1) : null;
  if (gradient === 'online')
    reject(input.dt, name('dt'), 'does not apply to --gradient online (one step advances t by 1/d, docs/theory.md §3)');
  const dt = gradient === 'online' ? null : positiveField(input.dt ?? TRAIN_DEFAULTS.dt, name('dt'));
  if (dt !== null) {
    const steps = tMax / dt;
    if (Math.abs(steps - Math.round(steps)) > STEP_COUNT_SLACK * Math.max(1, steps) || Math.round(steps) < 1) {
      throw new InputError(name('dt'), `--t-max (${tMax}) must be a whole number of steps of ${dt}`);
    }
  }
  if (gradient === 'population')
    reject(
      input.labelNoise,
      name('labelNoise'),
      'does not apply to --gradient population (label noise does not change the population gradient)',
    );
  const labelNoise =
    gradient === 'population'
      ? null
      : nonNegativeField(input.labelNoise ?? TRAIN_DEFAULTS.labelNoise, name('labelNoise'));

  const seeds = seedsField(input.seeds ?? TRAIN_DEFAULTS.seeds, name('seeds'));
  const teacher = enumField(input.teacher ?? TRAIN_DEFAULTS.teacher, TEACHER_INITS, name('teacher'));
  if (teacher === 'orthonormal' && M > d)
    throw new InputError(name('teacher'), `orthonormal needs M <= d, got M = ${M}, d = ${d}`);
  const initWeights = input.initWeights ?? null;
  if (initWeights !== null) {
    reject(
      input.initScale,
      name('initScale'),
      'cannot be combined with --init-weights (the weights come from the file)',
    );
    readInitialWeights(initWeights, K, d, name('initWeights'));
  }
  const initScale = positiveField(input.initScale ?? TRAIN_DEFAULTS.initScale, name('initScale'));
  const backend = enumField(input.backend ?? TRAIN_DEFAULTS.backend, BACKEND_NAMES, name('backend'));
  const record = formatRecordSpec(parseRecordSpec(input.record ?? TRAIN_DEFAULTS.record, name('record')));
  const divergenceLoss = positiveField(input.divergenceLoss ?? TRAIN_DEFAULTS.divergenceLoss, name('divergenceLoss'));

  return {
    optimizer,
    gradient,
    constraint,
    layers,
    activation,
    alpha,
    K,
    M,
    d,
    lr,
    lrReadout,
    tMax,
    batch,
    samples,
    dt,
    labelNoise,
    seeds,
    teacher,
    initScale,
    initWeights,
    backend,
    record,
    divergenceLoss,
  };
}
