import type { TopLevelSpec } from 'vega-lite';
import type { PlotSpec } from './vega.js';

/**
 * Plot builders: plain data in, Vega-Lite spec out (rendered by ./vega.ts). Sizes are fixed so the page
 * layout and the browser test know what to expect.
 */

/** Losses at or below this are drawn at the floor: log axes cannot show 0, and |L| < 1e-9 is 0 anyway (equations.md §7.4). */
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

/**
 * How each curve source is drawn, in drawing order: the network wide, solid and translucent underneath;
 * the theory dashed and opaque on top of it (where the two agree, the dashes run along the network line
 * instead of hiding under it); the d → ∞ reference dotted, on top.
 */
const SOURCES = [
  { source: 'network', dash: [1, 0], width: 2.6, opacity: 0.45, says: 'wide translucent solid lines' },
  { source: 'theory', dash: [5, 3], width: 1.3, opacity: 1, says: 'dashed, drawn on top' },
  { source: 'reference', dash: [1.5, 2.5], width: 1.3, opacity: 1, says: 'dotted' },
] as const;

const SOURCE_MEANS: Record<string, string> = {
  network: 'the real networks',
  theory: "the mean-field theory from each seed's own initial overlaps",
  reference: 'the d → ∞ reference (same initial overlaps, T = I)',
};

interface CurveValue {
  t: number;
  value: number;
  source: string;
  d: number;
  line: string;
}

/**
 * Curves against time on a log t axis: colour = d, one line per `line`, one layer per source present
 * (SOURCES: drawing order and style). The source legend lists only the sources that have curves.
 */
function timeCurvesSpec(
  values: CurveValue[],
  y: Record<string, unknown>,
): { spec: TopLevelSpec; sources: (typeof SOURCES)[number][] } {
  const sources = SOURCES.filter((s) => values.some((v) => v.source === s.source));
  const domain = sources.map((s) => s.source);
  // Ordinal in SOURCES order, so that width and opacity may be encoded too (Vega-Lite warns for nominal); one merged legend.
  const channel = <T>(range: T[]) => ({
    field: 'source',
    type: 'ordinal' as const,
    sort: domain,
    scale: { domain, range },
    legend: { title: 'source' },
  });
  const style = {
    strokeDash: channel(sources.map((s) => [...s.dash])),
    strokeWidth: channel(sources.map((s) => s.width)),
    opacity: channel(sources.map((s) => s.opacity)),
  };
  const x = {
    field: 't',
    type: 'quantitative' as const,
    scale: { type: 'log' as const, nice: false },
    axis: { title: 't (log)', format: '~g', values: logTicks(values.map((v) => v.t)) },
  };
  const spec: TopLevelSpec = {
    layer: sources.map((s) => ({
      data: { values: values.filter((v) => v.source === s.source) },
      mark: { type: 'line' as const, clip: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative' as const, ...y },
        color: { field: 'd', type: 'ordinal' as const, scale: { scheme: 'viridis' }, legend: { title: 'd' } },
        ...style,
        detail: { field: 'line', type: 'nominal' as const },
      },
    })),
  };
  return { spec, sources };
}

function sourcesCaption(sources: readonly (typeof SOURCES)[number][]): string {
  return sources.map((s) => `${SOURCE_MEANS[s.source]} (${s.says})`).join('; ');
}

/** Loss against time, log–log: colour = d, line style = source (SOURCES), one line per (source, seed, d). */
export function lossCurvesPlot(id: string, title: string, points: LossCurvePoint[]): PlotSpec {
  const values = points
    .filter((p) => p.t > 0 && Number.isFinite(p.loss))
    .map((p) => ({ t: p.t, value: floorLoss(p.loss), source: p.source, d: p.d, line: `${p.source}/${p.seed}/${p.d}` }));
  const { spec, sources } = timeCurvesSpec(values, {
    scale: { type: 'log' },
    axis: { title: 'population loss (log)', format: '.0e', values: logTicks(values.map((v) => v.value)) },
  });
  return {
    id,
    title,
    caption: `Population loss of ${sourcesCaption(sources)}; losses below ${LOSS_FLOOR} are drawn at ${LOSS_FLOOR}.`,
    ...WIDE,
    spec,
  };
}

export interface ReadoutCurvePoint {
  t: number;
  /** Second-layer weight a_k of student unit k (0-based). */
  k: number;
  value: number;
  source: string;
  seed: number;
  d: number;
}

/** Trained readouts a_k(t) (two-layer runs) on a linear axis against log t: colour = d, line style = source. */
export function readoutCurvesPlot(id: string, title: string, points: ReadoutCurvePoint[]): PlotSpec {
  const values = points
    .filter((p) => p.t > 0 && Number.isFinite(p.value))
    .map((p) => ({ t: p.t, value: p.value, source: p.source, d: p.d, line: `${p.source}/${p.seed}/${p.d}/${p.k}` }));
  const { spec, sources } = timeCurvesSpec(values, { scale: { zero: false }, axis: { title: 'readout a_k' } });
  return {
    id,
    title,
    caption: `Second-layer weights a_k, one line per student unit k, of ${sourcesCaption(sources)}.`,
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
  /**
   * Not a finding (e.g. a slope fitted to round-off): the text is appended to the legend label, the
   * points are drawn hollow and the line dashed.
   */
  muted?: string;
}

/**
 * Points with error bars on log–log axes, each series with its fitted power law or a connecting line.
 * The x ticks are the x values themselves (few, e.g. the list of d or of σ). Muted series (hollow
 * points, dashed lines) are drawn in their own layers, under the others.
 */
export function logLogPlot(
  id: string,
  title: string,
  caption: string,
  axes: { x: string; y: string },
  series: LogLogSeries[],
): PlotSpec {
  const label = (s: LogLogSeries) =>
    `${s.fit ? `${s.metric}: slope ${s.fit.slope.toFixed(2)} ± ${s.fit.slopeSE.toFixed(2)}` : s.metric}${s.muted ? ` — ${s.muted}` : ''}`;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const pointsOf = (s: LogLogSeries) =>
    s.points
      .filter((p) => positive(p.value))
      .map((p) => ({ x: p.x, value: p.value, lo: p.lo, hi: p.hi, metric: label(s) }));
  const points = series.flatMap(pointsOf);
  const bars = points.filter((p) => positive(p.lo ?? NaN) && positive(p.hi ?? NaN));
  const linesOf = (s: LogLogSeries) => {
    if (s.connect) return pointsOf(s);
    if (!s.fit) return [];
    const xs = s.points.map((p) => p.x);
    const fit = s.fit;
    return [Math.min(...xs), Math.max(...xs)].map((x) => ({
      x,
      value: Math.exp(fit.intercept + fit.slope * Math.log(x)),
      metric: label(s),
    }));
  };
  const lines = series.flatMap(linesOf);
  const color = {
    field: 'metric',
    type: 'nominal' as const,
    legend: { title: null, orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 0 },
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
  const muted = series.filter((s) => s.muted);
  const plain = series.filter((s) => !s.muted);
  const layers = [
    ...(muted.length > 0
      ? [
          {
            data: { values: muted.flatMap(linesOf) },
            mark: { type: 'line' as const, strokeWidth: 1.3, strokeDash: [5, 4] },
            encoding: { x, y, color },
          },
          {
            data: { values: muted.flatMap(pointsOf) },
            mark: { type: 'point' as const, filled: false, size: 60, strokeWidth: 1.5 },
            encoding: { x, y, color },
          },
        ]
      : []),
    {
      data: { values: plain.flatMap(linesOf) },
      mark: { type: 'line' as const, strokeWidth: 1.5 },
      encoding: { x, y, color },
    },
    {
      data: { values: bars },
      mark: { type: 'rule' as const, strokeWidth: 1.2 },
      encoding: {
        x,
        y: { field: 'lo', type: 'quantitative' as const, scale: { type: 'log' as const } },
        y2: { field: 'hi' },
        color,
      },
    },
    {
      data: { values: plain.flatMap(pointsOf) },
      mark: { type: 'point' as const, filled: true, size: 60 },
      encoding: { x, y, color },
    },
  ];
  const spec: TopLevelSpec = { layer: layers };
  return { id, title, caption, ...WIDE, spec };
}

export interface DeviationSeries {
  metric: string;
  points: { d: number; value: number; lo?: number; hi?: number }[];
  fit?: { slope: number; slopeSE: number; intercept: number };
  /** See LogLogSeries.muted. */
  muted?: string;
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
  /** Draw the label next to the rule (default true). */
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
 * Where a histogram draws losses ≤ 0 (round-off: |L| < 1e-9 is 0, docs/theory.md §7.4), which a log axis
 * cannot show: half the smallest positive value, so they sit at the left edge without stretching the
 * axis; 1e-12 when no value is positive. Positive values are drawn where they are: flooring them (at
 * the loss curves' 1e-10) collapsed a population-GD ensemble, converged to 3e-11…8e-10, into one bar.
 */
export function histogramFloor(values: number[]): number {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  return positive.length > 0 ? Math.min(...positive) / 2 : 1e-12;
}

/**
 * Shared bin edges over all losses (values ≤ 0 at histogramFloor): equal widths in log(loss) when the
 * values span more than a decade (e.g. global minima near 0 and spurious minima near 1e-2), equal linear
 * widths otherwise (a narrow distribution around one level, whose width is the point of the plot).
 * Distinct values always land in at least two bins: the range is the data's own.
 */
export function histogramBins(losses: number[]): HistogramBins {
  const finite = losses.filter(Number.isFinite);
  const floor = histogramFloor(finite);
  const values = finite.map((v) => (v > 0 ? v : floor));
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
 * Lower bounds on the plot area (inside the axes and the legend) of a WIDE figure, which Vega's `fit`
 * autosize decides at render time: the y axis with its title takes ≤ 70 px, a legend ≤ 150 px, the x
 * axis ≤ 50 px. Level labels are laid out with these, so in the real (larger) area they only move apart.
 */
export const WIDE_PLOT_AREA = { width: WIDE.width - 16 - 70 - 150, height: WIDE.height - 16 - 50 };
/** Upper bound on the width of one character of a 10 px Helvetica label, the row pitch and the gaps (px). */
const LABEL_CHAR_PX = 6.2;
const LABEL_ROW_PX = 13;
const LABEL_GAP_PX = 8;
const LABEL_OFFSET_PX = 3;
const LABEL_TOP_PX = 2;

export interface PlacedLabel {
  /** Row from the top (0 = highest). */
  row: number;
  /** Left: the text starts right of the rule; right: it ends left of it (levels near the right edge). */
  align: 'left' | 'right';
}

/**
 * Level labels that never overlap: each label sits beside its rule (left-aligned, or right-aligned when
 * it would run past the right edge) in the first row from the top where it clears every label already
 * placed there by LABEL_GAP_PX. `x` are pixel positions in a plot area `width` px wide that is a lower
 * bound on the real one: positions scale up with the area, so labels that clear here clear there.
 */
export function placeLevelLabels(labels: { x: number; text: string }[], width: number): PlacedLabel[] {
  const boxes = labels.map((l) => {
    const w = l.text.length * LABEL_CHAR_PX;
    const align: PlacedLabel['align'] = l.x + LABEL_OFFSET_PX + w > width ? 'right' : 'left';
    const left = align === 'left' ? l.x + LABEL_OFFSET_PX : l.x - LABEL_OFFSET_PX - w;
    return { left, right: left + w, align };
  });
  const rowEnds: number[] = [];
  const placed = new Array<PlacedLabel>(labels.length);
  for (const i of boxes.map((_, i) => i).sort((a, b) => boxes[a].left - boxes[b].left)) {
    let row = rowEnds.findIndex((end) => boxes[i].left >= end + LABEL_GAP_PX);
    if (row < 0) row = rowEnds.push(boxes[i].right) - 1;
    else rowEnds[row] = boxes[i].right;
    placed[i] = { row, align: boxes[i].align };
  }
  return placed;
}

type LevelAxis = { type: 'linear' | 'log'; domain: [number, number] };

/**
 * The level layers of a histogram: dashed rules from below the label strip to the x axis (drawn under
 * the bars, which often sit right on them), and the labels in rows in the strip above the bars
 * (placeLevelLabels). Text marks are named `level_labels`
 * (SVG class level_labels_marks), which the browser test reads back to check that none overlap.
 * Returns the layers and the strip's height in px, which the bars must leave free.
 */
function levelLayers(
  levels: LossLevel[],
  axis: LevelAxis,
  x: Record<string, unknown>,
): { rules: unknown; labels: unknown[]; stripPx: number } {
  const [d0, d1] = axis.domain;
  const to = axis.type === 'log' ? Math.log10 : (v: number) => v;
  const pixel = (v: number) => ((to(v) - to(d0)) / (to(d1) - to(d0))) * WIDE_PLOT_AREA.width;
  const inside = levels.filter((l) => l.loss >= d0 && l.loss <= d1);
  const labelled = inside.filter((l) => l.labelled !== false);
  const placed = placeLevelLabels(
    labelled.map((l) => ({ x: pixel(l.loss), text: l.label })),
    WIDE_PLOT_AREA.width,
  );
  const rows = placed.reduce((m, p) => Math.max(m, p.row + 1), 0);
  const stripPx = rows === 0 ? 0 : LABEL_TOP_PX + rows * LABEL_ROW_PX + 2;
  const text = (align: 'left' | 'right') => ({
    name: align === 'left' ? 'level_labels' : 'level_labels_right',
    data: {
      values: labelled
        .map((l, i) => ({ loss: l.loss, label: l.label, y: LABEL_TOP_PX + placed[i].row * LABEL_ROW_PX }))
        .filter((_, i) => placed[i].align === align),
    },
    mark: {
      type: 'text',
      align,
      baseline: 'top',
      dx: align === 'left' ? LABEL_OFFSET_PX : -LABEL_OFFSET_PX,
      fontSize: 10,
      color: '#222',
    },
    encoding: {
      x: { field: 'loss', ...x },
      y: { field: 'y', type: 'quantitative', scale: null },
      text: { field: 'label' },
    },
  });
  const rules = {
    data: { values: inside.map((l) => ({ loss: l.loss, label: l.label })) },
    mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.3, color: '#222' },
    encoding: { x: { field: 'loss', ...x }, y: { value: stripPx }, y2: { value: { expr: 'height' } } },
  };
  return { rules, labels: (['left', 'right'] as const).map(text).filter((t) => t.data.values.length > 0), stripPx };
}

/** The y (count) axis of a histogram whose tallest stack is `maxCount`, leaving `stripPx` free at the top. */
function countAxis(maxCount: number, stripPx: number, title: string, plotHeight: number = WIDE_PLOT_AREA.height) {
  const yMax = Math.max(1, maxCount);
  // At most ~8 ticks, at 1, 2 or 5 × 10^n.
  const yStep =
    [1, 2, 5]
      .flatMap((m) => [0, 1, 2, 3, 4, 5, 6].map((e) => m * 10 ** e))
      .sort((a, b) => a - b)
      .find((step) => yMax / step <= 8) ?? Math.ceil(yMax / 8);
  const values = Array.from({ length: Math.floor(yMax / yStep) + 1 }, (_, i) => i * yStep);
  // Bars reach `yMax` at (1 − strip/height) of the real plot height, at least strip px below the top.
  const top = yMax / (1 - stripPx / plotHeight);
  return {
    field: 'y1',
    type: 'quantitative' as const,
    scale: { domain: [0, top], nice: false },
    axis: { title, values, format: 'd' },
  };
}

/** Counts per bin of `losses` (already floored), bins [edges[b], edges[b+1]); the last bin is closed. */
function binCounts(losses: number[], edges: number[]): number[] {
  const counts = new Array<number>(Math.max(edges.length - 1, 0)).fill(0);
  for (const v of losses) {
    if (!Number.isFinite(v) || v < edges[0] || v > edges[edges.length - 1]) continue;
    let b = edges.findIndex((e, i) => i > 0 && v < e) - 1;
    if (b < 0) b = counts.length - 1;
    counts[b]++;
  }
  return counts;
}

/** Stacked rects (y0..y1) per bin, groups in order; a bar mark with x and x2 would be read as a horizontal ranged bar. */
function stackedBins<G>(
  groups: { key: G; losses: number[] }[],
  edges: number[],
): { bars: { lo: number; hi: number; key: G; y0: number; y1: number }[]; maxCount: number } {
  const stackTop = new Array<number>(Math.max(edges.length - 1, 0)).fill(0);
  const bars = groups.flatMap((g) =>
    binCounts(g.losses, edges).flatMap((count, b) => {
      if (count === 0) return [];
      const y0 = stackTop[b];
      stackTop[b] += count;
      return [{ lo: edges[b], hi: edges[b + 1], key: g.key, y0, y1: y0 + count }];
    }),
  );
  return { bars, maxCount: Math.max(0, ...stackTop) };
}

/**
 * Stacked histogram of final losses (colour = d), on a log axis across decades and a linear one
 * otherwise (histogramBins), with the theory's predicted loss levels as dashed rules labelled without
 * overlap (levelLayers). Losses ≤ 0 are drawn at the left edge (histogramFloor).
 */
export function finalLossHistogramPlot(
  id: string,
  title: string,
  caption: string,
  groups: HistogramGroup[],
  levels: LossLevel[],
): PlotSpec {
  const all = [...groups.flatMap((g) => g.losses), ...levels.map((l) => l.loss)].filter(Number.isFinite);
  const floor = histogramFloor(all);
  const shown = (v: number) => (v > 0 ? v : floor);
  const { edges, log } = histogramBins(all);
  const { bars, maxCount } = stackedBins(
    groups.map((g) => ({ key: g.d, losses: g.losses.filter(Number.isFinite).map(shown) })),
    edges,
  );
  const domain: [number, number] = [edges[0] ?? 1e-12, edges[edges.length - 1] ?? 1];
  const x = {
    type: 'quantitative' as const,
    scale: log ? { type: 'log' as const, domain } : { type: 'linear' as const, domain, nice: false, zero: false },
    axis: log
      ? { title: 'final loss (log)', format: '.0e', values: logTicks(edges) }
      : { title: 'final loss', format: '.3~g', tickCount: 6 },
  };
  const { rules, labels, stripPx } = levelLayers(
    levels.filter((l) => Number.isFinite(l.loss)).map((l) => ({ ...l, loss: shown(l.loss) })),
    { type: log ? 'log' : 'linear', domain },
    x,
  );
  const spec = {
    layer: [
      rules,
      {
        data: { values: bars.map(({ key, ...b }) => ({ ...b, d: key })) },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'lo', ...x },
          x2: { field: 'hi' },
          y: countAxis(maxCount, stripPx, 'seeds'),
          y2: { field: 'y0' },
          color: { field: 'd', type: 'ordinal', scale: { scheme: 'viridis' }, legend: { title: 'd' } },
        },
      },
      ...labels,
    ],
  } as TopLevelSpec;
  const zero = all.some((v) => v <= 0) ? ` Losses ≤ 0 (round-off) are drawn at ${fmtTick(floor)}.` : '';
  return { id, title, caption: `${caption}${zero}`, ...WIDE, spec };
}

export interface LandscapeHistogramInput {
  /** Final losses of the runs that did not reach the global minimum, with their end class (colour). */
  runs: { loss: number; group: string }[];
  /** Legend order of the groups. */
  groups: string[];
  /** Runs at the global minimum (loss below `below`), out of `total`: counted in the title, not drawn. */
  global: { count: number; total: number; below: number };
  /** Predicted levels (dashed rules); they also set the bin width. */
  levels: LossLevel[];
  /** Upper end of the loss axis (default: the largest run or level, plus 10%); runs above are counted in the title. */
  xMax?: number;
}

/** Bins between the two closest predicted levels, and the bin-count bounds of the landscape histogram. */
const BINS_PER_LEVEL_GAP = 6;
const LANDSCAPE_BINS = { min: 80, max: 240 };
/** The landscape histogram's title lines (10 px font) and their gap to the plot (px). */
const TITLE_LINE_PX = 13;
const TITLE_OFFSET_PX = 6;

/**
 * Bin edges on [0, hi]: fine enough that the two closest levels are BINS_PER_LEVEL_GAP bins apart, so
 * runs landing on neighbouring levels fall in separate bars (between LANDSCAPE_BINS.min and .max bins).
 */
export function landscapeBins(hi: number, levels: number[]): number[] {
  const sorted = [...new Set(levels.filter((l) => l > 0 && l <= hi))].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((l, i) => l - sorted[i]);
  const gap = Math.min(...gaps, Number.POSITIVE_INFINITY);
  const wanted = Number.isFinite(gap) && gap > 0 ? Math.ceil((hi * BINS_PER_LEVEL_GAP) / gap) : LANDSCAPE_BINS.min;
  const n = Math.min(LANDSCAPE_BINS.max, Math.max(LANDSCAPE_BINS.min, wanted));
  return Array.from({ length: n + 1 }, (_, i) => (hi * i) / n);
}

/** Colours of the landscape histogram's groups, by their index in the input's group list (Tableau 10). */
const GROUP_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948'];

const fmtTick = (v: number) =>
  v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(0) : String(Number(v.toPrecision(3)));

/**
 * The landscape-statistics histogram (like the paper's Figure 1b): the runs that did not reach the
 * global minimum on a LINEAR loss axis from 0, in bins fine enough to separate the predicted levels
 * (landscapeBins), stacked by end class; the predicted levels as dashed rules labelled without overlap;
 * the global runs, which would dwarf every other bar, counted in the chart's title instead.
 */
export function landscapeHistogramPlot(
  id: string,
  title: string,
  caption: string,
  input: LandscapeHistogramInput,
): PlotSpec {
  const finite = input.runs.filter((r) => Number.isFinite(r.loss));
  const levelLosses = input.levels.map((l) => l.loss).filter((l) => Number.isFinite(l) && l > 0);
  const top = Math.max(...finite.map((r) => r.loss), ...levelLosses, input.global.below);
  const hi = input.xMax ?? 1.1 * top;
  const edges = landscapeBins(hi, levelLosses);
  const { bars, maxCount } = stackedBins(
    input.groups.map((group) => ({ key: group, losses: finite.filter((r) => r.group === group).map((r) => r.loss) })),
    edges,
  );
  const present = input.groups.filter((g) => bars.some((b) => b.key === g));
  const domain: [number, number] = [0, hi];
  const x = {
    type: 'quantitative' as const,
    scale: { type: 'linear' as const, domain, nice: false, zero: true },
    axis: { title: 'final loss (linear)', format: '.3~g', tickCount: 8 },
  };
  const { rules, labels, stripPx } = levelLayers(input.levels, { type: 'linear', domain }, x);
  const { count, total, below } = input.global;
  const beyond = finite.filter((r) => r.loss > hi).length;
  // Short lines: Vega sizes the figure with ~0.8 em per character, and a title wider than the plot area
  // would shrink the area below WIDE_PLOT_AREA, which the level labels and the headroom rely on.
  const note = [
    `global minimum (loss < ${fmtTick(below)}), not drawn:`,
    `${count} of ${total} runs (${total > 0 ? ((100 * count) / total).toFixed(1) : '0'} %)`,
    ...(beyond > 0 ? [`not drawn: ${beyond} run(s) with loss > ${fmtTick(hi)}`] : []),
  ];
  const titlePx = note.length * TITLE_LINE_PX + TITLE_OFFSET_PX;
  const spec = {
    title: {
      text: note,
      anchor: 'start',
      fontSize: 10,
      lineHeight: TITLE_LINE_PX,
      fontWeight: 'normal',
      offset: TITLE_OFFSET_PX,
    },
    layer: [
      rules,
      {
        data: { values: bars.map(({ key, ...b }) => ({ ...b, class: key })) },
        // White separators only where bars are wide enough to keep their colour.
        mark: {
          type: 'rect',
          ...(WIDE_PLOT_AREA.width / (edges.length - 1) >= 4 ? { stroke: 'white', strokeWidth: 0.3 } : {}),
        },
        encoding: {
          x: { field: 'lo', ...x },
          x2: { field: 'hi' },
          y: countAxis(maxCount, stripPx, 'runs', WIDE_PLOT_AREA.height - titlePx),
          y2: { field: 'y0' },
          // Only the classes that have bars (a legend entry must have marks), each keeping its colour.
          color: {
            field: 'class',
            type: 'nominal',
            scale: {
              domain: present,
              range: present.map((g) => GROUP_COLOURS[input.groups.indexOf(g) % GROUP_COLOURS.length]),
            },
            legend: { title: 'end state' },
          },
        },
      },
      ...labels,
    ],
  } as TopLevelSpec;
  return { id, title, caption, ...WIDE, spec };
}
