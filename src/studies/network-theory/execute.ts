import { type Broadening, type SeedOutcome, broadening } from '../../compare/broadening.js';
import { maxAbsDifference } from '../../compare/deviation.js';
import { relabelEndState } from '../../compare/matching.js';
import { type Verdict, type Violation, checkTolerances, toleranceVerdicts } from '../../compare/tolerances.js';
import type { Trajectory } from '../../model/trajectory.js';
import { createProgress } from '../../runtime/progress.js';
import type { StudyContext } from '../study.js';
import { type JobResult, type SeedRecord, jobCost, validateJobs } from './job.js';
import { runJobs } from './pool.js';
import type { NetworkTheoryConfig, ResolvedRun } from './schema.js';

export interface RunResult {
  run: ResolvedRun;
  /** One per d, in the run's d order. */
  jobs: JobResult[];
  outcomes: SeedOutcome[];
  broadening: Broadening;
  verdicts: Verdict[];
  violations: Violation[];
}

export interface NetworkTheoryResult {
  /** One per run of the scenario, in its order. */
  runs: RunResult[];
}

/** The d → ∞ prediction of a seed: the T = I reference when it is a separate run, else the same-init theory. */
export function predictionOf(record: SeedRecord): Trajectory {
  return record.reference ?? record.theory;
}

/**
 * A seed's contribution to the broadening statistics, compared at the last common recorded time. The
 * overlap deviations are matched: the trajectory one after the seed's relabelling against its
 * same-init theory (record.matched), the final one after relabelling the end state against the
 * prediction (its own matching: the T = I reference may break the plateau symmetry differently); the
 * raw ones are kept next to them.
 */
function seedOutcome(d: number, record: SeedRecord): SeedOutcome {
  const net = record.network;
  const prediction = predictionOf(record);
  const last = Math.min(net.times.length, prediction.times.length) - 1;
  const L = net.layout;
  const finalLoss = net.loss[last];
  const x = net.states[last];
  const y = prediction.states[last];
  const relabelled = relabelEndState(x, y, L, net.fixed.a).state;
  return {
    d,
    seed: record.seed,
    finite: record.status !== 'diverged' && Number.isFinite(finalLoss),
    finalLoss,
    predictedFinalLoss: prediction.loss[last],
    finalQDeviation: maxAbsDifference(relabelled, y, 0, L.nQ),
    finalRDeviation: maxAbsDifference(relabelled, y, L.rOffset, L.aOffset),
    finalQDeviationRaw: maxAbsDifference(x, y, 0, L.nQ),
    finalRDeviationRaw: maxAbsDifference(x, y, L.rOffset, L.aOffset),
    trajectory: record.matched.deviation,
    trajectoryRaw: record.deviation,
    labelSwitched: record.matched.labelSwitched,
  };
}

function summariseRun(run: ResolvedRun, jobs: JobResult[]): RunResult {
  const outcomes = jobs.flatMap((job) => job.seeds.map((s) => seedOutcome(job.job.d, s)));
  const stats = broadening(outcomes);
  // Tolerances on Q, R and a deviations are checked on the matched deviations (schema.ts).
  const checks = outcomes.map((o) => ({ ...o, deviation: o.trajectory }));
  return {
    run,
    jobs,
    outcomes,
    broadening: stats,
    verdicts: toleranceVerdicts(run.id, run.tolerances, checks, stats),
    violations: checkTolerances(run.id, run.tolerances, checks, stats),
  };
}

/**
 * Every (run, d) ensemble with its theory runs (on worker threads when ctx.workers > 1), then the
 * comparisons, broadening fits and tolerance checks of each run. Writes nothing.
 */
export async function runNetworkTheory(config: NetworkTheoryConfig, ctx: StudyContext): Promise<NetworkTheoryResult> {
  const jobs = validateJobs(config);
  const workers = Math.max(1, ctx.workers);
  // Progress in units of job cost (training steps × seeds × d), so a long large-d ensemble moves the bar.
  const costs = jobs.map((job) => jobCost(config, job));
  const total = costs.reduce((a, b) => a + b, 0);
  const fractions = new Array<number>(jobs.length).fill(0);
  const finished = new Set<number>();
  const progress = !ctx.progress || jobs.length === 0 ? null : createProgress(config.name, total);
  const results = await runJobs(config, jobs, workers, (job, fraction, done) => {
    const i = jobs.indexOf(job);
    fractions[i] = fraction;
    if (done) finished.add(i);
    const work = fractions.reduce((s, f, j) => s + f * costs[j], 0);
    // Hold below 100% until every job, theory included, has finished.
    progress?.update(
      finished.size === jobs.length ? total : Math.min(work, 0.999 * total),
      `(${finished.size}/${jobs.length} ensembles)`,
    );
  });
  progress?.done();
  const runs = config.runs.map((run, runIndex) =>
    summariseRun(
      run,
      run.d.map((d) => results[jobs.findIndex((j) => j.runIndex === runIndex && j.d === d)]),
    ),
  );
  return { runs };
}
