import type { TopLevelSpec } from 'vega-lite';
import { type LossLevel, WIDE_PLOT_AREA, countAxis, histogramLayers, levelLayers } from './levels.js';
import { WIDE, logTicks } from './plots.js';
import type { PlotSpec } from './vega.js';

/**
 * Histogram builders: the final losses of a network ensemble (finalLossHistogramPlot) and of a
 * landscape-statistics run (landscapeHistogramPlot), with predicted levels (./levels.ts).
 */

export type { LossLevel } from './levels.js';

/** A loss as a tick label: 3 significant digits, exponent form below 1e-3. */
const fmtTick = (v: number) =>
  v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(0) : String(Number(v.toPrecision(3)));

export interface HistogramGroup {
  d: number;
  losses: number[];
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
  const levelMarks = levelLayers(
    levels.filter((l) => Number.isFinite(l.loss)).map((l) => ({ ...l, loss: shown(l.loss) })),
    { type: log ? 'log' : 'linear', domain },
    x,
  );
  const stripPx = levelMarks.stripPx;
  const barLayer = {
    data: { values: bars.map(({ key, ...b }) => ({ ...b, d: key })) },
    mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'lo', ...x },
      x2: { field: 'hi' },
      y: countAxis(maxCount, stripPx, 'seeds'),
      y2: { field: 'y0' },
      color: { field: 'd', type: 'ordinal', scale: { scheme: 'viridis' }, legend: { title: 'd' } },
    },
  };
  const spec = { layer: histogramLayers(barLayer, levelMarks, edges.length - 1) } as TopLevelSpec;
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
  const levelMarks = levelLayers(input.levels, { type: 'linear', domain }, x);
  const stripPx = levelMarks.stripPx;
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
    layer: histogramLayers(
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
      levelMarks,
      edges.length - 1,
    ),
  } as TopLevelSpec;
  return { id, title, caption, ...WIDE, spec };
}
