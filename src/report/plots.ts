import type { TopLevelSpec } from 'vega-lite';
import type { PlotSpec } from './vega.js';

/**
 * Plot builders: plain data in, Vega-Lite spec out (rendered by ./vega.ts). Sizes are fixed so the page
 * layout and the browser test know what to expect.
 */

/** Losses at or below this are drawn at the floor: log axes cannot show 0, and |L| < 1e-9 is 0 anyway (docs/theory.md §7.4). */
const LOSS_FLOOR = 1e-10;

const WIDE = { width: 560, height: 340 };
const SQUARE = { width: 270, height: 250 };

const floorLoss = (loss: number) => Math.max(loss, LOSS_FLOOR);

/**
 * Tick values for a log axis over the positive finite values: powers of ten (every other one beyond
 * eight decades), with 2× and 5× added when the data span fewer than two decades (Vega's default log ticks label every integer multiple, which
 * clutters a small figure).
 */
export function logTicks(values: number[]): number[] {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...positive)) + 1e-12);
  const hi = Math.ceil(Math.log10(Math.max(...positive)) - 1e-12);
  const multiples = hi - lo < 2 ? [1, 2, 5] : [1];
  // Every other decade when there are many, so the labels do not crowd a small axis.
  const step = hi - lo > 8 ? 2 : 1;
  const ticks: number[] = [];
  for (let e = lo; e <= Math.max(hi, lo + 1); e += step)
    for (const m of multiples) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  return ticks;
}

export interface LossCurvePoint {
  t: number;
  loss: number;
  /** Curve family: network, theory (same initial overlaps) or reference (d → ∞, T = I). */
  source: string;
  seed: number;
  d: number;
}

/** Loss against time, log–log: colour = d, dash = source, one line per (source, seed, d). */
export function lossCurvesPlot(id: string, title: string, points: LossCurvePoint[]): PlotSpec {
  const values = points
    .filter((p) => p.t > 0 && Number.isFinite(p.loss))
    .map((p) => ({ t: p.t, loss: floorLoss(p.loss), source: p.source, d: p.d, line: `${p.source}/${p.seed}/${p.d}` }));
  const spec: TopLevelSpec = {
    data: { values },
    mark: { type: 'line', strokeWidth: 1.4, clip: true },
    encoding: {
      x: {
        field: 't',
        type: 'quantitative',
        scale: { type: 'log', nice: false },
        axis: { title: 't (log)', format: '~g', values: logTicks(values.map((v) => v.t)) },
      },
      y: {
        field: 'loss',
        type: 'quantitative',
        scale: { type: 'log' },
        axis: { title: 'population loss (log)', format: '.0e', values: logTicks(values.map((v) => v.loss)) },
      },
      color: { field: 'd', type: 'ordinal', scale: { scheme: 'viridis' }, legend: { title: 'd' } },
      strokeDash: {
        field: 'source',
        type: 'nominal',
        scale: {
          domain: ['network', 'theory', 'reference'],
          range: [
            [1, 0],
            [6, 3],
            [2, 2],
          ],
        },
        legend: { title: 'source' },
      },
      detail: { field: 'line', type: 'nominal' },
    },
  };
  return {
    id,
    title,
    caption: `Population loss of the real networks (solid) and of the mean-field ODE started from each seed's own initial overlaps (dashed); losses below ${LOSS_FLOOR} are drawn at ${LOSS_FLOOR}.`,
    ...WIDE,
    spec,
  };
}

/** Heat map of a K×cols overlap matrix with the values printed in the cells. */
export function overlapHeatmapPlot(
  id: string,
  title: string,
  caption: string,
  matrix: Float64Array,
  rowLabels: string[],
  colLabels: string[],
): PlotSpec {
  const cols = colLabels.length;
  let extent = 1;
  for (const v of matrix) extent = Math.max(extent, Math.abs(v));
  const values = rowLabels.flatMap((row, i) =>
    colLabels.map((col, j) => {
      const value = matrix[i * cols + j];
      return { row, col, value, dark: Math.abs(value) > 0.6 * extent };
    }),
  );
  const size = rowLabels.length <= 8 && cols <= 8 ? 11 : 8;
  const spec: TopLevelSpec = {
    data: { values },
    encoding: {
      x: { field: 'col', type: 'ordinal', sort: colLabels, axis: { title: null, labelAngle: 0, orient: 'top' } },
      y: { field: 'row', type: 'ordinal', sort: rowLabels, axis: { title: null } },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: {
            field: 'value',
            type: 'quantitative',
            scale: { scheme: 'redblue', domain: [-extent, extent], domainMid: 0 },
            legend: { title: null, gradientLength: 160 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: size },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: '.2f' },
          color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
  return { id, title, caption, ...SQUARE, spec };
}

export interface LogLogSeries {
  /** Legend label, e.g. "sd of final loss". */
  metric: string;
  points: { x: number; value: number; lo?: number; hi?: number }[];
  /** Fitted log–log line log value = intercept + slope log x (natural logs), drawn over the points' x range. */
  fit?: { slope: number; slopeSE: number; intercept: number };
  /** Join the points with a line (when there is no fit). */
  connect?: boolean;
}

/**
 * Points with error bars on log–log axes, each series with its fitted power law or a connecting line.
 * The x ticks are the x values themselves (few, e.g. the list of d or of σ).
 */
export function logLogPlot(
  id: string,
  title: string,
  caption: string,
  axes: { x: string; y: string },
  series: LogLogSeries[],
): PlotSpec {
  const label = (s: LogLogSeries) =>
    s.fit ? `${s.metric}: slope ${s.fit.slope.toFixed(2)} ± ${s.fit.slopeSE.toFixed(2)}` : s.metric;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const points = series.flatMap((s) =>
    s.points
      .filter((p) => positive(p.value))
      .map((p) => ({ x: p.x, value: p.value, lo: p.lo, hi: p.hi, metric: label(s) })),
  );
  const bars = points.filter((p) => positive(p.lo ?? NaN) && positive(p.hi ?? NaN));
  const lines = series.flatMap((s) => {
    if (s.connect) return points.filter((p) => p.metric === label(s));
    if (!s.fit) return [];
    const xs = s.points.map((p) => p.x);
    const fit = s.fit;
    return [Math.min(...xs), Math.max(...xs)].map((x) => ({
      x,
      value: Math.exp(fit.intercept + fit.slope * Math.log(x)),
      metric: label(s),
    }));
  });
  const color = {
    field: 'metric',
    type: 'nominal' as const,
    legend: { title: null, orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 520 },
  };
  const xValues = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const yValues = [
    ...points.map((p) => p.value),
    ...bars.flatMap((p) => [p.lo as number, p.hi as number]),
    ...lines.map((p) => p.value),
  ];
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    scale: { type: 'log' as const, nice: false, padding: 20 },
    axis: { title: axes.x, format: '~g', values: xValues },
  };
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    axis: { title: axes.y, format: '.0e', values: logTicks(yValues) },
  };
  const spec: TopLevelSpec = {
    layer: [
      { data: { values: lines }, mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color } },
      {
        data: { values: bars },
        mark: { type: 'rule', strokeWidth: 1.2 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', scale: { type: 'log' } }, y2: { field: 'hi' }, color },
      },
      { data: { values: points }, mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color } },
    ],
  };
  return { id, title, caption, ...WIDE, spec };
}

export interface DeviationSeries {
  metric: string;
  points: { d: number; value: number; lo?: number; hi?: number }[];
  fit?: { slope: number; slopeSE: number; intercept: number };
}

/** A deviation or spread measure against d on log–log axes, with error bars and the fitted power law. */
export function deviationVsDPlot(id: string, title: string, caption: string, series: DeviationSeries[]): PlotSpec {
  return logLogPlot(
    id,
    title,
    caption,
    { x: 'input dimension d (log)', y: 'value (log)' },
    series.map((s) => ({ ...s, points: s.points.map(({ d, ...p }) => ({ x: d, ...p })) })),
  );
}

export interface HistogramGroup {
  d: number;
  losses: number[];
}

export interface LossLevel {
  label: string;
  loss: number;
  /** Draw the label next to the rule (default true); unlabelled rules avoid overprinting crowded levels. */
  labelled?: boolean;
}

/** Number of histogram bins across the data range. */
const HISTOGRAM_BINS = 24;
/** Data spanning less than this ratio (max/min) are binned and drawn on a linear axis. */
const LOG_AXIS_RATIO = 10;

export interface HistogramBins {
  edges: number[];
  log: boolean;
}

/**
 * Shared bin edges over all losses (floored at LOSS_FLOOR): equal widths in log(loss) when the values
 * span more than a decade (e.g. global minima near 0 and spurious minima near 1e-2), equal linear widths
 * otherwise (a narrow distribution around one level, whose width is the point of the plot).
 */
export function histogramBins(losses: number[]): HistogramBins {
  const values = losses.filter(Number.isFinite).map(floorLoss);
  if (values.length === 0) return { edges: [], log: false };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const log = hi / lo > LOG_AXIS_RATIO;
  const to = log ? Math.log10 : (v: number) => v;
  const from = log ? (v: number) => 10 ** v : (v: number) => v;
  let a = to(lo);
  let b = to(hi);
  // Pad by half a bin on each side; a single value gets a ±5% range.
  const pad = b > a ? (b - a) / (2 * (HISTOGRAM_BINS - 1)) : log ? 0.02 : 0.05 * Math.abs(a) || 1e-12;
  a -= pad;
  b += pad;
  if (!log) a = Math.max(a, 0);
  [lo, hi] = [from(a), from(b)];
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => from(a + ((b - a) * i) / HISTOGRAM_BINS));
  edges[0] = lo;
  edges[HISTOGRAM_BINS] = hi;
  return { edges, log };
}

/**
 * Stacked histogram of final losses (colour = d) on a log loss axis, with the theory's predicted loss
 * levels drawn as dashed vertical rules.
 */
export function finalLossHistogramPlot(
  id: string,
  title: string,
  caption: string,
  groups: HistogramGroup[],
  levels: LossLevel[],
): PlotSpec {
  const { edges, log } = histogramBins([...groups.flatMap((g) => g.losses), ...levels.map((l) => l.loss)]);
  // Stacked by hand (rect y..y2): a bar mark with x and x2 would be read by Vega-Lite as a horizontal ranged bar.
  const stackTop = new Array<number>(Math.max(edges.length - 1, 0)).fill(0);
  const bars = groups.flatMap((g) => {
    const counts = new Array<number>(stackTop.length).fill(0);
    for (const loss of g.losses) {
      if (!Number.isFinite(loss)) continue;
      const v = floorLoss(loss);
      let b = edges.findIndex((e, i) => i > 0 && v < e) - 1;
      if (b < 0) b = counts.length - 1;
      counts[b]++;
    }
    return counts.flatMap((count, b) => {
      if (count === 0) return [];
      const y0 = stackTop[b];
      stackTop[b] += count;
      return [{ lo: edges[b], hi: edges[b + 1], d: g.d, y0, y1: y0 + count }];
    });
  });
  const yMax = Math.max(1, ...stackTop);
  const yStep = Math.max(1, Math.ceil(yMax / 8));
  const yTicks = Array.from({ length: Math.floor(yMax / yStep) + 1 }, (_, i) => i * yStep);
  const rules = levels.map((l) => ({ loss: floorLoss(l.loss), label: l.label }));
  const labelled = rules.filter((_, i) => levels[i].labelled !== false);
  const domain = [edges[0] ?? LOSS_FLOOR, edges[edges.length - 1] ?? 1];
  const x = {
    type: 'quantitative' as const,
    scale: log ? { type: 'log' as const, domain } : { type: 'linear' as const, domain, nice: false, zero: false },
    axis: log
      ? { title: 'final loss (log)', format: '.0e', values: logTicks(edges) }
      : { title: 'final loss', format: '.3~g', tickCount: 6 },
  };
  const spec: TopLevelSpec = {
    layer: [
      {
        data: { values: bars },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'lo', ...x },
          x2: { field: 'hi' },
          y: {
            field: 'y1',
            type: 'quantitative',
            scale: { domain: [0, yMax] },
            axis: { title: 'seeds', values: yTicks, format: 'd' },
          },
          y2: { field: 'y0' },
          color: { field: 'd', type: 'ordinal', scale: { scheme: 'viridis' }, legend: { title: 'd' } },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5, color: '#222' },
        encoding: { x: { field: 'loss', ...x } },
      },
      {
        data: { values: labelled },
        mark: {
          type: 'text',
          angle: 270,
          align: 'right',
          baseline: 'bottom',
          dx: -4,
          dy: -3,
          fontSize: 10,
          color: '#222',
        },
        encoding: { x: { field: 'loss', ...x }, y: { value: 0 }, text: { field: 'label' } },
      },
    ],
  };
  return { id, title, caption, ...WIDE, spec };
}
