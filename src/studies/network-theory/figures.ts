import type { BroadeningFitResult } from '../../compare/broadening.js';
import { mean } from '../../compare/stats.js';
import { THRESHOLDS } from '../../model/config.js';
import { fmt } from '../../report/format.js';
import type { RunResult } from './execute.js';
import type { EndClassification } from './job.js';

export interface KeyFigureRow {
  run: string;
  optimizer: string;
  d: number;
  seeds: number;
  diverged: number;
  maxLoss: number;
  /** Worst overlap deviations after each seed's unit relabelling (SeedRecord.matched, docs/theory.md §16). */
  maxQ: number;
  maxR: number;
  /** Worst |ΔR| as labelled (before relabelling), and how many seeds were label-switched. */
  maxRRaw: number;
  labelSwitched: number;
  finalLoss: string;
  predicted: number;
  classesNetwork: string;
  classesTheory: string;
}

/** "global 3, spurious k1=1: 1, not-converged 2": end-state classes of a set of seeds, by class and k1. */
function classCounts(ends: EndClassification[]): string {
  const counts = new Map<string, number>();
  for (const e of ends) {
    const key = e.class === 'spurious' || e.class === 'saddle' ? `${e.class} k1=${e.k1}` : e.class;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, n]) => `${key}: ${n}`)
    .join(', ');
}

function worst(values: (number | null)[]): number {
  return values.reduce<number>((m, v) => (v === null ? m : !(v <= m) ? v : m), 0);
}

/**
 * Per (run, d): worst network-vs-theory deviations — matched, i.e. after each seed's unit relabelling
 * (docs/theory.md §16), with the as-labelled |ΔR| and the label-switched count beside them — and the final
 * loss (mean ± sd) against its prediction.
 */
export function keyFigures(run: RunResult): KeyFigureRow[] {
  return run.jobs.map((job) => {
    const row = run.broadening.rows.find((r) => r.d === job.job.d);
    const devs = job.seeds.map((s) => s.matched.deviation.max);
    return {
      run: run.run.id,
      optimizer:
        run.run.preset ??
        `${run.run.composition.gradient}/${run.run.composition.constraint}/${run.run.composition.layers}`,
      d: job.job.d,
      seeds: job.seeds.length,
      diverged: row?.diverged ?? 0,
      maxLoss: worst(devs.map((m) => m.loss)),
      maxQ: worst(devs.map((m) => m.Q)),
      maxR: worst(devs.map((m) => m.R)),
      maxRRaw: worst(job.seeds.map((s) => s.deviation.max.R)),
      labelSwitched: job.seeds.filter((s) => s.matched.labelSwitched).length,
      finalLoss: `${fmt(row?.finalLossMean)} ± ${fmt(row?.finalLossSd, 2)}`,
      predicted: row?.predictedLossMean ?? NaN,
      classesNetwork: classCounts(job.seeds.map((s) => s.endNetwork)),
      classesTheory: classCounts(job.seeds.map((s) => s.endTheory)),
    };
  });
}

export const KEY_FIGURE_HEADER = [
  'run',
  'optimizer',
  'd',
  'seeds',
  'diverged',
  'max |Δloss|',
  'max |ΔQ| (matched)',
  'max |ΔR| (matched)',
  'max |ΔR| (as labelled)',
  'label-switched',
  'final loss (mean ± sd)',
  'predicted (mean)',
  'end states: network',
  'end states: theory',
];

export function keyFigureCells(r: KeyFigureRow): (string | number)[] {
  return [
    r.run,
    r.optimizer,
    r.d,
    r.seeds,
    r.diverged,
    fmt(r.maxLoss),
    fmt(r.maxQ),
    fmt(r.maxR),
    fmt(r.maxRRaw),
    r.labelSwitched,
    r.finalLoss,
    fmt(r.predicted),
    r.classesNetwork,
    r.classesTheory,
  ];
}

/**
 * Deviations of a network from an exact map of its own steps at or below this are float32 round-off.
 * It is 3× the largest tolerance the shipped scenarios set for exact-map runs (3e-4, gd2l max|ΔQ| in
 * scenarios/optimizers.json) and 18× the largest deviation those runs show (5.6e-5); a wrong map or
 * a missing term shows above it. (Online SGD's O(1/√d) deviations exceed it for any d < 10^6.)
 */
export const ROUND_OFF_BOUND = 1e-3;

/** Measures of the network against the same-init theory (the exact map, in an exact-map run). */
const VERSUS_THEORY = new Set(['trajectoryLossDeviationMean', 'trajectoryQDeviationMean']);
/** Measures against the d → ∞ prediction: the exact map too unless a separate T = I reference was run. */
const VERSUS_PREDICTION = new Set(['lossDeviationRms', 'finalQDeviationMean']);

/**
 * The theory of a run is the exact discrete map of its network's steps: population gradients (any
 * constraint, one or two layers) compared with `ode --method map` (docs/theory.md §11, §16). Network
 * and theory then differ only by float32 round-off, at every d.
 */
export function exactMapRun(r: RunResult): boolean {
  return r.run.composition.gradient === 'population' && r.run.theoryMethod === 'map';
}

/**
 * A fitted slope that is round-off, not a finding (docs/theory.md §11, §16). Only in an exact-map run,
 * where the network has no finite-d effect to measure:
 * - a deviation from the exact map (vs the same-init theory; vs the prediction when no separate
 *   T = I reference was run) with every value ≤ ROUND_OFF_BOUND;
 * - the sd of the final loss across seeds with every value below THRESHOLDS.zeroLoss (1e-9: losses
 *   that small are 0, §7.4), i.e. seeds converged to the same fixed point.
 * Anything above these bounds is left unmarked: it would be a discrepancy worth reading.
 */
export function roundOffFit(r: RunResult, f: BroadeningFitResult): boolean {
  return roundOffReading(r, f) !== null;
}

/** How a round-off fit is marked in tables, figure legends and captions. */
export const ROUND_OFF_MARK = 'round-off (not a finding)';
/** The rule in one clause, for figure captions. */
export const ROUND_OFF_RULE = `an exact-map run with every deviation ≤ ${ROUND_OFF_BOUND} or every final-loss sd < ${THRESHOLDS.zeroLoss} (float32 round-off, docs/theory.md §11)`;

/** The table's reading of a round-off fit, with the bound it met (roundOffFit); null for any other fit. */
export function roundOffReading(r: RunResult, f: BroadeningFitResult): string | null {
  if (!exactMapRun(r)) return null;
  const values = f.points.map((p) => p.y).filter(Number.isFinite);
  if (values.length === 0) return null;
  const noReference = r.jobs.every((job) => job.seeds.every((s) => s.reference === null));
  if (VERSUS_THEORY.has(f.key) || (VERSUS_PREDICTION.has(f.key) && noReference)) {
    return values.every((v) => Math.abs(v) <= ROUND_OFF_BOUND)
      ? `${ROUND_OFF_MARK}: every value ≤ ${ROUND_OFF_BOUND} against the exact map`
      : null;
  }
  if (f.key === 'finalLossSd')
    return values.every((v) => Math.abs(v) < THRESHOLDS.zeroLoss)
      ? `${ROUND_OFF_MARK}: every sd < ${THRESHOLDS.zeroLoss} (losses that are 0)`
      : null;
  return null;
}

export const FIT_HEADER = ['run', 'measure', 'slope ± SE', 'method', 'points', 'reading'];

/** Fits of runs with at least two values of d; fits to round-off (roundOffFit) say so, with the bound they met, in the last column. */
export function fitCells(runs: RunResult[]): (string | number)[][] {
  return runs.flatMap((r) =>
    r.broadening.fits.flatMap((f) =>
      f.fit
        ? [
            [
              r.run.id,
              f.label,
              `${fmt(f.fit.slope)} ± ${fmt(f.fit.slopeSE, 2)}`,
              f.fit.method,
              f.fit.n,
              roundOffReading(r, f) ?? '',
            ],
          ]
        : [],
    ),
  );
}

/** One clause on how the runs went, for the page subtitle and the summary. */
export function runsHeadline(runs: RunResult[]): string {
  const seeds = runs.reduce((n, r) => n + r.outcomes.length, 0);
  const diverged = runs.reduce((n, r) => n + r.outcomes.filter((o) => !o.finite).length, 0);
  const meanTrain = mean(runs.flatMap((r) => r.jobs.map((j) => j.trainSeconds)));
  return `${runs.length} run(s), ${seeds} network seeds (${diverged} diverged, mean ${meanTrain.toFixed(1)} s of training per ensemble)`;
}
