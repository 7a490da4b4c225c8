import { availableParallelism } from 'node:os';
import { InputError } from '../model/errors.js';
import type { SolveMethod } from '../theory/solvers/types.js';

/**
 * Cost model of the commands, to refuse (unless --force) a job that would silently run for hours or exhaust
 * memory — e.g. K = 10000, legal but hopeless: one ODE right-hand side costs ~4e12 operations there, and the
 * random initial overlaps alone a 2·10⁴ × 2·10⁴ Gram over d = 10⁴.
 *
 * LIMITS: a job is refused when its estimate exceeds 1 hour of wall time or 8 GiB of memory. The estimates
 * are deliberately rough (within a factor of ~3): they are meant to catch sizes that are off by orders of
 * magnitude, not to predict run times (the progress bars do that). `stats` is checked per initialisation
 * (its total is resumable, shardable, and its progress bar shows the ETA); every other command as a whole.
 *
 * CONSTANTS, measured on the development machine (2 × AMD EPYC cores, Node 20.20, shared, load ~1.5):
 * - ODE right-hand side (theory/stein.ts, §4 fast form): ~1 ns per unit of K·(K+M)² (0.7 ns at K = M = 40,
 *   0.9 at 20, 1.3 at 10, including the dopri5 overhead); the O(K(K+M)) transcendental part is folded in.
 * - dopri5 steps on the default tolerances: stability-limited step h ≈ min(0.25, 5/K) (K = M = 10, 20, 40
 *   took 436, 490, 761 steps to t = 100), 6 evaluations per step.
 * - random initial overlaps (theory/init.ts rowGram): ~2 ns per unit of (K+M)²·d (1.6–2.2 ns at K = 200–400).
 * - fixed-point Jacobian (landscape/jacobian.ts): 2n right-hand sides, n = K(K+1)/2 + KM the state size.
 * - Newton–LM solve: ~2 Jacobians (chord steps reuse the LU), each with ~1.5 ns·n³ of dense linear algebra
 *   (ml-matrix LU 0.6–0.9 ns·n³, JᵀJ 1.9 ns·n³ when damped). A stats run at K = M = 17 then estimates to
 *   0.3 s; reports/bench/stats.md measured 0.2 s per initialisation.
 * - stability spectrum (landscape/stability.ts, nonsymmetric eigenproblem + realisability tests):
 *   ~25 ns·n³ (16 ns at n = 610, 28 ns at n = 2420: 390 s).
 *   Memory: the Jacobian and its decompositions hold ~5 dense n×n float64 matrices.
 * - networks (tfjs-wasm, reports/bench/network.md): ~40 µs per step of the ensemble plus ~2.5 ns per
 *   multiply-add unit, S·K·d·B per online step (S seeds, batch B), S·K·(K+M)·d per population-gradient step,
 *   S·samples·K·d per empirical step; float32 weights, a few copies per seed.
 * - outputs: a trajectory file holds rows × state-size numbers; each costs ~8 bytes in memory plus ~60
 *   bytes while its CSV text is built (one JavaScript string per cell).
 */
export const COST_LIMITS = { seconds: 3600, bytes: 8 * 2 ** 30 } as const;

export const COST_CONSTANTS = {
  rhsNs: 1.0,
  initNs: 2.0,
  newtonLinearNs: 1.5,
  newtonIterations: 2,
  spectrumNs: 25,
  matrixCopies: 5,
  stepOverheadNs: 40_000,
  networkNs: 2.5,
  bytesPerSavedNumber: 70,
} as const;

export interface CostEstimate {
  seconds: number;
  bytes: number;
  /** What was estimated, e.g. "ode at K = 10000, M = 10000". */
  what: string;
}

/** State size n of the overlap flow: Q (upper triangle), R and, when trained, the readouts a. */
export function stateSize(K: number, M: number, readouts = false): number {
  return (K * (K + 1)) / 2 + K * M + (readouts ? K : 0);
}

const C = COST_CONSTANTS;

/** Seconds of one right-hand-side evaluation. */
export function rhsSeconds(K: number, M: number): number {
  return C.rhsNs * 1e-9 * K * (K + M) ** 2;
}

/** Right-hand-side evaluations of an integration to time t. */
export function odeEvaluations(K: number, t: number, method: SolveMethod, dt: number | null): number {
  // Fixed-step methods take t/dt steps; the adaptive ones are costed as dopri5 (an upper bound for rkc).
  if ((method === 'euler' || method === 'map') && dt !== null) return Math.ceil(t / dt);
  const h = Math.min(0.25, 5 / K);
  return 6 * Math.ceil(t / h);
}

/** Seconds of the random initial overlaps at dimension d. */
export function initSeconds(K: number, M: number, d: number): number {
  return C.initNs * 1e-9 * (K + M) ** 2 * d;
}

/** Bytes of `rows` saved states of the flow, including the CSV text built from them. */
export function savedBytes(rows: number, K: number, M: number, readouts = false): number {
  return rows * (stateSize(K, M, readouts) + 2) * C.bytesPerSavedNumber;
}

/** One Newton–LM solve of the full system (Jacobians + linear algebra). */
export function newtonSeconds(K: number, M: number): number {
  const n = stateSize(K, M);
  return C.newtonIterations * (2 * n * rhsSeconds(K, M) + C.newtonLinearNs * 1e-9 * n ** 3);
}

/** One stability analysis (Jacobian + spectrum). */
export function spectrumSeconds(K: number, M: number): number {
  const n = stateSize(K, M);
  return 2 * n * rhsSeconds(K, M) + C.spectrumNs * 1e-9 * n ** 3;
}

/**
 * Right-hand-side equivalents of one default `stats` run (flow finish, rkc stretches, Krylov check;
 * reports/bench/stats.md "Cost per init against K", 2026-12-01: 2.2e3, 3.8e3, 4.6e3, 7.0e3, 1.0e4 at
 * K = M = 8, 17, 30, 50, 100), fitted as 2.2e3·(K/8)^0.62.
 */
export function statsRunEvaluations(K: number): number {
  return 2.2e3 * Math.max(1, K / 8) ** 0.62;
}

/** Krylov basis of the saddle check (two buffers of ncv + 1 ≤ 41 state vectors, landscape/stability-krylov.ts). */
export function krylovBytes(K: number, M: number): number {
  return 2 * 41 * 8 * stateSize(K, M);
}

/** Memory of the dense n×n matrices of a Newton solve or a spectrum. */
export function jacobianBytes(K: number, M: number): number {
  const n = stateSize(K, M);
  return C.matrixCopies * 8 * n * n;
}

export interface OdeCostInput {
  K: number;
  M: number;
  tMax: number;
  method: SolveMethod;
  dt: number | null;
  /** Dimension of the random initial weights, or null for an --init file. */
  initD: number | null;
  saveRows: number;
  readouts?: boolean;
}

export function estimateOde(c: OdeCostInput): CostEstimate {
  const init = c.initD === null ? 0 : initSeconds(c.K, c.M, c.initD);
  const seconds = init + odeEvaluations(c.K, c.tMax, c.method, c.dt) * rhsSeconds(c.K, c.M);
  const initBytes = c.initD === null ? 0 : 8 * (c.K + c.M) * c.initD;
  return {
    seconds,
    bytes: initBytes + savedBytes(c.saveRows, c.K, c.M, c.readouts),
    what: `ode at K = ${c.K}, M = ${c.M}, t-max ${c.tMax}`,
  };
}

export interface NetworkCostInput {
  K: number;
  M: number;
  d: number;
  seeds: number;
  steps: number;
  gradient: 'online' | 'population' | 'empirical';
  batch: number | null;
  samples: number | null;
  records: number;
  readouts: boolean;
  /** Parallel lanes (worker threads actually busy). */
  lanes: number;
}

/** One network ensemble (train, or one (run, d) job of a scenario). */
export function networkCost(c: NetworkCostInput): { seconds: number; bytes: number } {
  const units =
    c.gradient === 'online'
      ? c.K * c.d * (c.batch ?? 1)
      : c.gradient === 'population'
        ? c.K * (c.K + c.M) * c.d
        : (c.samples ?? 1) * c.K * c.d;
  const lanes = Math.max(1, Math.min(c.lanes, c.seeds));
  const perLane = Math.ceil(c.seeds / lanes);
  const seconds = c.steps * (C.stepOverheadNs + C.networkNs * perLane * units) * 1e-9;
  const weights = 4 * c.seeds * (c.K + c.M) * c.d * 6;
  const data =
    c.gradient === 'empirical' ? 4 * c.seeds * (c.samples ?? 0) * c.d : 4 * c.seeds * (c.batch ?? 1) * c.d * 4;
  return { seconds, bytes: weights + data + c.seeds * savedBytes(c.records, c.K, c.M, c.readouts) };
}

/** Worker lanes that can actually run at once. */
export function lanes(workers: number): number {
  return Math.max(1, Math.min(workers, availableParallelism()));
}

export function formatSeconds(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 86400 * 2) return `${(s / 3600).toPrecision(2)} h`;
  if (s < 86400 * 365 * 2) return `${Math.round(s / 86400)} days`;
  const years = s / (86400 * 365);
  return years < 1000 ? `${Math.round(years)} years` : 'more than 1000 years';
}

export function formatBytes(b: number): string {
  if (b < 2 ** 30) return `${Math.max(1, Math.round(b / 2 ** 20))} MiB`;
  if (b < 2 ** 40) return `${(b / 2 ** 30).toPrecision(2)} GiB`;
  return b < 1000 * 2 ** 40 ? `${(b / 2 ** 40).toPrecision(2)} TiB` : 'more than 1000 TiB';
}

/**
 * Refuse a job whose estimate exceeds COST_LIMITS unless `force`: InputError at `where` (the flag or JSON
 * path of the size that drives it), stating the estimate and naming --force.
 */
export function checkCost(estimate: CostEstimate, force: boolean, where: string): void {
  if (force) return;
  const slow = estimate.seconds > COST_LIMITS.seconds;
  const big = estimate.bytes > COST_LIMITS.bytes;
  if (!slow && !big) return;
  const over = [
    slow ? `~${formatSeconds(estimate.seconds)} (limit 1 h)` : '',
    big ? `~${formatBytes(estimate.bytes)} of memory (limit 8 GiB)` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  throw new InputError(
    where,
    `${estimate.what} is estimated to need ${over}; pass --force to run it anyway (estimates: src/runtime/cost.ts)`,
  );
}
