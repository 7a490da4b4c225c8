import { mean } from '../../compare/stats.js';
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
  maxQ: number;
  maxR: number;
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

/** Per (run, d): worst network-vs-theory deviations and the final loss (mean ± sd) against its prediction. */
export function keyFigures(run: RunResult): KeyFigureRow[] {
  return run.jobs.map((job) => {
    const row = run.broadening.rows.find((r) => r.d === job.job.d);
    const devs = job.seeds.map((s) => s.deviation.max);
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
  'max |ΔQ|',
  'max |ΔR|',
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
    r.finalLoss,
    fmt(r.predicted),
    r.classesNetwork,
    r.classesTheory,
  ];
}

export const FIT_HEADER = ['run', 'measure', 'slope ± SE', 'method', 'points'];

/** Fits of runs with at least two values of d. */
export function fitCells(runs: RunResult[]): (string | number)[][] {
  return runs.flatMap((r) =>
    r.broadening.fits.flatMap((f) =>
      f.fit ? [[r.run.id, f.label, `${fmt(f.fit.slope)} ± ${fmt(f.fit.slopeSE, 2)}`, f.fit.method, f.fit.n]] : [],
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
