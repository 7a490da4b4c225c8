import { permuteState } from '../../compare/matching.js';
import { permuteRows, permuteSymmetric, unitOrderByTeacher } from '../../compare/units.js';
import { unpackOverlaps } from '../../model/overlaps.js';
import type { Trajectory } from '../../model/trajectory.js';
import { fmt } from '../../report/format.js';
import type { ReportSection } from '../../report/html.js';
import { type LossLevel, finalLossHistogramPlot } from '../../report/histograms.js';
import {
  type DeviationSeries,
  type LossCurvePoint,
  type ReadoutCurvePoint,
  deviationVsDPlot,
  lossCurvesPlot,
  overlapHeatmapPlot,
  readoutCurvesPlot,
} from '../../report/plots.js';
import { type PlotSpec, renderPlot } from '../../report/vega.js';
import { type RunResult, predictionOf } from './execute.js';
import { ROUND_OFF_MARK, ROUND_OFF_RULE, roundOffFit } from './figures.js';

/** Loss plots show at most this many seeds per d: more lines only hide each other. */
const SEEDS_PER_D_IN_LOSS_PLOT = 6;
/**
 * Predicted final losses closer than this (relative, plus 1e-9 absolute) are drawn as one level: the
 * theory's fixed points are far apart (global 0, spurious minima at O(1e-2)), while seeds that are still
 * creeping towards the same level differ by less.
 */
const LEVEL_MERGE = 2e-2;
const MAX_LEVELS = 6;
/** Readout plots show fewer seeds: each seed draws K lines per source. */
const SEEDS_PER_D_IN_READOUT_PLOT = 2;

function curvePoints(tr: Trajectory, source: string, seed: number, d: number): LossCurvePoint[] {
  return tr.times.map((t, i) => ({ t, loss: tr.loss[i], source, seed, d }));
}

function lossPlot(r: RunResult): PlotSpec {
  const points = r.jobs.flatMap((job) =>
    job.seeds
      .slice(0, SEEDS_PER_D_IN_LOSS_PLOT)
      .flatMap((s) => [
        ...curvePoints(s.network, 'network', s.seed, job.job.d),
        ...curvePoints(s.theory, 'theory', s.seed, job.job.d),
        ...(s.reference ? curvePoints(s.reference, 'reference', s.seed, job.job.d) : []),
      ]),
  );
  const plot = lossCurvesPlot(`${r.run.id}-loss`, `${r.run.id}: loss vs t`, points);
  const shown = Math.min(SEEDS_PER_D_IN_LOSS_PLOT, r.run.seeds.length);
  return { ...plot, caption: `${plot.caption} ${shown} of ${r.run.seeds.length} seeds per d.` };
}

function readoutPoints(tr: Trajectory, source: string, seed: number, d: number): ReadoutCurvePoint[] {
  const { K } = tr.layout;
  return tr.times.flatMap((t, i) =>
    Array.from({ length: K }, (_, k) => ({ t, k, value: tr.states[i][tr.layout.a(k)], source, seed, d })),
  );
}

/** a_k(t) of network, theory (and reference) when the run trains the readouts (gd2l); null otherwise. */
function readoutPlot(r: RunResult): PlotSpec | null {
  if (!r.jobs.every((job) => job.seeds.every((s) => s.network.layout.withReadouts && s.theory.layout.withReadouts)))
    return null;
  const points = r.jobs.flatMap((job) =>
    job.seeds
      .slice(0, SEEDS_PER_D_IN_READOUT_PLOT)
      .flatMap((s) => [
        ...readoutPoints(s.network, 'network', s.seed, job.job.d),
        ...readoutPoints(s.theory, 'theory', s.seed, job.job.d),
        ...(s.reference?.layout.withReadouts ? readoutPoints(s.reference, 'reference', s.seed, job.job.d) : []),
      ]),
  );
  const plot = readoutCurvesPlot(`${r.run.id}-readouts`, `${r.run.id}: readouts a_k vs t`, points);
  const shown = Math.min(SEEDS_PER_D_IN_READOUT_PLOT, r.run.seeds.length);
  return { ...plot, caption: `${plot.caption} ${shown} of ${r.run.seeds.length} seeds per d.` };
}

/**
 * Final Q and R of the network and of the theory, for the first finite seed at the largest d. The network's
 * units are relabelled by the seed's matched permutation first (SeedRecord.matched, docs/theory.md §16), so
 * a label-switched seed is shown unit for unit against the theory; both are then ordered by teacher.
 */
export function overlapHeatmaps(r: RunResult): PlotSpec[] {
  const job = r.jobs[r.jobs.length - 1];
  const record = job.seeds.find((s) => s.status !== 'diverged') ?? job.seeds[0];
  const { K, M } = record.network.layout;
  const last = Math.min(record.network.times.length, record.theory.times.length) - 1;
  const t = record.network.times[last];
  const { permutation, labelSwitched } = record.matched;
  const network = permuteState(record.network.states[last], record.network.layout, permutation);
  const netFinal = unpackOverlaps(network, record.network.layout, record.network.fixed);
  const thFinal = unpackOverlaps(record.theory.states[last], record.theory.layout, record.theory.fixed);
  const order = unitOrderByTeacher(netFinal.R, K, M);
  const students = order.map((k) => `s${k + 1}`);
  const teachers = Array.from({ length: M }, (_, m) => `t${m + 1}`);
  const where = `seed ${record.seed}, d = ${job.job.d}, t = ${fmt(t)}`;
  const relabelled = labelSwitched
    ? ` Label-switched seed: the network's units shown as ${permutation.map((_, k) => `s${k + 1}`).join(', ')} are its units ${permutation.map((p) => p + 1).join(', ')} (unit matching, docs/theory.md §16).`
    : '';
  const caption = `Students ordered by their matched teacher (maximum Σ|R| matching of the network state); negative R on the diagonal marks an anti-aligned unit.${relabelled}`;
  const theoryCaption = 'The ODE from the same initial overlaps, same unit order.';
  return [
    overlapHeatmapPlot(
      `${r.run.id}-Q-network`,
      `Q, network (${where})`,
      caption,
      permuteSymmetric(netFinal.Q, order),
      students,
      students,
    ),
    overlapHeatmapPlot(
      `${r.run.id}-R-network`,
      `R, network (${where})`,
      caption,
      permuteRows(netFinal.R, M, order),
      students,
      teachers,
    ),
    overlapHeatmapPlot(
      `${r.run.id}-Q-theory`,
      `Q, theory (${where})`,
      theoryCaption,
      permuteSymmetric(thFinal.Q, order),
      students,
      students,
    ),
    overlapHeatmapPlot(
      `${r.run.id}-R-theory`,
      `R, theory (${where})`,
      theoryCaption,
      permuteRows(thFinal.R, M, order),
      students,
      teachers,
    ),
  ];
}

/** Distinct final-loss levels predicted by the theory (d → ∞, per seed), most frequent first. */
function predictedLevels(r: RunResult): LossLevel[] {
  const predictions = r.jobs
    .flatMap((job) => job.seeds)
    .map((s) => {
      const tr = predictionOf(s);
      return { loss: tr.loss[tr.loss.length - 1], end: s.endTheory };
    })
    .filter((p) => Number.isFinite(p.loss))
    .sort((a, b) => a.loss - b.loss);
  // Sorted, so each level is a run of consecutive values; `loss` is the level's first (smallest) member.
  const levels: { loss: number; count: number; sum: number; classes: Set<string> }[] = [];
  for (const { loss, end } of predictions) {
    const cls = end.class === 'spurious' ? `k1=${end.k1}` : end.class;
    const top = levels[levels.length - 1];
    if (top && Math.abs(loss - top.loss) <= LEVEL_MERGE * Math.max(Math.abs(loss), Math.abs(top.loss)) + 1e-9) {
      top.count++;
      top.sum += loss;
      top.classes.add(cls);
    } else levels.push({ loss, count: 1, sum: loss, classes: new Set([cls]) });
  }
  // Levels shared by a good number of seeds are the theory's fixed points (or where it stands at t_max);
  // seeds still on their way end in scattered single levels, which would only clutter the plot.
  const shared = levels.filter((l) => l.count >= Math.max(2, 0.05 * predictions.length));
  const shown = (shared.length > 0 ? shared : levels).sort((a, b) => b.count - a.count).slice(0, MAX_LEVELS);
  // Every level is labelled: the histogram stacks labels in rows so that they never overlap.
  return shown.map((l) => {
    const mean = l.sum / l.count;
    // Name the level by its end-state class when all its seeds share one (global, k1=1, ...).
    const name = l.classes.size === 1 && !l.classes.has('not-converged') ? [...l.classes][0] : fmt(mean, 3);
    return { loss: mean, label: `${name} (${l.count})` };
  });
}

function histogram(r: RunResult): PlotSpec {
  const groups = r.broadening.rows.map((row) => ({
    d: row.d,
    losses: r.outcomes.filter((o) => o.d === row.d && o.finite).map((o) => o.finalLoss),
  }));
  return finalLossHistogramPlot(
    `${r.run.id}-final-loss`,
    `${r.run.id}: final loss of the networks`,
    "Stacked by d. Dashed lines: the theory's predicted final-loss levels (d → ∞ ODE of each seed), labelled with the end-state class (when its seeds share one) and the number of seeds predicted there; levels shared by at least 5% of the seeds.",
    groups,
    predictedLevels(r),
  );
}

function deviationPlot(r: RunResult): PlotSpec {
  const keys = ['finalLossSd', 'lossDeviationRms', 'trajectoryQDeviationMean'];
  const series: DeviationSeries[] = r.broadening.fits
    .filter((f) => keys.includes(f.key))
    .map((f) => ({
      metric: f.label,
      points: f.points.map((p) => ({ d: p.x, value: p.y, lo: p.lo, hi: p.hi })),
      ...(f.fit ? { fit: { slope: f.fit.slope, slopeSE: f.fit.slopeSE, intercept: f.fit.intercept } } : {}),
      ...(roundOffFit(r, f) ? { muted: ROUND_OFF_MARK } : {}),
    }));
  const muted = series.some((s) => s.muted)
    ? ` Hollow points and dashed lines: ${ROUND_OFF_MARK}, by the rule ${ROUND_OFF_RULE}.`
    : '';
  return deviationVsDPlot(
    `${r.run.id}-broadening`,
    `${r.run.id}: spread and deviation vs d`,
    `Error bars: ±1 standard error of the log statistic. Lines: power-law fits (OLS on logs with ≥ 3 values of d, two-point slope with a propagated error otherwise).${muted}`,
    series,
  );
}

/** The section of one run: loss curves, readouts (when trained), final-loss histogram, end-state heat maps, deviation vs d. */
export async function runSection(r: RunResult): Promise<ReportSection> {
  const readouts = readoutPlot(r);
  const specs = [
    lossPlot(r),
    ...(readouts ? [readouts] : []),
    histogram(r),
    ...overlapHeatmaps(r),
    ...(r.jobs.length >= 2 ? [deviationPlot(r)] : []),
  ];
  const c = r.run.composition;
  return {
    heading: `Run ${r.run.id}`,
    paragraphs: [
      `Optimizer ${r.run.preset ?? 'composed'} (${c.gradient} gradient, constraint ${c.constraint}, ${c.layers} layer${c.layers === 'both' ? 's' : ''}); lr ${r.run.lr}` +
        `${c.gradient === 'online' ? `, batch ${r.run.batch}` : `, dt ${r.run.dt}`}; t_max ${r.run.tMax}; d ∈ {${r.run.d.join(', ')}}; ${r.run.seeds.length} seeds; ` +
        `theory: ${r.run.flow} flow, ${r.run.theoryMethod}; backend ${r.jobs[0].backend.active}.`,
    ],
    plots: await Promise.all(specs.map(renderPlot)),
  };
}
