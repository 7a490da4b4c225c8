import type { TopLevelSpec } from 'vega-lite';
import type { PlotSpec } from './vega.js';

/**
 * Plot builders: plain data in, Vega-Lite spec out (rendered by ./vega.ts). Sizes are fixed so the page
 * layout and the browser test know what to expect.
 */

/** Losses at or below this are drawn at the floor: log axes cannot show 0, and |L| < 1e-9 is 0 anyway (docs/theory.md §7.4). */
const LOSS_FLOOR = 1e-10;

export const WIDE = { width: 560, height: 340 };
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
