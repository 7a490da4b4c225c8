import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_LEAKY_ALPHA, activationNames } from '../../theory/activations/index.js';
import { BACKEND_NAMES } from '../../network/backend-names.js';
import {
  CONSTRAINTS,
  GRADIENT_SOURCES,
  LAYERS,
  optimizerNames,
  TEACHER_INITS,
  TRAIN_DEFAULTS,
  type TrainConfig,
  optimizerPreset,
  stepTime,
  totalSteps,
  type TrainInput,
  resolveTrainConfig,
} from '../../network/config.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { configDocument } from '../../io/config-file.js';
import { clampLoss } from '../../io/loss.js';
import type { EnsembleResult, TrainProgress } from '../../network/train.js';
import { type Progress, createProgress } from '../../runtime/progress.js';
import { checkCost } from '../../runtime/cost.js';
import { estimateTrain } from '../cost.js';
import { ONLINE_LR_RULE, defaultOnlineLr, formatLr, onlineLrBound } from '../../theory/flows/sgd-learning-rate.js';
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
function trainInputFromFlags(f: TrainFlags): {
  input: TrainInput;
  out: string;
  workers: number;
  format: 'text' | 'json';
  force: boolean;
} {
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
  const format = parseEnum(f.format, ['text', 'json'] as const, '--format', 'text');
  if (input.lr === undefined && input.K !== undefined && input.M !== undefined) {
    // Online SGD's stable learning rate shrinks like 1/K (defaults.ts); every other source keeps lr = 1.
    const gradient =
      input.gradient ?? optimizerPreset(input.optimizer ?? TRAIN_DEFAULTS.optimizer, '--optimizer').gradient;
    if (gradient === 'online') input.lr = defaultOnlineLr(input.K, input.M);
  }
  return { input, out: resolve(f.out), workers, format, force: f.force !== undefined };
}

/**
 * Progress of the training steps (one bar on a terminal, plain lines every 10 s otherwise). With worker
 * threads each chunk of seeds reports its own step; the bar shows their mean, so it reaches the total
 * when every chunk has finished.
 */
function trainProgress(
  config: TrainConfig,
  chunks: number,
): { progress: Progress; onProgress: (chunk: number, p: TrainProgress) => void } {
  const steps = totalSteps(config);
  const progress = createProgress(`train ${config.optimizer}`, steps, { unit: 'steps', finalLine: 'after-periodic' });
  const step = new Array<number>(chunks).fill(0);
  const active = new Array<number | null>(chunks).fill(null);
  const onProgress = (chunk: number, p: TrainProgress) => {
    step[chunk] = p.step;
    active[chunk] = p.activeSeeds;
    const running = active.every((a) => a !== null) ? active.reduce((s: number, a) => s + (a as number), 0) : null;
    const mean = step.reduce((s, v) => s + v, 0) / chunks;
    const seeds = running === null ? '' : `, ${running}/${config.seeds.length} seeds active`;
    progress.update(mean, `(t = ${(mean * stepTime(config)).toPrecision(3)}${seeds})`);
  };
  return { progress, onProgress };
}

/** The seeds' final states in a few words, and a hint when none survived. */
function outcome(result: EnsembleResult): { line: string; hint: string | null } {
  const counts = { converged: 0, running: 0, diverged: 0 };
  for (const r of result.seeds) counts[r.status]++;
  const { config } = result;
  const n = config.seeds.length;
  const line = `train ${config.optimizer}: ${n} seed${n === 1 ? '' : 's'}: ${counts.converged} converged, ${counts.running} running, ${counts.diverged} diverged (K = ${config.K}, M = ${config.M}, d = ${config.d}, lr = ${config.lr}, t = ${config.tMax}, ${result.wallSeconds.toFixed(1)} s)`;
  if (counts.diverged < n) return { line, hint: null };
  const all = n === 1 ? 'the seed diverged' : `all ${n} seeds diverged`;
  const hint =
    config.gradient === 'online'
      ? `${all}: lower --lr (online SGD at K = ${config.K}, M = ${config.M} needs lr ≲ ${formatLr(onlineLrBound(config.K, config.M))}; the default is ${formatLr(defaultOnlineLr(config.K, config.M))})`
      : `${all}: lower --lr${config.dt === null ? '' : ' or --dt'} (the step lr·dt = ${config.lr * (config.dt ?? 1)} is too large for this flow)`;
  return { line, hint };
}

/** The command's result on stdout: one line of text, or (--format json) the summary as one JSON document. */
function printOutcome(
  result: EnsembleResult,
  document: () => Record<string, unknown>,
  out: string,
  format: 'text' | 'json',
): void {
  const { line, hint } = outcome(result);
  if (format === 'json') {
    const final = result.seeds.map((r) => ({
      seed: r.seed,
      status: r.status,
      step: r.end.step,
      t: r.end.t,
      loss: clampLoss(r.end.loss),
      gradNorm: r.end.gradNorm,
    }));
    process.stdout.write(`${JSON.stringify({ ...configDocument('train', document()), out, final, hint })}\n`);
  } else {
    process.stdout.write(`${line}\n`);
  }
  if (hint !== null) process.stderr.write(`scm-harness: ${hint}\n`);
}

async function runTrainCommand(flags: TrainFlags): Promise<void> {
  const { input, out, workers, format, force } = trainInputFromFlags(flags);
  const config = resolveTrainConfig(input);
  checkCost(estimateTrain(config, workers), force, '--K');
  // TensorFlow.js is loaded only now: `--help` and the other commands start without it (issue 11).
  const [{ selectBackend }, { splitSeeds, trainEnsembleParallel }, { trainEnsemble }, output] = await Promise.all([
    import('../../network/backend.js'),
    import('../../network/parallel.js'),
    import('../../network/train.js'),
    import('../../network/output.js'),
  ]);
  // Fail here, with the one-line message, if the backend is unavailable (e.g. node without tfjs-node).
  await selectBackend(config.backend);
  await withOutputDirectory(out, '--out', async (dir) => {
    const chunks = workers > 1 ? splitSeeds(config.seeds, workers).length : 1;
    const { progress, onProgress } = trainProgress(config, chunks);
    let result: EnsembleResult;
    try {
      result =
        workers > 1
          ? await trainEnsembleParallel(config, workers, { onProgress })
          : await trainEnsemble(config, { onProgress: (p) => onProgress(0, p) });
    } finally {
      progress.done();
    }
    output.writeTrainOutputs(dir, result, { workers });
    printOutcome(result, () => output.resolvedTrainRun(result, { workers }), out, format);
  });
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
    .option('--lr <eta>', `learning rate η (default ${TRAIN_DEFAULTS.lr}; online SGD: ${ONLINE_LR_RULE})`)
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
    .option(
      '--format <fmt>',
      'text: one summary line on stdout; json: the summary (config, counts, final state of every seed) as JSON (default text)',
    )
    .option('--force', 'run even when the estimated cost exceeds the limit (1 h or 8 GiB, see src/runtime/cost.ts)')
    .option('--out <dir>', 'output directory: trajectories.csv, final.csv, init/seed-<s>.json, config.json (required)')
    .action((flags: TrainFlags) => runTrainCommand(flags));
}
