import type { BroadeningRow, SeedOutcome } from '../../compare/broadening.js';
import type { Trajectory } from '../../model/trajectory.js';
import { type KeyColumn, trajectoryCsvHeader, trajectoryCsvRows } from '../../io/trajectory-csv.js';
import type { SeedRecord } from './job.js';
import type { RunResult } from './execute.js';
import { StateLayout } from '../../model/state-layout.js';
import type { CsvCell } from '../../io/csv.js';

/**
 * A first-layer trajectory in the two-layer layout (a_i columns appended, constant = the fixed readouts),
 * so runs with and without trained readouts share one trajectories.csv with one column set.
 */
function withReadoutColumns(tr: Trajectory): Trajectory {
  if (tr.layout.withReadouts) return tr;
  const layout = new StateLayout(tr.layout.K, tr.layout.M, true);
  const states = tr.states.map((x) => {
    const y = new Float64Array(layout.dim);
    y.set(x);
    y.set(tr.fixed.a, layout.aOffset);
    return y;
  });
  return { ...tr, layout, states };
}

interface Tagged {
  run: string;
  trajectory: Trajectory;
  label: string;
}

/**
 * trajectories.csv in long format (THE trajectory writer of src/io/trajectory-csv.ts) with key columns
 * run, d, seed, source (network | theory | reference) and step (network rows only).
 */
export function trajectoriesCsv(runs: RunResult[]): string {
  const tagged: Tagged[] = runs.flatMap((r) =>
    r.jobs.flatMap((job) =>
      job.seeds.flatMap((s) => [
        { run: r.run.id, trajectory: s.network, label: 'network' },
        { run: r.run.id, trajectory: s.theory, label: 'theory' },
        ...(s.reference ? [{ run: r.run.id, trajectory: s.reference, label: 'reference' }] : []),
      ]),
    ),
  );
  const anyReadouts = tagged.some((t) => t.trajectory.layout.withReadouts);
  const lifted = tagged.map((t) => ({
    ...t,
    trajectory: anyReadouts ? withReadoutColumns(t.trajectory) : t.trajectory,
  }));
  const byTrajectory = new Map(lifted.map((t) => [t.trajectory, t]));
  const keys: KeyColumn[] = [
    { name: 'run', value: (tr) => byTrajectory.get(tr)?.run ?? '' },
    { name: 'd', value: (tr) => tr.d ?? '' },
    { name: 'seed', value: (tr) => tr.seed ?? '' },
    { name: 'source', value: (tr) => byTrajectory.get(tr)?.label ?? tr.source },
    { name: 'step', value: (tr, i) => tr.steps?.[i] ?? '' },
  ];
  const trajectories = lifted.map((t) => t.trajectory);
  return trajectoryCsvHeader(trajectories[0], keys) + trajectoryCsvRows(trajectories, keys);
}

export const COMPARISON_COLUMNS = [
  'run',
  'optimizer',
  'd',
  'seed',
  'status',
  'theory_status',
  'reference',
  't_end',
  'max_dloss',
  'max_dQ',
  'max_dR',
  'max_da',
  'first_exceed_loss',
  'first_exceed_Q',
  'first_exceed_R',
  'first_exceed_a',
  'final_loss_network',
  'final_loss_theory',
  'final_loss_prediction',
  'final_dQ_prediction',
  'final_dR_prediction',
  'class_network',
  'k1_network',
  'max_rhs_network',
  'class_theory',
  'k1_theory',
  'max_rhs_theory',
  // Appended (issue 9 item 8; columns are only ever added): the deviations after relabelling the
  // network's student units (src/compare/matching.ts), equal to the raw ones unless label_switched.
  'max_dQ_matched',
  'max_dR_matched',
  'max_da_matched',
  'first_exceed_Q_matched',
  'first_exceed_R_matched',
  'first_exceed_a_matched',
  'final_dQ_prediction_matched',
  'final_dR_prediction_matched',
  'label_switched',
  'unit_permutation',
];

type ComparisonOutcome = Pick<
  SeedOutcome,
  'predictedFinalLoss' | 'finalQDeviation' | 'finalRDeviation' | 'finalQDeviationRaw' | 'finalRDeviationRaw'
>;

/**
 * One comparison.csv row. The raw columns compare the units as labelled; the `_matched` ones after the
 * seed's relabelling against its theory (final_d*_prediction_matched: against the prediction).
 * label_switched: the matching rule of matching.ts held; unit_permutation: the network units compared
 * with theory units 1..K, 1-based and ';'-separated (identity unless label_switched).
 */
function comparisonRow(run: string, flow: string, d: number, s: SeedRecord, outcome: ComparisonOutcome): CsvCell[] {
  const dev = s.deviation;
  const matched = s.matched.deviation;
  return [
    run,
    flow,
    d,
    s.seed,
    s.status,
    s.theoryStatus,
    s.referenceKind,
    dev.tEnd,
    dev.max.loss,
    dev.max.Q,
    dev.max.R,
    dev.max.a,
    dev.firstExceed.loss,
    dev.firstExceed.Q,
    dev.firstExceed.R,
    dev.firstExceed.a,
    s.network.loss[dev.points - 1],
    s.theory.loss[dev.points - 1],
    outcome.predictedFinalLoss,
    outcome.finalQDeviationRaw,
    outcome.finalRDeviationRaw,
    s.endNetwork.class,
    s.endNetwork.k1,
    s.endNetwork.maxRhs,
    s.endTheory.class,
    s.endTheory.k1,
    s.endTheory.maxRhs,
    matched.max.Q,
    matched.max.R,
    matched.max.a,
    matched.firstExceed.Q,
    matched.firstExceed.R,
    matched.firstExceed.a,
    outcome.finalQDeviation,
    outcome.finalRDeviation,
    s.matched.labelSwitched,
    s.matched.permutation.map((k) => k + 1).join(';'),
  ];
}

/** comparison.csv: one row per (run, d, seed) with the network-vs-theory metrics. */
export function comparisonRows(runs: RunResult[]): CsvCell[][] {
  return runs.flatMap((r) =>
    r.jobs.flatMap((job) =>
      job.seeds.map((s) => {
        const outcome = r.outcomes.find((o) => o.d === job.job.d && o.seed === s.seed) as (typeof r.outcomes)[number];
        return comparisonRow(r.run.id, r.run.flow, job.job.d, s, outcome);
      }),
    ),
  );
}

export const BROADENING_COLUMNS: (keyof BroadeningRow)[] = [
  'd',
  'n',
  'diverged',
  'finalLossMean',
  'finalLossSd',
  'predictedLossMean',
  'lossDeviationMean',
  'lossDeviationRms',
  'finalQDeviationMean',
  'finalQDeviationSd',
  'finalRDeviationMean',
  'finalRDeviationSd',
  'trajectoryLossDeviationMean',
  'trajectoryQDeviationMean',
  'trajectoryRDeviationMean',
  'finalQDeviationRawMean',
  'finalQDeviationRawSd',
  'finalRDeviationRawMean',
  'finalRDeviationRawSd',
  'trajectoryQDeviationRawMean',
  'trajectoryRDeviationRawMean',
  'labelSwitched',
];

/**
 * broadening.csv: one row per (run, d). The overlap-deviation columns (finalQDeviation…,
 * trajectoryQDeviationMean, trajectoryRDeviationMean) are after unit matching (src/compare/broadening.ts);
 * the `…Raw…` columns appended at the end keep the as-labelled values, labelSwitched counts the
 * label-switched seeds.
 */
export function broadeningRows(runs: RunResult[]): CsvCell[][] {
  return runs.flatMap((r) => r.broadening.rows.map((row) => [r.run.id, ...BROADENING_COLUMNS.map((c) => row[c])]));
}

export const FIT_COLUMNS = ['run', 'measure', 'description', 'slope', 'slope_se', 'intercept', 'method', 'points'];

/**
 * broadening-fits.csv: the power-law fit of each spread measure against d, per run with ≥ 2 values of d.
 * Overlap measures are fitted after unit matching; the `…RawMean` measures (extra rows) as labelled.
 */
export function fitRows(runs: RunResult[]): CsvCell[][] {
  return runs.flatMap((r) =>
    r.broadening.fits
      .filter((f) => f.fit)
      .map((f) => [
        r.run.id,
        f.key,
        f.label,
        f.fit?.slope ?? null,
        f.fit?.slopeSE ?? null,
        f.fit?.intercept ?? null,
        f.fit?.method ?? null,
        f.fit?.n ?? null,
      ]),
  );
}
