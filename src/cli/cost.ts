import type { TrainConfig } from '../network/config.js';
import { totalSteps } from '../network/config.js';
import { parseRecordSpec } from '../network/record.js';
import type { StatsConfig } from '../landscape/stats/config.js';
import type { CensusConfig } from '../studies/census/config.js';
import { DENSE_STABILITY_MAX_SIZE } from '../landscape/fixed-point-stability.js';
import type { Scenario } from '../studies/scenario/resolve.js';
import {
  type CostEstimate,
  estimateOde,
  initSeconds,
  jacobianBytes,
  krylovBytes,
  lanes,
  networkCost,
  newtonSeconds,
  odeEvaluations,
  rhsSeconds,
  savedBytes,
  spectrumSeconds,
  stateSize,
  statsRunEvaluations,
} from '../runtime/cost.js';

/**
 * The cost estimates of each command (model and limits: src/runtime/cost.ts), checked after the flags are
 * validated and before the output directory is touched.
 */

/** Recorded rows of a network run: log:N → ≤ N + 1, every:k → steps/k + 1. */
function recordRows(record: string, steps: number): number {
  const spec = parseRecordSpec(record);
  return spec.kind === 'log' ? Math.min(spec.count + 1, steps + 1) : Math.floor(steps / spec.interval) + 1;
}

export function estimateTrain(config: TrainConfig, workers: number): CostEstimate {
  const steps = totalSteps(config);
  const { seconds, bytes } = networkCost({
    K: config.K,
    M: config.M,
    d: config.d,
    seeds: config.seeds.length,
    steps,
    gradient: config.gradient,
    batch: config.batch,
    samples: config.samples,
    records: recordRows(config.record, steps),
    readouts: config.layers === 'both',
    lanes: lanes(workers),
  });
  return {
    seconds,
    bytes,
    what: `train at K = ${config.K}, M = ${config.M}, d = ${config.d} (${config.seeds.length} seed${config.seeds.length === 1 ? '' : 's'} × ${steps} steps)`,
  };
}

/**
 * One stats initialisation (the limit applies per run: the whole table is resumable and shardable, and its
 * progress bar shows the ETA): random init at initD, the measured right-hand-side equivalents of a
 * default run (statsRunEvaluations), plus the Newton finish and the dense spectrum when asked for. Dense
 * n×n matrices are held only by those two; the default (flow finish, Krylov check) holds a Krylov basis.
 */
export function estimateStatsRun(config: StatsConfig, workers: number): CostEstimate {
  const { K, M } = config;
  let seconds = initSeconds(K, M, config.initD) + statsRunEvaluations(K) * rhsSeconds(K, M);
  if (config.finish === 'newton') seconds += newtonSeconds(K, M);
  if (config.stability === 'dense') seconds += spectrumSeconds(K, M);
  const dense = config.finish === 'newton' || config.stability === 'dense';
  const matrices = dense ? jacobianBytes(K, M) : krylovBytes(K, M);
  const bytes = lanes(workers) * (matrices + 8 * (K + M) * config.initD);
  return { seconds, bytes, what: `one stats initialisation at K = ${K}, M = ${M}` };
}

/**
 * Roots per k1 family and seconds per P³ of a dense symmetric eigendecomposition (ml-matrix): K = M = 8
 * has 54 distinct points over 9 families (src/landscape/catalogue.ts), and P = 400 took 0.37 s
 * (docs/hessian.md "Timing"), i.e. ~6 ns·P³.
 */
const CENSUS_ROOTS_PER_FAMILY = 6;
const HESSIAN_EIGEN_NS = 6;

/**
 * One point's stability in a census: the dense spectrum, or the Krylov check (≈ 1e3 right-hand-side
 * equivalents: 10–40 ms at K = M = 17, 1.4 s at 100, reports/bench/stats.md) where the census takes it.
 */
function pointStabilitySeconds(K: number, M: number, config: CensusConfig): number {
  const m = config.catalogueStability;
  const krylov = m === 'krylov' || (m === 'auto' && stateSize(K, M) > DENSE_STABILITY_MAX_SIZE);
  return krylov ? 1e3 * rhsSeconds(K, M) : spectrumSeconds(K, M);
}

/**
 * A census: per shape, the initialisations (as `stats`, spread over the workers), the catalogue (one
 * stability analysis per root) and a Hessian per point at d ≤ K + M.
 */
export function estimateCensus(config: CensusConfig, workers: number): CostEstimate {
  let seconds = 0;
  let bytes = 0;
  for (const { K, M, stats } of config.shapes) {
    const run = estimateStatsRun(stats, workers);
    const points = CENSUS_ROOTS_PER_FAMILY * (M + 1);
    const P = K * (K + M);
    seconds += (stats.inits * run.seconds) / lanes(workers) + points * pointStabilitySeconds(K, M, config);
    if (config.hessian) seconds += points * HESSIAN_EIGEN_NS * 1e-9 * P ** 3;
    // End states held until the report: inits × state size; a Hessian is 2 P × P matrices.
    bytes = Math.max(bytes, run.bytes + 8 * stats.inits * stateSize(K, M) + 16 * P * P);
  }
  const last = config.shapes[config.shapes.length - 1];
  return { seconds, bytes, what: `census of ${config.shapes.length} shape(s) up to K = ${last.K}, M = ${last.M}` };
}

export interface FixedPointCostInput {
  K: number;
  M: number;
  /** Number of k1 families (ansatz), or null for --from (one full Newton solve). */
  families: number | null;
  perturb: { sigmas: number[]; d: number; tRelax: number; repetitions: number } | null;
}

export function estimateFixedPoints(c: FixedPointCostInput): CostEstimate {
  const { K, M } = c;
  const points = c.families ?? 1;
  let seconds = c.families === null ? newtonSeconds(K, M) + 2 * spectrumSeconds(K, M) : points * spectrumSeconds(K, M);
  if (c.perturb) {
    // Each point and its K = M + 1 embedding: sigmas × repetitions relaxations over tRelax, from overlaps at d.
    const relax = (k: number) =>
      c.perturb!.sigmas.length *
      c.perturb!.repetitions *
      (initSeconds(k, M, c.perturb!.d) + odeEvaluations(k, c.perturb!.tRelax, 'dopri5', null) * rhsSeconds(k, M));
    seconds += points * (relax(K) + relax(K + 1));
  }
  return {
    seconds,
    bytes: jacobianBytes(K + (c.perturb ? 1 : 0), M),
    what: `fixed-points at K = ${K}, M = ${M} (${points} point${points === 1 ? '' : 's'})`,
  };
}

/** A whole scenario: every (run, d) network ensemble and its theory (one ODE per seed), plus the perturbation study. */
export function estimateScenario(scenario: Scenario, workers: number): CostEstimate {
  const { K, M } = scenario.model;
  let seconds = 0;
  let bytes = 0;
  for (const run of scenario.runs) {
    const readouts = run.composition.layers === 'both';
    for (const d of run.d) {
      const steps = run.composition.gradient === 'online' ? Math.round(run.tMax * d) : Math.round(run.tMax / run.dt);
      const records = recordRows(run.record, steps);
      const net = networkCost({
        K,
        M,
        d,
        seeds: run.seeds.length,
        steps,
        gradient: run.composition.gradient,
        batch: run.batch,
        samples: run.samples ?? null,
        records,
        readouts,
        lanes: 1,
      });
      const theory = estimateOde({
        K,
        M,
        tMax: run.tMax,
        method: run.theoryMethod,
        dt: run.dt,
        initD: null,
        saveRows: records,
        readouts,
      });
      seconds += net.seconds + run.seeds.length * theory.seconds;
      // Every job's results are held until the report is written.
      bytes += net.bytes + run.seeds.length * 2 * savedBytes(records, K, M, readouts);
    }
  }
  seconds /= lanes(workers);
  const p = scenario.perturbation;
  if (p) {
    const fp = estimateFixedPoints({
      K,
      M,
      families: p.k1.length,
      perturb: { sigmas: p.sigmas, d: p.d, tRelax: p.tRelax, repetitions: p.repetitions },
    });
    seconds += fp.seconds;
    bytes = Math.max(bytes, fp.bytes);
  }
  return { seconds, bytes, what: `scenario ${scenario.name} (K = ${K}, M = ${M})` };
}
