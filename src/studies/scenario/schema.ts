import { z } from 'zod';
import { ModelConfigSchema, THRESHOLDS } from '../../model/config.js';
import { activationNames } from '../../theory/activations/index.js';
import { flowNames } from '../../theory/flows/index.js';
import { DEFAULT_ATOL, DEFAULT_RTOL } from '../../theory/solvers/types.js';
import { CONSTRAINTS, GRADIENT_SOURCES, LAYERS } from '../../model/optimizer.js';

/**
 * The scenario file (scenarios/*.json): one study = a model, network runs over a list of d and seeds,
 * the theory started from each seed's own initial overlaps, comparisons with tolerances, and an output
 * directory. Every object is strict (unknown keys are errors); numbers must be finite (zod 4 rejects
 * ±Infinity, e.g. a JSON 1e999). Defaults are filled in by parsing, so the resolved scenario written to
 * config.json shows every value used. Cross-field rules live in ./resolve.ts.
 */

const positive = () => z.number().positive();
const positiveInt = () => z.int().min(1);
const identifier = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must start with a letter or digit and contain only letters, digits, ".", "_", "-"')
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
    maxLossDeviation: positive().optional().describe('max over seeds, d and recorded t of |loss_network − loss_theory|'),
    maxQDeviation: positive().optional().describe('max over seeds, d, t and entries of |Q_network − Q_theory|'),
    maxRDeviation: positive().optional().describe('max over seeds, d, t and entries of |R_network − R_theory|'),
    maxADeviation: positive().optional().describe('max over seeds, d, t and units of |a_network − a_theory| (gd2l)'),
    maxFinalLossDeviation: positive().optional().describe('per seed, |final loss − d→∞ prediction|'),
    spreadSlope: SlopeBounds.optional().describe('slope of the spread (rms over seeds) of the final loss around the d→∞ prediction, against d (log–log)'),
    deviationSlope: SlopeBounds.optional().describe('slope of the mean max_t |ΔQ| (network vs theory) against d (log–log)'),
  })
  .describe('Tolerances checked by `scm-harness check`; each absent tolerance is not checked.');

const RunSchema = z.strictObject({
  id: identifier().describe('Name of the run in tables, plots and violations.'),
  optimizer: z.union([z.enum(flowNames()).describe('A registered flow (src/theory/flows/) as preset.'), OptimizerComposition]).describe('Preset name or composition.'),
  lr: positive().describe('Learning rate η (equations.md §3).'),
  lrReadout: positive().optional().describe('Readout learning rate η_a (two-layer runs); default η.'),
  batch: positiveInt().default(1).describe('Mini-batch size B of online SGD.'),
  samples: positiveInt().optional().describe('Training-set size n of empirical (full-batch) runs.'),
  labelNoise: z.number().min(0).optional().describe('Label-noise std σ (online and empirical runs; the sgd theory adds η²σ²J2, equations.md §4.2).'),
  dt: positive().default(0.05).describe('Time step of population / empirical GD runs (one Euler step of the flow).'),
  d: z.array(positiveInt()).min(1).describe('Input dimensions.'),
  seeds: z
    .union([z.array(z.int().min(0)).min(1), z.string().regex(/^\d+\.\.\d+$/, 'must be a range "a..b" or an array of seeds')])
    .describe('Seeds: an array of non-negative integers or a range "a..b" (inclusive).'),
  tMax: positive().describe('Final time t (t = steps/d for online SGD, steps·dt for GD-type runs).'),
  record: z
    .string()
    .regex(/^(log|every):[1-9]\d*$/, 'must be log:N or every:N')
    .default('log:100')
    .describe('Recording grid of the network (log:N log-spaced steps, every:N steps); the theory is saved at the same times.'),
  backend: z.enum(BACKENDS).default('wasm'),
  initScale: positive().default(1).describe('Student weights are N(0, initScale²) entries.'),
  tolerances: TolerancesSchema.prefault({}),
});

const PerturbationSchema = z
  .strictObject({
    id: identifier().default('perturbation'),
    k1: z
      .array(z.int().min(0))
      .min(1)
      .describe('Fixed-point families of the K = M block ansatz (k1 anti-aligned units, paper Result 2) to perturb.'),
    embed: z.boolean().default(true).describe('Also perturb each family embedded into K = M + 1 with an extra zero unit.'),
    lr: positive().default(1).describe('Learning rate of the relaxing gradient flow (gd).'),
    sigmas: z.array(positive()).min(1).describe('Perturbation strengths σ: student weights W ← W + σξ, ξ ~ N(0, 1) entrywise.'),
    d: positiveInt().default(200).describe('Dimension at which the fixed point is realised as weights (≥ K + M + 1).'),
    tRelax: positive().default(500).describe('Relaxation time after the perturbation.'),
    repetitions: positiveInt().default(10).describe('Perturbations per σ (seeds seed, seed + 1, …).'),
    seed: z.int().min(0).default(0),
    tolerances: z
      .strictObject({
        maxReturnRatio: positive()
          .optional()
          .describe('K = M: mean return distance / mean initial distance must stay below this at every σ (the family is stable).'),
        minEscapeRatio: positive()
          .optional()
          .describe('K = M + 1: mean distance after relaxing / initial distance must exceed this at every σ (the embedding is a saddle).'),
      })
      .prefault({}),
  })
  .describe('The weight-space perturbation protocol of the paper\'s Appendix D (src/landscape/perturb.ts), relaxed with the gd flow.');

export const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema (for editors).'),
    name: identifier().describe('Scenario name; reports go to reports/<name>/ by default.'),
    description: z.string().default(''),
    // The registered activations as an enum, so editors complete them from the JSON Schema.
    model: ModelConfigSchema.extend({ activation: z.enum(activationNames()).default('relu') }),
    runs: z.array(RunSchema).default([]).describe('Network runs; a scenario needs at least one run or a perturbation study.'),
    perturbation: PerturbationSchema.optional(),
    theory: z
      .strictObject({
        method: z
          .enum(['auto', 'dopri5', 'euler', 'map'])
          .default('auto')
          .describe(
            'auto: map with the run\'s dt for population/empirical runs (the exact discrete population-GD map: what the network\'s steps do to the overlaps, so for population runs only float32 round-off separates them), dopri5 for online SGD. euler: Euler steps of the flow with the run\'s dt (differs from the network by O(dt)); map is not available for online SGD.',
          ),
        rtol: positive().default(DEFAULT_RTOL),
        atol: positive().default(DEFAULT_ATOL),
        reference: z
          .boolean()
          .default(true)
          .describe('Also integrate the d→∞ reference per seed: the same initial Q and R with T = I exactly.'),
      })
      .prefault({}),
    comparison: z
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
      .prefault({}),
    classification: z
      .strictObject({
        globalLoss: positive().default(THRESHOLDS.globalLoss).describe('Final loss below this: global minimum (equations.md §7.9).'),
        convergedRhs: positive()
          .default(THRESHOLDS.networkConvergedRhs)
          .describe('max |F| of the flow at the final overlaps above this: not converged (finite-d runs fluctuate, so looser than §7.9\'s 1e-9 for the ODE).'),
      })
      .prefault({}),
    output: z.strictObject({ dir: z.string().min(1).optional().describe('Default reports/<name>.') }).prefault({}),
  })
  .describe('scm-harness scenario: one study comparing real finite-d networks with the mean-field theory.');

export type ParsedScenario = z.output<typeof ScenarioSchema>;
export type RunInput = z.output<typeof RunSchema>;
export type Tolerances = z.output<typeof TolerancesSchema>;

/** The JSON Schema of scenario files (`scm-harness schema`), describing the input form (defaults optional). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
