import { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { FlowConfigSchema, ModelConfigSchema } from '../../model/config.js';
import { STATS_DEFAULTS, type StatsConfig, resolveStatsConfig } from '../../landscape/stats/config.js';
import { FIXED_POINT_STABILITY_METHODS } from '../../landscape/fixed-point-stability.js';

/**
 * Configuration of a census of minima (docs/hessian.md "Census of minima"): which landscapes (K, M),
 * and how the random initialisations whose end states are counted are drawn and integrated. The same
 * typed configuration comes from the `census` flags and from a census scenario file (./scenario.ts).
 *
 * Shapes: the k1 block ansatz (docs/theory.md §12) exists for K = M and K = M + 1, so a shape is a
 * teacher width M and an overparametrisation p = K − M ∈ {0, 1}; `M: [6, 7], overparam: [0, 1]` gives
 * (K, M) = (6, 6), (7, 7), (7, 6), (8, 7) in that order (by p, then by M).
 */
export const CENSUS_DEFAULTS = {
  inits: 1000,
  hessian: true,
  /** Stability of the catalogue's points and the reached states: dense spectra up to K = M = 18 (500 state coordinates), Krylov above. */
  catalogueStability: 'auto',
  /** Stats runs leave saddles (§13, saddle-safe acceptance): a run that slows down near a saddle is not stopped there. */
  stability: 'krylov',
} as const;

/**
 * Largest teacher width: the catalogue costs one Newton polish per root (an n×n LU, n = 2420 at
 * K = M = 40) and, with dense stability, one n×n spectrum (4 s at n = 610, K = M = 20; `auto` takes
 * Krylov there).
 */
export const CENSUS_MAX_M = 40;

export const CensusConfigSchema = z.strictObject({
  M: z
    .array(z.int().min(1).max(CENSUS_MAX_M))
    .min(1)
    .describe('Teacher widths M (each shape is K = M + p for every overparam p).'),
  overparam: z
    .array(z.int().min(0).max(1))
    .min(1)
    .default([0])
    .describe('p = K − M: 0 (K = M) and/or 1 (K = M + 1), the shapes of the k1 ansatz (docs/theory.md §12).'),
  inits: z.int().min(1).default(CENSUS_DEFAULTS.inits).describe('Random initialisations per shape.'),
  initD: z
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe('Dimension of the random initial weights (default K per shape, Safran–Shamir).'),
  optimizer: FlowConfigSchema.shape.name.default(STATS_DEFAULTS.optimizer),
  activation: ModelConfigSchema.shape.activation.default(STATS_DEFAULTS.activation),
  alpha: ModelConfigSchema.shape.alpha,
  lr: FlowConfigSchema.shape.lr.default(STATS_DEFAULTS.lr),
  seed: z.int().min(0).default(STATS_DEFAULTS.seed).describe('Initialisation i uses seed + i (every shape).'),
  hessian: z
    .boolean()
    .default(CENSUS_DEFAULTS.hessian)
    .describe('Weight-space Hessian (ReLU, gd/gd2l) of every point at d = rank of its joint Gram matrix.'),
  catalogueStability: z
    .enum(FIXED_POINT_STABILITY_METHODS)
    .default(CENSUS_DEFAULTS.catalogueStability)
    .describe(
      'Stability of every point: dense spectrum, krylov (rightmost eigenvalues), or auto (dense up to 500 state coordinates).',
    ),
});

export interface CensusShape {
  K: number;
  M: number;
  /** The stats configuration of this shape's initialisations (landscape/stats/config.ts). */
  stats: StatsConfig;
}

export type CensusConfig = z.output<typeof CensusConfigSchema> & { shapes: CensusShape[] };

/**
 * Parse, fill defaults and expand the shapes; each shape's StatsConfig is resolved here, so every
 * cross-field rule (a gradient flow, init-d ≥ M, the activation's parameters) fails before anything runs.
 * `where` prefixes error paths (a JSON path); the CLI maps them back to flags.
 */
export function resolveCensusConfig(input: unknown, where = 'census'): CensusConfig {
  const parsed = CensusConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${where}.${issue.path.join('.')}`, issue.message);
  }
  const c = parsed.data;
  for (const [key, list] of [
    ['M', c.M],
    ['overparam', c.overparam],
  ] as const)
    if (new Set(list).size !== list.length) throw new InputError(`${where}.${key}`, `lists a value twice`);
  const shapes: CensusShape[] = [];
  for (const p of c.overparam)
    for (const M of c.M) {
      const K = M + p;
      // Errors name the census field: resolveStatsConfig prefixes its paths with `where`.
      const stats: StatsConfig = resolveStatsConfig(
        {
          K,
          M,
          inits: c.inits,
          optimizer: c.optimizer,
          activation: c.activation,
          alpha: c.alpha,
          lr: c.lr,
          initD: c.initD,
          seed: c.seed,
          stability: CENSUS_DEFAULTS.stability,
        },
        where,
      );
      shapes.push({ K, M, stats });
    }
  return { ...c, alpha: shapes[0].stats.alpha, shapes };
}

/** The configuration as config.json records it: the resolved fields, each shape with its init dimension. */
export function censusConfigRecord(c: CensusConfig): Record<string, unknown> {
  const { shapes, ...rest } = c;
  return {
    ...rest,
    shapes: shapes.map((s) => ({ K: s.K, M: s.M, initD: s.stats.initD })),
    stats: {
      stability: CENSUS_DEFAULTS.stability,
      thresholds: shapes[0].stats.thresholds,
      solver: shapes[0].stats.solver,
    },
  };
}
