import { z } from 'zod';
import { THRESHOLDS, type ModelConfig } from '../../model/config.js';
import { InputError } from '../../model/errors.js';
import {
  CONSTRAINTS,
  GRADIENT_SOURCES,
  LAYERS,
  type OptimizerComposition as Composition,
} from '../../model/optimizer.js';
import type { FlowName } from '../../theory/flow.js';
import { flowDefinition, flowNames, flowOfComposition } from '../../theory/flows/index.js';
import { DEFAULT_ATOL, DEFAULT_RTOL } from '../../theory/solvers/types.js';

/**
 * The network-vs-theory study's sections of the scenario file (composed into the whole file by
 * ../scenario/schema.ts): `runs`, and the `theory`, `comparison` and `classification` settings they use.
 * Every object is strict; the cross-field rules of a run are in resolveRuns below.
 */

const positive = () => z.number().positive();
const positiveInt = () => z.int().min(1);
/** Names of runs and studies in tables, plots and violations (the scenario and the perturbation study use it too). */
export const identifier = () =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'must start with a letter or digit and contain only letters, digits, ".", "_", "-"',
    )
    .max(64);
/** Backends a scenario may name (no `auto`: a study must say what it ran on). */
const BACKENDS = ['wasm', 'cpu', 'node'] as const;

const OptimizerComposition = z
  .strictObject({
    gradient: z.enum(GRADIENT_SOURCES),
    constraint: z.enum(CONSTRAINTS).default('none'),
    layers: z.enum(LAYERS).default('first'),
  })
  .describe('An optimizer composed from a gradient source, a constraint and the trained layers (issue 3).');

const SlopeBounds = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .describe('Bounds on a fitted log–log slope against d; at least one of min, max.');

const TolerancesSchema = z
  .strictObject({
    maxLossDeviation: positive()
      .optional()
      .describe('max over seeds, d and recorded t of |loss_network − loss_theory|'),
    maxQDeviation: positive()
      .optional()
      .describe(
        'max over seeds, d, t and entries of |Q_network − Q_theory|, after matching the student units (a label-switched seed is compared with its units relabelled; comparison.csv max_dQ_matched)',
      ),
    maxRDeviation: positive()
      .optional()
      .describe(
        'max over seeds, d, t and entries of |R_network − R_theory|, after matching the student units (comparison.csv max_dR_matched)',
      ),
    maxADeviation: positive()
      .optional()
      .describe(
        'max over seeds, d, t and units of |a_network − a_theory| (gd2l), after matching the student units (comparison.csv max_da_matched)',
      ),
    maxFinalLossDeviation: positive().optional().describe('per seed, |final loss − d→∞ prediction|'),
    spreadSlope: SlopeBounds.optional().describe(
      'slope of the spread (rms over seeds) of the final loss around the d→∞ prediction, against d (log–log)',
    ),
    deviationSlope: SlopeBounds.optional().describe(
      'slope of the mean max_t |ΔQ| (network vs theory, matched student units) against d (log–log)',
    ),
  })
  .describe('Tolerances checked by `scm-harness check`; each absent tolerance is not checked.');

const RunSchema = z.strictObject({
  id: identifier().describe('Name of the run in tables, plots and violations.'),
  optimizer: z
    .union([z.enum(flowNames()).describe('A registered flow (src/theory/flows/) as preset.'), OptimizerComposition])
    .describe('Preset name or composition.'),
  lr: positive().describe('Learning rate η (docs/theory.md §3).'),
  lrReadout: positive().optional().describe('Readout learning rate η_a (two-layer runs); default η.'),
  batch: positiveInt().default(1).describe('Mini-batch size B of online SGD.'),
  samples: positiveInt().optional().describe('Training-set size n of empirical (full-batch) runs.'),
  labelNoise: z
    .number()
    .min(0)
    .optional()
    .describe('Label-noise std σ (online and empirical runs; the sgd theory adds η²σ²J2, docs/theory.md §4.2).'),
  dt: positive().default(0.05).describe('Time step of population / empirical GD runs (one Euler step of the flow).'),
  d: z.array(positiveInt()).min(1).describe('Input dimensions.'),
  seeds: z
    .union([
      z.array(z.int().min(0)).min(1),
      z.string().regex(/^\d+\.\.\d+$/, 'must be a range "a..b" or an array of seeds'),
    ])
    .describe('Seeds: an array of non-negative integers or a range "a..b" (inclusive).'),
  tMax: positive().describe('Final time t (t = steps/d for online SGD, steps·dt for GD-type runs).'),
  record: z
    .string()
    .regex(/^(log|every):[1-9]\d*$/, 'must be log:N or every:N')
    .default('log:100')
    .describe(
      'Recording grid of the network (log:N log-spaced steps, every:N steps); the theory is saved at the same times.',
    ),
  backend: z.enum(BACKENDS).default('wasm'),
  initScale: positive().default(1).describe('Student weights are N(0, initScale²) entries.'),
  tolerances: TolerancesSchema.prefault({}),
});

const TheorySchema = z
  .strictObject({
    method: z
      .enum(['auto', 'dopri5', 'euler', 'map'])
      .default('auto')
      .describe(
        "auto: map with the run's dt for population/empirical runs (the exact discrete population-GD map: what the network's steps do to the overlaps, so for population runs only float32 round-off separates them), dopri5 for online SGD. euler: Euler steps of the flow with the run's dt (differs from the network by O(dt)); map is not available for online SGD.",
      ),
    rtol: positive().default(DEFAULT_RTOL),
    atol: positive().default(DEFAULT_ATOL),
    reference: z
      .boolean()
      .default(true)
      .describe('Also integrate the d→∞ reference per seed: the same initial Q and R with T = I exactly.'),
  })
  .prefault({});

const ComparisonSchema = z
  .strictObject({
    thresholds: z
      .strictObject({
        loss: positive().default(1e-3),
        Q: positive().default(1e-2),
        R: positive().default(1e-2),
        a: positive().default(1e-2),
      })
      .prefault({})
      .describe('A deviation above its threshold is reported with the first time it happens.'),
  })
  .prefault({});

const ClassificationSchema = z
  .strictObject({
    globalLoss: positive()
      .default(THRESHOLDS.globalLoss)
      .describe('Final loss below this: global minimum (docs/theory.md §7.9).'),
    convergedRhs: positive()
      .default(THRESHOLDS.networkConvergedRhs)
      .describe(
        "max |F| of the flow at the final overlaps above this: not converged (finite-d runs fluctuate, so looser than §7.9's 1e-9 for the ODE).",
      ),
  })
  .prefault({});

/** The scenario keys of the network-vs-theory study, in the order of the scenario file. */
export const runsSection = z
  .array(RunSchema)
  .default([])
  .describe('Network runs; a scenario needs at least one run or a perturbation study.');
export const theorySections = {
  theory: TheorySchema,
  comparison: ComparisonSchema,
  classification: ClassificationSchema,
};

export type RunInput = z.output<typeof RunSchema>;
export type Tolerances = z.output<typeof TolerancesSchema>;
export type TheorySettings = z.output<typeof TheorySchema>;

/** One network run with every default filled and the theory it is compared with. */
export interface ResolvedRun extends Omit<RunInput, 'optimizer' | 'seeds' | 'lrReadout'> {
  /** The preset name when the scenario used one, else null. */
  preset: string | null;
  composition: Composition;
  /** The mean-field flow of this composition (docs/theory.md §4). */
  flow: FlowName;
  lrReadout: number;
  seeds: number[];
  /** ODE method for this run's theory (scenario theory.method, with auto resolved). */
  theoryMethod: 'dopri5' | 'euler' | 'map';
  tolerances: Tolerances;
}

/** What the network-vs-theory study reads of a scenario (../scenario/ passes the resolved scenario). */
export interface NetworkTheoryConfig {
  name: string;
  model: ModelConfig;
  theory: TheorySettings;
  comparison: z.output<typeof ComparisonSchema>;
  classification: z.output<typeof ClassificationSchema>;
  runs: ResolvedRun[];
}

/**
 * The theory's solver method of a run. auto: dopri5 for online SGD (its network is random, the flow is
 * its d → ∞ limit); map for population and empirical GD, the exact discrete population-GD map with the
 * run's dt (src/theory/gd-map.ts): a population run follows it to float32 round-off at any d and dt,
 * and an empirical run is its finite-sample approximation, step for step.
 */
function theoryMethodOf(method: TheorySettings['method'], c: Composition): ResolvedRun['theoryMethod'] {
  if (method !== 'auto') return method;
  return c.gradient === 'online' ? 'dopri5' : 'map';
}

function parseSeeds(seeds: number[] | string, where: string): number[] {
  if (typeof seeds === 'string') {
    const [from, to] = seeds.split('..').map(Number);
    if (!(to >= from)) throw new InputError(where, `empty seed range "${seeds}"`);
    if (to - from >= 100_000) throw new InputError(where, `seed range "${seeds}" is too long (at most 100000 seeds)`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  const seen = new Set<number>();
  seeds.forEach((s, i) => {
    if (seen.has(s)) throw new InputError(`${where}[${i}]`, `seed ${s} is listed twice`);
    seen.add(s);
  });
  return seeds;
}

function checkSlope(bounds: { min?: number; max?: number } | undefined, where: string, run: ResolvedRun): void {
  if (!bounds) return;
  if (bounds.min === undefined && bounds.max === undefined) throw new InputError(where, 'give min, max or both');
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw new InputError(`${where}.min`, `min ${bounds.min} is above max ${bounds.max}`);
  }
  if (run.d.length < 2)
    throw new InputError(
      where,
      `a slope against d needs at least two values of d (runs "${run.id}" has ${run.d.length})`,
    );
  if (run.seeds.length < 2) throw new InputError(where, 'a spread across seeds needs at least two seeds');
}

/** Cross-field rules that a per-field schema cannot express; every error names its JSON path. */
function resolveRun(
  run: RunInput,
  i: number,
  scenario: { model: ModelConfig; theory: TheorySettings },
  ids: Set<string>,
): ResolvedRun {
  const at = `runs[${i}]`;
  if (ids.has(run.id)) throw new InputError(`${at}.id`, `duplicate run id "${run.id}"`);
  ids.add(run.id);
  const preset = typeof run.optimizer === 'string' ? run.optimizer : null;
  const composition = preset ? flowDefinition(preset, `${at}.optimizer`).network : (run.optimizer as Composition);
  // The theory's flow for this composition (theory/flows/): the constrained SGD terms of §4.4–4.5 are
  // derived but not verified, so online runs have a flow only unconstrained and first-layer.
  const flow = flowOfComposition(composition)?.name ?? null;
  if (!flow) {
    throw new InputError(
      `${at}.optimizer`,
      `no mean-field flow for ${composition.gradient}/${composition.constraint}/${composition.layers}: the theory covers online/none/first and population or empirical with none|sphere|stiefel (first layer) or none (both layers)`,
    );
  }
  const { K, M, teacher } = scenario.model;
  const seenD = new Set<number>();
  run.d.forEach((d, j) => {
    if (seenD.has(d)) throw new InputError(`${at}.d[${j}]`, `d = ${d} is listed twice`);
    seenD.add(d);
    if (composition.constraint === 'stiefel' && d < K)
      throw new InputError(`${at}.d[${j}]`, `the stiefel constraint needs K <= d (K = ${K}, d = ${d})`);
    if (teacher === 'orthonormal' && d < M)
      throw new InputError(`${at}.d[${j}]`, `an orthonormal teacher needs M <= d (M = ${M}, d = ${d})`);
  });
  if (composition.gradient === 'empirical' && run.samples === undefined)
    throw new InputError(`${at}.samples`, 'empirical runs need the training-set size');
  if (composition.gradient !== 'empirical' && run.samples !== undefined)
    throw new InputError(
      `${at}.samples`,
      `only empirical runs use a training set (this run is ${composition.gradient})`,
    );
  if (composition.gradient !== 'online' && run.batch !== 1)
    throw new InputError(`${at}.batch`, `only online runs use mini-batches (this run is ${composition.gradient})`);
  if (composition.gradient === 'population' && run.labelNoise !== undefined)
    throw new InputError(`${at}.labelNoise`, 'label noise does not change the population gradient');
  if (composition.layers !== 'both' && run.lrReadout !== undefined)
    throw new InputError(`${at}.lrReadout`, 'only two-layer runs train the readouts');
  if (composition.gradient !== 'online' && run.dt > run.tMax)
    throw new InputError(`${at}.dt`, `dt = ${run.dt} is larger than tMax = ${run.tMax}`);
  if (composition.layers !== 'both' && run.tolerances.maxADeviation !== undefined) {
    throw new InputError(`${at}.tolerances.maxADeviation`, 'the readouts are not trained in this run');
  }
  const resolved: ResolvedRun = {
    ...run,
    preset,
    composition,
    flow,
    lrReadout: run.lrReadout ?? run.lr,
    seeds: parseSeeds(run.seeds, `${at}.seeds`),
    theoryMethod: theoryMethodOf(scenario.theory.method, composition),
  };
  if (resolved.theoryMethod === 'map' && composition.gradient === 'online') {
    throw new InputError(
      'theory.method',
      `map is the exact discrete population-GD map; run "${run.id}" is online SGD (random steps): use auto, dopri5 or euler`,
    );
  }
  checkSlope(run.tolerances.spreadSlope, `${at}.tolerances.spreadSlope`, resolved);
  checkSlope(run.tolerances.deviationSlope, `${at}.tolerances.deviationSlope`, resolved);
  return resolved;
}

/** Resolve every run of a parsed scenario; run ids go into `ids` (other studies' ids must differ). */
export function resolveRuns(
  scenario: { model: ModelConfig; theory: TheorySettings; runs: RunInput[] },
  ids: Set<string>,
): ResolvedRun[] {
  return scenario.runs.map((run, i) => resolveRun(run, i, scenario, ids));
}
