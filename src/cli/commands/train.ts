import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_LEAKY_ALPHA, activationNames } from '../../theory/activations/index.js';
import { BACKEND_NAMES, selectBackend } from '../../network/backend.js';
import {
  CONSTRAINTS,
  GRADIENT_SOURCES,
  LAYERS,
  optimizerNames,
  TEACHER_INITS,
  TRAIN_DEFAULTS,
  type TrainConfig,
  type TrainInput,
  resolveTrainConfig,
} from '../../network/config.js';
import { writeTrainOutputs } from '../../network/output.js';
import { trainEnsembleParallel } from '../../network/parallel.js';
import { type EnsembleResult, trainEnsemble } from '../../network/train.js';
import { InputError } from '../../model/errors.js';
import {
  optional,
  parseEnum,
  parseNonNegativeNumber,
  parseNumber,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSeedList,
} from '../parse.js';

type TrainFlags = Record<string, string | undefined>;

/** Strip absent flags so that resolveTrainConfig sees only what the user gave (and fills the defaults). */
function given<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Flags → TrainInput (syntax only); resolveTrainConfig then fills defaults and checks consistency. */
function trainInputFromFlags(f: TrainFlags): { input: TrainInput; out: string; workers: number } {
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  const workers = parsePositiveInteger(f.workers, '--workers', 1);
  const input: TrainInput = given({
    optimizer: optional(f.optimizer, (s) => parseEnum(s, optimizerNames(), '--optimizer')),
    gradient: optional(f.gradient, (s) => parseEnum(s, GRADIENT_SOURCES, '--gradient')),
    constraint: optional(f.constraint, (s) => parseEnum(s, CONSTRAINTS, '--constraint')),
    layers: optional(f.layers, (s) => parseEnum(s, LAYERS, '--layers')),
    activation: optional(f.activation, (s) => parseEnum(s, activationNames(), '--activation')),
    alpha: optional(f.alpha, (s) => parseNumber(s, '--alpha')),
    K: optional(f.K, (s) => parsePositiveInteger(s, '--K')),
    M: optional(f.M, (s) => parsePositiveInteger(s, '--M')),
    d: optional(f.d, (s) => parsePositiveInteger(s, '--d')),
    lr: optional(f.lr, (s) => parsePositiveNumber(s, '--lr')),
    lrReadout: optional(f.lrReadout, (s) => parseNonNegativeNumber(s, '--lr-readout')),
    tMax: optional(f.tMax, (s) => parsePositiveNumber(s, '--t-max')),
    batch: optional(f.batch, (s) => parsePositiveInteger(s, '--batch')),
    samples: optional(f.samples, (s) => parsePositiveInteger(s, '--samples')),
    dt: optional(f.dt, (s) => parsePositiveNumber(s, '--dt')),
    labelNoise: optional(f.labelNoise, (s) => parseNonNegativeNumber(s, '--label-noise')),
    seeds: optional(f.seeds, (s) => parseSeedList(s, '--seeds')),
    teacher: optional(f.teacher, (s) => parseEnum(s, TEACHER_INITS, '--teacher')),
    initScale: optional(f.initScale, (s) => parsePositiveNumber(s, '--init-scale')),
    initWeights: f.initWeights,
    backend: optional(f.backend, (s) => parseEnum(s, BACKEND_NAMES, '--backend')),
    record: f.record,
    divergenceLoss: optional(f.divergenceLoss, (s) => parsePositiveNumber(s, '--divergence-loss')),
  });
  return { input, out: resolve(f.out), workers };
}

function progressReporter(
  config: TrainConfig,
): ((p: { step: number; totalSteps: number; t: number; activeSeeds: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    const done = p.step === p.totalSteps;
    process.stderr.write(
      `\rtrain ${config.optimizer}: step ${p.step}/${p.totalSteps}  t = ${p.t.toPrecision(4)}  seeds ${p.activeSeeds}/${config.seeds.length}${done ? '\n' : ''}`,
    );
  };
}

async function runTrainCommand(flags: TrainFlags): Promise<void> {
  const { input, out, workers } = trainInputFromFlags(flags);
  const config = resolveTrainConfig(input);
  let result: EnsembleResult;
  if (workers > 1) {
    // Fail here, with the one-line message, if the backend is unavailable (e.g. node without tfjs-node).
    await selectBackend(config.backend);
    result = await trainEnsembleParallel(config, workers);
  } else {
    const onProgress = progressReporter(config);
    result = await trainEnsemble(config, onProgress ? { onProgress } : {});
  }
  writeTrainOutputs(out, result, { workers });
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'Train real finite-d teacher–student networks (TensorFlow.js, float32) and record their overlaps (float64)',
    )
    .option('--optimizer <name>', `preset: ${optimizerNames().join('|')} (default gd)`)
    .option('--gradient <source>', `override the preset's gradient source: ${GRADIENT_SOURCES.join('|')}`)
    .option('--constraint <name>', `override the preset's constraint: ${CONSTRAINTS.join('|')}`)
    .option('--layers <which>', `override the preset's trained layers: ${LAYERS.join('|')}`)
    .option('--activation <name>', `activation: ${activationNames().join('|')} (default relu)`)
    .option('--alpha <a>', `leaky-relu slope in [0, 1) (default ${DEFAULT_LEAKY_ALPHA})`)
    .option('--K <n>', 'student width (required)')
    .option('--M <n>', 'teacher width (required)')
    .option('--d <n>', 'input dimension (required)')
    .option('--lr <eta>', `learning rate η (default ${TRAIN_DEFAULTS.lr})`)
    .option('--lr-readout <eta>', 'readout learning rate η_a when the readouts are trained (default: --lr)')
    .option(
      '--t-max <t>',
      `train until t = t-max (default ${TRAIN_DEFAULTS.tMax}); online: t = steps/d, otherwise t = steps·dt`,
    )
    .option('--batch <B>', `online mini-batch size (default ${TRAIN_DEFAULTS.batch}); t still advances 1/d per step`)
    .option('--samples <n>', 'training-set size (required with --gradient empirical)')
    .option('--dt <h>', `time step of population / empirical GD (default ${TRAIN_DEFAULTS.dt})`)
    .option('--label-noise <sigma>', `label-noise std σ for online / empirical (default ${TRAIN_DEFAULTS.labelNoise})`)
    .option('--seeds <list>', `seeds, e.g. 0..9, 3 or 1,4,7 (default ${TRAIN_DEFAULTS.seeds.join(',')})`)
    .option('--teacher <init>', `teacher weights: ${TEACHER_INITS.join('|')} (default ${TRAIN_DEFAULTS.teacher})`)
    .option('--init-scale <s>', `student entries N(0, s²) (default ${TRAIN_DEFAULTS.initScale})`)
    .option('--init-weights <file>', 'initial student weights JSON {"W": K×d, "a"?: K}, the same for every seed')
    .option(
      '--backend <name>',
      `TensorFlow.js backend: ${BACKEND_NAMES.join('|')} (default ${TRAIN_DEFAULTS.backend}; node needs npm install @tensorflow/tfjs-node)`,
    )
    .option('--record <spec>', `log:N | every:k recording grid (default ${TRAIN_DEFAULTS.record})`)
    .option(
      '--divergence-loss <L>',
      `a seed whose loss exceeds L is frozen as diverged (default ${TRAIN_DEFAULTS.divergenceLoss})`,
    )
    .option(
      '--workers <n>',
      'spread the seeds over n worker threads, one backend each; results are identical (default 1)',
    )
    .option('--out <dir>', 'output directory: trajectories.csv, final.csv, init/seed-<s>.json, config.json (required)')
    .action((flags: TrainFlags) => runTrainCommand(flags));
}
