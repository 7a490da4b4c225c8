import { type TrajectoryDeviation, trajectoryDeviation } from '../../compare/deviation.js';
import { type MatchedComparison, matchedComparison } from '../../compare/matching.js';
import type { Trajectory } from '../../model/trajectory.js';
import { type ClassifyContext, type EndClass, classifyEndState } from '../../landscape/classify.js';
import {
  type BackendInfo,
  type SeedStatus,
  type TrainConfig,
  type TrainInput,
  resolveTrainConfig,
  trainEnsemble,
} from '../../network/index.js';
import { makeFlow } from '../../theory/config.js';
import type { Flow } from '../../theory/flow.js';
import { type Overlaps, identity } from '../../model/overlaps.js';
import { validateOverlaps } from '../../theory/overlaps.js';
import { type SolveStatus, maxAbs, solve, trajectoryFromSolve } from '../../theory/solvers/solve.js';
import type { NetworkTheoryConfig, ResolvedRun } from './schema.js';

/** One unit of work: one run of the scenario at one input dimension, all its seeds as one ensemble. */
export interface Job {
  runIndex: number;
  d: number;
}

/**
 * Class of an end state (src/landscape/classify.ts with the scenario's thresholds, docs/theory.md §13):
 * global by the loss, not-converged when the flow's max|F| there is above classification.convergedRhs,
 * else spurious with its k1 — except a k1 = 0 state of a stochastic run (noise-floor) or of a sphere /
 * Stiefel run at K > M (constrained-optimum), see endContext. No Jacobian spectrum is computed, so
 * "saddle" is not assigned: a run that converges exactly onto a saddle is not generic. A non-finite
 * state is not-converged with k1 null.
 */
export interface EndClassification {
  class: EndClass;
  k1: number | null;
  /** max |F| of the seed's flow at the end state. */
  maxRhs: number;
}

/** Everything the comparisons need about one seed. */
export interface SeedRecord {
  seed: number;
  status: SeedStatus;
  network: Trajectory;
  /** The ODE from this seed's own initial overlaps (its finite-d T included), saved at the network's times. */
  theory: Trajectory;
  theoryStatus: SolveStatus;
  /**
   * The d → ∞ reference: the same initial Q, R (and a) with T = I exactly. `same-as-theory` when the
   * seed's T is already I (orthonormal teacher, to float32 round-off), `unrealisable` when replacing T by
   * I leaves no weights with these overlaps (joint Gram matrix not PSD), `disabled` by the scenario.
   */
  reference: Trajectory | null;
  referenceKind: 'separate' | 'same-as-theory' | 'unrealisable' | 'disabled';
  deviation: TrajectoryDeviation;
  /**
   * The same comparison after the best relabelling of the network's student units against the theory
   * (src/compare/matching.ts: permutation, label-switch flag, matched deviation; = deviation when the
   * seed is not label-switched).
   */
  matched: MatchedComparison;
  /** End-state classes of the network and of the same-init theory, at their last common recorded time. */
  endNetwork: EndClassification;
  endTheory: EndClassification;
}

export interface JobResult {
  job: Job;
  runId: string;
  backend: BackendInfo;
  totalSteps: number;
  trainSeconds: number;
  theorySeconds: number;
  seeds: SeedRecord[];
}

/**
 * Teacher overlaps this close to I make the T = I reference a copy of the same-init theory run: an
 * orthonormal teacher stored in float32 has T = I up to ~1e-7 (relative float32 round-off), a Gaussian
 * teacher deviates by O(1/√d) ≥ 1e-3 for any practical d.
 */
const IDENTITY_TEACHER_TOLERANCE = 1e-6;

/** JSON path of a network configuration field in the scenario, for InputErrors from resolveTrainConfig. */
function scenarioPath(runIndex: number, dIndex: number): (key: keyof TrainConfig) => string {
  return (key) => {
    if (key === 'K' || key === 'M' || key === 'activation' || key === 'alpha' || key === 'teacher')
      return `model.${key}`;
    if (key === 'd' || key === 'constraint') return `runs[${runIndex}].d[${dIndex}]`;
    if (key === 'gradient' || key === 'layers') return `runs[${runIndex}].optimizer`;
    return `runs[${runIndex}].${key}`;
  };
}

/** The network engine's configuration of one job (validated; InputError names the scenario's JSON path). */
function trainConfigFor(spec: NetworkTheoryConfig, job: Job): TrainConfig {
  const run = spec.runs[job.runIndex];
  const { K, M, activation, alpha, teacher } = spec.model;
  const online = run.composition.gradient === 'online';
  const input: TrainInput = {
    optimizer: run.flow,
    ...run.composition,
    activation,
    alpha,
    K,
    M,
    d: job.d,
    lr: run.lr,
    ...(run.composition.layers === 'both' ? { lrReadout: run.lrReadout } : {}),
    tMax: run.tMax,
    ...(online ? { batch: run.batch } : { dt: run.dt }),
    ...(run.samples !== undefined ? { samples: run.samples } : {}),
    ...(run.labelNoise !== undefined ? { labelNoise: run.labelNoise } : {}),
    seeds: run.seeds,
    teacher,
    initScale: run.initScale,
    backend: run.backend,
    record: run.record,
  };
  return resolveTrainConfig(input, scenarioPath(job.runIndex, run.d.indexOf(job.d)));
}

/** Validate every job's network configuration before anything runs (nothing is written on bad input). */
export function validateJobs(spec: NetworkTheoryConfig): Job[] {
  const jobs = spec.runs.flatMap((run, runIndex) => run.d.map((d) => ({ runIndex, d })));
  for (const job of jobs) trainConfigFor(spec, job);
  return jobs;
}

/** Relative cost of a job, for scheduling the biggest first (steps × seeds × d per step). */
export function jobCost(spec: NetworkTheoryConfig, job: Job): number {
  const run = spec.runs[job.runIndex];
  const steps = run.composition.gradient === 'online' ? run.tMax * job.d : run.tMax / run.dt;
  return steps * run.seeds.length * job.d * (run.composition.gradient === 'online' ? run.batch : 1);
}

function flowFor(spec: NetworkTheoryConfig, run: ResolvedRun, init: Overlaps): Flow {
  return makeFlow(
    spec.model,
    { name: run.flow, lr: run.lr, lrReadout: run.lrReadout, batch: run.batch, labelNoise: run.labelNoise ?? 0 },
    init,
  );
}

/**
 * What classifyEndState is told about a run's end states. stochastic: an online-SGD network always (its
 * state fluctuates at finite d), and its sgd flow when it has label noise — then the flow's rest point
 * near the global minimum has L > 0 (the η²σ²J2 term, docs/theory.md §4.2); without label noise the
 * flow's global minimum is at L = 0 and a k1 = 0 rest point above it is a real fixed point (spurious).
 * constrained: the students are held on the sphere / Stiefel manifold (ngd, ongd; classify.ts applies
 * it at K > M only).
 */
export function endContext(run: ResolvedRun, source: 'network' | 'theory'): ClassifyContext {
  const online = run.composition.gradient === 'online';
  return {
    stochastic: online && (source === 'network' || (run.labelNoise ?? 0) > 0),
    constrained: run.composition.constraint !== 'none',
  };
}

function classifyEnd(
  flow: Flow,
  tr: Trajectory,
  index: number,
  thresholds: NetworkTheoryConfig['classification'],
  context: ClassifyContext,
): EndClassification {
  const x = tr.states[index];
  const loss = tr.loss[index];
  if (!Number.isFinite(loss) || !x.every(Number.isFinite)) return { class: 'not-converged', k1: null, maxRhs: NaN };
  const dx = new Float64Array(x.length);
  flow.rhs(x, dx);
  const maxRhs = maxAbs(dx);
  const c = classifyEndState({ overlaps: flow.unpack(x), loss, maxRhs }, thresholds, context);
  return { class: c.class, k1: c.k1, maxRhs };
}

function theoryRun(
  spec: NetworkTheoryConfig,
  run: ResolvedRun,
  init: Overlaps,
  times: number[],
  seed: number,
  d: number,
) {
  const flow = flowFor(spec, run, init);
  const tMax = times[times.length - 1];
  const result = solve(flow, flow.pack(init), {
    method: run.theoryMethod,
    tMax,
    saveTimes: times,
    ...(run.theoryMethod === 'dopri5' ? {} : { dt: run.dt }),
    rtol: spec.theory.rtol,
    atol: spec.theory.atol,
  });
  return { trajectory: trajectoryFromSolve(flow, result, { seed, d }), status: result.status, flow };
}

function isRealisable(o: Overlaps): boolean {
  try {
    validateOverlaps(o);
    return true;
  } catch {
    return false;
  }
}

function isIdentity(T: Float64Array, M: number): boolean {
  const I = identity(M);
  return T.every((v, i) => Math.abs(v - I[i]) <= IDENTITY_TEACHER_TOLERANCE);
}

/**
 * Train one ensemble, then integrate the theory per seed from the seed's own initial overlaps
 * (architecture.md: `fixed` = that seed's initial Overlaps, its finite-d T included), saved at the
 * network's recorded times so the deviations are compared time by time.
 */
export async function executeJob(
  spec: NetworkTheoryConfig,
  job: Job,
  onProgress?: (fraction: number) => void,
): Promise<JobResult> {
  const run = spec.runs[job.runIndex];
  const config = trainConfigFor(spec, job);
  const ensemble = await trainEnsemble(
    config,
    onProgress ? { onProgress: (p) => onProgress(p.step / p.totalSteps) } : {},
  );
  const started = performance.now();
  const seeds = ensemble.seeds.map((s): SeedRecord => {
    const times = s.trajectory.times;
    if (times.length < 2)
      throw new Error(
        `run ${run.id}, d ${job.d}, seed ${s.seed}: the network recorded ${times.length} time(s); it diverged at once`,
      );
    const theory = theoryRun(spec, run, s.initial, times, s.seed, job.d);
    let reference: Trajectory | null = null;
    let referenceKind: SeedRecord['referenceKind'] = 'disabled';
    if (spec.theory.reference) {
      const ideal: Overlaps = { ...s.initial, T: identity(s.initial.M) };
      if (isIdentity(s.initial.T, s.initial.M)) referenceKind = 'same-as-theory';
      else if (!isRealisable(ideal)) referenceKind = 'unrealisable';
      else {
        referenceKind = 'separate';
        reference = theoryRun(spec, run, ideal, times, s.seed, job.d).trajectory;
      }
    }
    const last = Math.min(s.trajectory.times.length, theory.trajectory.times.length) - 1;
    const deviation = trajectoryDeviation(s.trajectory, theory.trajectory, spec.comparison.thresholds);
    return {
      seed: s.seed,
      status: s.status,
      network: s.trajectory,
      theory: theory.trajectory,
      theoryStatus: theory.status,
      reference,
      referenceKind,
      deviation,
      matched: matchedComparison(s.trajectory, theory.trajectory, spec.comparison.thresholds, deviation),
      endNetwork: classifyEnd(theory.flow, s.trajectory, last, spec.classification, endContext(run, 'network')),
      endTheory: classifyEnd(theory.flow, theory.trajectory, last, spec.classification, endContext(run, 'theory')),
    };
  });
  return {
    job,
    runId: run.id,
    backend: ensemble.backend,
    totalSteps: ensemble.totalSteps,
    trainSeconds: ensemble.wallSeconds,
    theorySeconds: (performance.now() - started) / 1000,
    seeds,
  };
}
