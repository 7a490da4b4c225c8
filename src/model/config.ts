import { z } from 'zod';

/**
 * The configuration vocabulary: one definition of each piece a command or a scenario configures —
 * model, flow, solver, thresholds — as zod schemas with their defaults. CLI flags and scenario files
 * both resolve into these; names (activation, flow) are plain strings here and are checked against the
 * registries by src/theory/config.ts, which also builds the Flow (`makeFlow`).
 */

/**
 * Every threshold with a name, once (docs/theory.md §7.9):
 * - globalLoss: an end state below this loss is the global minimum;
 * - convergedRhs: an ODE state with max|F| at or below this is at rest;
 * - zeroLoss: below this the loss is treated as exactly 0 — the Jacobian is singular there (§7.4), so
 *   no Newton step and no spectrum is computed;
 * - networkConvergedRhs: a finite-d network's end state with max|F| above this is not converged
 *   (finite-d runs fluctuate, so looser than convergedRhs);
 * - newtonStartRhs, newtonMinLoss, newtonMaxJump: when `stats` hands over from the flow to Newton
 *   (src/landscape/stats/config.ts explains each value);
 * - marginalEigenvalue: a stats end state whose largest realisable Jacobian eigenvalue is above minus
 *   this decays more slowly than the stats time budget (1e4) resolves: `marginal` (§14).
 */
export const THRESHOLDS = {
  globalLoss: 1e-5,
  convergedRhs: 1e-9,
  zeroLoss: 1e-9,
  networkConvergedRhs: 1e-3,
  newtonStartRhs: 1e-4,
  newtonMinLoss: 1e-3,
  newtonMaxJump: 0.2,
  marginalEigenvalue: 1e-4,
} as const;

const positive = () => z.number().positive();
const positiveInt = () => z.int().min(1);

export const TEACHER_KINDS = ['orthonormal', 'gaussian'] as const;

/** The teacher–student model (docs/theory.md §0). */
export const ModelConfigSchema = z.strictObject({
  K: positiveInt().describe('Student hidden units.'),
  M: positiveInt().describe('Teacher hidden units.'),
  activation: z
    .string()
    .default('relu')
    .describe('A registered activation (src/theory/activations/): relu, leaky-relu, erf.'),
  alpha: z
    .number()
    .nullable()
    .default(null)
    .describe('Leaky-ReLU slope α in [0, 1) (leaky-relu only; default 0.1 there).'),
  teacher: z
    .enum(TEACHER_KINDS)
    .default('orthonormal')
    .describe('Orthonormal teacher rows (T = I) or i.i.d. Gaussian ones.'),
});

/** A mean-field flow and its rates (docs/theory.md §3–4). */
export const FlowConfigSchema = z.strictObject({
  name: z.string().default('gd').describe('A registered flow (src/theory/flows/): gd, gd2l, ngd, ongd, sgd.'),
  lr: positive().default(1).describe('Learning rate η of the first layer (docs/theory.md §3).'),
  lrReadout: z
    .number()
    .min(0)
    .nullable()
    .default(null)
    .describe('Readout rate η_a (flows that train the readouts; default η).'),
  labelNoise: z.number().min(0).nullable().default(null).describe('Label-noise std σ (stochastic flows; default 0).'),
  batch: positiveInt().default(1).describe('Mini-batch size B (stochastic flows): the η² term is divided by B.'),
});

export const SOLVER_METHODS = ['dopri5', 'rkc', 'euler', 'map'] as const;
/** dopri5 tolerances and the step budget of one solve. */
export const SOLVER_DEFAULTS = { rtol: 1e-8, atol: 1e-10, maxSteps: 10_000_000 } as const;

/** How the ODE is integrated (src/theory/solvers/). */
export const SolverConfigSchema = z.strictObject({
  method: z.enum(SOLVER_METHODS).default('dopri5'),
  rtol: positive().default(SOLVER_DEFAULTS.rtol),
  atol: positive().default(SOLVER_DEFAULTS.atol),
});

export const ThresholdsSchema = z.strictObject({
  globalLoss: positive()
    .default(THRESHOLDS.globalLoss)
    .describe('Final loss below this: global (docs/theory.md §7.9).'),
  convergedRhs: positive().default(THRESHOLDS.convergedRhs).describe('max|F| at or below this: converged (§7.9).'),
});

export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type FlowConfig = z.output<typeof FlowConfigSchema>;
export type SolverConfig = z.output<typeof SolverConfigSchema>;
export type Thresholds = z.output<typeof ThresholdsSchema>;
