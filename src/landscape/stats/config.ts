import { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { FlowConfigSchema, ModelConfigSchema, THRESHOLDS } from '../../model/config.js';
import { resolveActivationChoice } from '../../theory/activations/index.js';
import { flowDefinition } from '../../theory/flows/index.js';

/**
 * Configuration of one `stats` run: which landscape, how many random initialisations, how each is
 * integrated, finished and classified. Every field that changes a result is in here (and in
 * config.json): resuming and merging compare them (`statsIdentity`). `workers` is not part of it —
 * results do not depend on it.
 */

export const FINISH_MODES = ['newton', 'flow'] as const;

/**
 * How a non-global rest point is certified (docs/theory.md §14; saddle-check.ts): `krylov` — the
 * rightmost realisable Jacobian eigenvalues by Krylov–Schur on Jacobian–vector products, falling back to
 * `dense` where Krylov cannot decide; `dense` — the full nonsymmetric eigendecomposition (1.5–2 s at
 * K = M = 17); `off` — no check (a saddle the Newton finish lands on then counts as a minimum).
 */
export const STABILITY_METHODS = ['krylov', 'dense', 'off'] as const;
export type StabilityMethod = (typeof STABILITY_METHODS)[number];

/**
 * Defaults:
 * - globalLoss 1e-5, convergedRhs 1e-9: docs/theory.md §7.9.
 * - finish flow: integrate to rest (max|F| ≤ 1e-9). Since the slow stretch is integrated by rkc
 *   (docs/theory.md §7.5a) its last decades of max|F| (≈ 1000 right-hand sides at K = M = 17) cost less
 *   than Newton's forward-difference Jacobian (442) with its O(n³) LU, chord steps and the risk of a far
 *   root: reports/bench/stats.md (2026-12-01) 17.4 vs 7.40 inits/s on one thread, the same end states as
 *   the dopri5 flow-only reference in 20 of 20 seeds for both. `newton` is kept; a Newton
 *   root near a slow saddle passage can be another fixed point (seed 1018 at K = M = 17 without the
 *   stability check: Newton k1 = 6, flow k1 = 2).
 * - newtonStartRhs 1e-4 (finish newton): hand over from the ODE to Newton once the flow has slowed to
 *   max|F| < 1e-4 (issue 5); from there Newton needs 1–2 Jacobians.
 * - newtonMinLoss 1e-3: no Newton while the loss is this small — the run is heading for the global
 *   minimum, where the Jacobian is singular (§7.4); spurious levels are ~1e-2 (fixed-points at K ≤ 20).
 * - newtonMaxJump 0.2: a Newton root farther than this (max-norm over the packed state) from the flow's
 *   state is not the attractor the flow is approaching; the flow continues instead. At hand-over the
 *   attractor is ~max|F|/|λ_slow| ≈ 1e-4/3e-3 ≈ 0.03 away.
 * - tMax 1e4: the flow's time budget (the paper's slow runs; a run still moving then is not-converged).
 * - rtol 1e-6, atol 1e-9 (dopri5 through the transient; rkc below max|F| < 1e-4 and when leaving a
 *   saddle): dopri5 is stability-limited here (dt ≈ 2.5/|λ_min|, §7.5), so tighter tolerances buy nothing
 *   for the end state but cost steps.
 * - rkcRtol 1e-4, rkcAtol 1e-6 (rkc, from max|F| < 1e-2 to 1e-4, §7.5a; below 1e-4 rkc returns to
 *   rtol and atol): rkc is accuracy-limited there, and its right-hand sides per unit time fall like
 *   tol^(−1/6) (h ∝ tol^(1/3), stages ∝ √h); atol matters because entries of R decay towards 0. Measured
 *   at K = M = 17 (60 seeds, right-hand sides per run in that stretch): 4.1e3 at (1e-6, 1e-9), 2.0e3 at
 *   (1e-4, 1e-9), 1.3e3 at (1e-4, 1e-6); at K = M = 100 (one run) 9.0e3 at (1e-4, 1e-9) and 5.9e3 at
 *   (1e-4, 1e-6). End states (class, k1) the same as with (1e-6, 1e-9): reports/bench/stats-tolerance.md
 *   and docs/theory.md §7.5a. rkcRtol 1e-4 down to rest left 2 of 60 runs creeping near rest until t = 1e4.
 * - firstChunk 100: the flow is integrated in chunks of doubling length (100, 200, 400, ...), checking
 *   the loss (global) and the hand-over condition in between.
 * - stability krylov: every non-global rest point is checked for realisable unstable directions by
 *   Krylov–Schur on Jacobian–vector products (10–40 ms at K = M = 17, docs/theory.md §14) before it
 *   counts as a minimum; a saddle is left along its unstable direction (run.ts). Without the check a
 *   Newton finish can land on a saddle during the slow passage by it (issue 9: K = 17 seed 173).
 * - marginalEigenvalue 1e-4: a minimum whose largest realisable eigenvalue is above −1e-4 decays on
 *   time scales beyond the budget tMax = 1e4; it is reported as `marginal` rather than `spurious`.
 */
export const STATS_DEFAULTS = {
  optimizer: 'gd',
  activation: 'relu',
  lr: 1,
  seed: 0,
  globalLoss: THRESHOLDS.globalLoss,
  convergedRhs: THRESHOLDS.convergedRhs,
  newtonStartRhs: THRESHOLDS.newtonStartRhs,
  newtonMinLoss: THRESHOLDS.newtonMinLoss,
  newtonMaxJump: THRESHOLDS.newtonMaxJump,
  tMax: 1e4,
  rtol: 1e-6,
  rkcRtol: 1e-4,
  rkcAtol: 1e-6,
  atol: 1e-9,
  firstChunk: 100,
  maxSteps: 10_000_000,
  finish: 'flow',
  stability: 'krylov',
  marginalEigenvalue: THRESHOLDS.marginalEigenvalue,
} as const;

const positive = () => z.number().positive();
const positiveInt = () => z.int().min(1);

export const StatsThresholdsSchema = z.strictObject({
  globalLoss: positive()
    .default(STATS_DEFAULTS.globalLoss)
    .describe('Final loss below this: global (docs/theory.md §7.9).'),
  convergedRhs: positive().default(STATS_DEFAULTS.convergedRhs).describe('max|F| at or below this: converged (§7.9).'),
  newtonStartRhs: positive()
    .default(STATS_DEFAULTS.newtonStartRhs)
    .describe('Hand over from the flow to Newton below this max|F|.'),
  newtonMinLoss: positive()
    .default(STATS_DEFAULTS.newtonMinLoss)
    .describe('No Newton while the loss is below this (heading for the singular global minimum).'),
  newtonMaxJump: positive()
    .default(STATS_DEFAULTS.newtonMaxJump)
    .describe('Reject a Newton root farther than this (max-norm) from the flow state.'),
  marginalEigenvalue: positive()
    .default(STATS_DEFAULTS.marginalEigenvalue)
    .describe('A minimum whose largest realisable Jacobian eigenvalue is above minus this is `marginal`.'),
});

export const StatsSolverSchema = z.strictObject({
  tMax: positive().default(STATS_DEFAULTS.tMax),
  rtol: positive()
    .default(STATS_DEFAULTS.rtol)
    .describe('Relative tolerance of dopri5 (the transient) and of rkc below max|F| < 1e-4 and leaving saddles.'),
  rkcRtol: positive()
    .default(STATS_DEFAULTS.rkcRtol)
    .describe('Relative tolerance of rkc from max|F| < 1e-2 until 1e-4 (the slow stretch, docs/theory.md §7.5a).'),
  rkcAtol: positive()
    .default(STATS_DEFAULTS.rkcAtol)
    .describe('Absolute tolerance of rkc in the slow stretch (docs/theory.md §7.5a).'),
  atol: positive()
    .default(STATS_DEFAULTS.atol)
    .describe('Absolute tolerance that goes with rtol (the same stretches).'),
  firstChunk: positive().default(STATS_DEFAULTS.firstChunk),
  maxSteps: positiveInt().default(STATS_DEFAULTS.maxSteps),
});

export const StatsConfigSchema = z.strictObject({
  K: positiveInt(),
  M: positiveInt(),
  optimizer: FlowConfigSchema.shape.name.describe('A landscape flow (src/theory/flows/: a gradient flow).'),
  activation: ModelConfigSchema.shape.activation,
  alpha: ModelConfigSchema.shape.alpha,
  lr: FlowConfigSchema.shape.lr,
  initD: positiveInt()
    .nullable()
    .default(null)
    .describe('Dimension of the random initial weights (default K, Safran–Shamir).'),
  seed: z.int().min(0).default(STATS_DEFAULTS.seed).describe('Initialisation i uses seed + i.'),
  inits: positiveInt().describe('Number of random initialisations (before sharding).'),
  shard: z.strictObject({ index: z.int().min(0), count: positiveInt() }).default({ index: 0, count: 1 }),
  thresholds: StatsThresholdsSchema.prefault({}),
  solver: StatsSolverSchema.prefault({}),
  finish: z
    .enum(FINISH_MODES)
    .default(STATS_DEFAULTS.finish)
    .describe('newton: Newton once the flow has slowed; flow: integrate until max|F| ≤ convergedRhs.'),
  spectrum: z
    .boolean()
    .optional()
    .describe('Older spelling of `stability` (kept for existing files): true = dense, false = off.'),
  stability: z
    .enum(STABILITY_METHODS)
    .default(STATS_DEFAULTS.stability)
    .describe(
      'Check every non-global rest point for unstable directions (krylov, or dense eigendecomposition) and leave saddles; off: none.',
    ),
});

export type StatsConfigInput = z.input<typeof StatsConfigSchema>;
export type StatsConfig = Omit<z.output<typeof StatsConfigSchema>, 'spectrum'> & {
  initD: number;
  alpha: number | null;
};

/** Parse, fill defaults and check cross-field rules; `where` prefixes error paths (a flag or a JSON path). */
export function resolveStatsConfig(input: unknown, where = 'stats'): StatsConfig {
  const parsed = StatsConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${where}.${issue.path.join('.')}`, issue.message);
  }
  const { spectrum, ...c } = parsed.data;
  if (spectrum !== undefined) {
    if (typeof input === 'object' && input !== null && 'stability' in input)
      throw new InputError(`${where}.spectrum`, 'cannot be combined with stability (an older spelling of it)');
    c.stability = spectrum ? 'dense' : 'off';
  }
  if (c.shard.index >= c.shard.count)
    throw new InputError(`${where}.shard`, `index ${c.shard.index} must be below the count ${c.shard.count}`);
  const { alpha } = resolveActivationChoice(c.activation, c.alpha, {
    activation: `${where}.activation`,
    alpha: `${where}.alpha`,
  });
  const flow = flowDefinition(c.optimizer, `${where}.optimizer`);
  if (!flow.gradientFlow)
    throw new InputError(
      `${where}.optimizer`,
      `${c.optimizer} is not a gradient flow: its fixed points depend on η, so it has no landscape to take statistics of`,
    );
  const initD = c.initD ?? c.K;
  if (initD < c.M)
    throw new InputError(`${where}.initD`, `must be at least M = ${c.M} (orthonormal teacher), got ${initD}`);
  if (flow.constraint === 'stiefel' && initD < c.K)
    throw new InputError(
      `${where}.initD`,
      `must be at least K = ${c.K} for ${c.optimizer} (orthonormal students), got ${initD}`,
    );
  return { ...c, alpha, initD };
}

/** The seeds of a shard: initialisation indices i ≡ shard.index (mod shard.count), seed = base + i. */
export function shardSeeds(c: StatsConfig): number[] {
  const seeds: number[] = [];
  for (let i = c.shard.index; i < c.inits; i += c.shard.count) seeds.push(c.seed + i);
  return seeds;
}

/** The configuration without its shard index: equal for every shard of one run (merge, resume). */
export function statsIdentity(c: StatsConfig): Omit<StatsConfig, 'shard'> & { shardCount: number } {
  const { shard, ...rest } = c;
  return { ...rest, shardCount: shard.count };
}

/** First field (dotted path) where two configurations differ, or null. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return Object.is(a, b) ? null : path || '(root)';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of [...keys].sort()) {
    const d = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
    );
    if (d !== null) return d;
  }
  return null;
}
