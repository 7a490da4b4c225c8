import type { TopLevelSpec } from 'vega-lite';
import { WIDE, logTicks } from '../../report/plots.js';
import type { PlotSpec } from '../../report/vega.js';
import type { FamilyFit } from './fit.js';
import type { CensusRow } from './rows.js';

/** Census-specific plot specs (rendered by report/vega.ts; the report layer stays free of analysis code). */

/** How a row is drawn in the loss-vs-K plot, in legend order. */
const CATEGORIES = [
  { name: 'hidden minimum (stable, never reached)', color: '#c62828', shape: 'diamond', size: 90 },
  { name: 'reached minimum', color: '#1565c0', shape: 'circle', size: 70 },
  { name: 'reached saddle', color: '#ef6c00', shape: 'triangle-up', size: 50 },
  { name: 'saddle (not reached)', color: '#b0b0b0', shape: 'circle', size: 14 },
] as const;

function category(r: CensusRow): (typeof CATEGORIES)[number]['name'] {
  if (r.hidden) return CATEGORIES[0].name;
  if (r.stable) return CATEGORIES[1].name;
  return r.point.reachCount > 0 ? CATEGORIES[2].name : CATEGORIES[3].name;
}

/** Losses at or below this are the global minimum (docs/theory.md §7.4): not drawn on the log axis. */
const ZERO_LOSS = 1e-9;

/**
 * Every non-global fixed point of every shape: loss (log) against K, coloured and shaped by whether it is
 * a hidden minimum, a reached minimum or a saddle; K = M + 1 points are offset slightly to the right.
 */
export function lossVsKPlot(rows: CensusRow[]): PlotSpec {
  const values = rows
    .filter((r) => r.point.fixedPoint.loss > ZERO_LOSS)
    .map((r) => ({
      K: r.point.K + 0.15 * (r.point.K - r.point.M),
      loss: r.point.fixedPoint.loss,
      category: category(r),
      size: CATEGORIES.find((c) => c.name === category(r))?.size,
      label: `K=${r.point.K} M=${r.point.M} k1=${r.point.k1}`,
    }));
  const Ks = [...new Set(rows.map((r) => r.point.K))].sort((a, b) => a - b);
  const spec: TopLevelSpec = {
    data: { values },
    mark: { type: 'point', filled: true, opacity: 0.85 },
    encoding: {
      x: {
        field: 'K',
        type: 'quantitative',
        scale: { nice: false, padding: 16, zero: false },
        axis: { title: 'K (student width; K = M + 1 drawn slightly right)', values: Ks, format: 'd' },
      },
      y: {
        field: 'loss',
        type: 'quantitative',
        scale: { type: 'log' },
        axis: { title: 'loss of the fixed point', format: '.0e', values: logTicks(values.map((v) => v.loss)) },
      },
      color: {
        field: 'category',
        type: 'nominal',
        scale: { domain: CATEGORIES.map((c) => c.name), range: CATEGORIES.map((c) => c.color) },
        legend: { title: null, orient: 'bottom', direction: 'vertical', labelLimit: 0 },
      },
      shape: {
        field: 'category',
        type: 'nominal',
        scale: { domain: CATEGORIES.map((c) => c.name), range: CATEGORIES.map((c) => c.shape) },
      },
      size: { field: 'size', type: 'quantitative', scale: null, legend: null },
      tooltip: [{ field: 'label' }, { field: 'loss', format: '.6g' }, { field: 'category' }],
    },
  };
  return {
    id: 'loss-vs-k',
    title: 'Loss of every fixed point vs K',
    caption:
      'Every non-global point of the census: the k1-ansatz fixed points and the end states only the runs found. Hidden minima are stable (docs/theory.md §14) and no initialisation reached them.',
    width: WIDE.width,
    height: WIDE.height + 60,
    spec,
  };
}

/** One spectrum of the Hessian plot. */
export interface SpectrumSeries {
  label: string;
  eigenvalues: number[];
}

/** Bins of the Hessian histograms: shared equal-width bins over every spectrum of the plot. */
const SPECTRUM_BINS = 40;

/**
 * The Hessian spectra of one shape's global, reached and hidden minima as overlaid step histograms over
 * shared bins (each spectrum has K·d eigenvalues at its own d = rank Ω), so their shapes sit side by side.
 */
export function hessianSpectraPlot(id: string, title: string, series: SpectrumSeries[]): PlotSpec {
  const all = series.flatMap((s) => s.eigenvalues);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const width = (hi - lo) / SPECTRUM_BINS || 1;
  const values = series.flatMap((s) => {
    const counts = new Array<number>(SPECTRUM_BINS + 1).fill(0);
    for (const e of s.eigenvalues) counts[Math.min(SPECTRUM_BINS - 1, Math.floor((e - lo) / width))]++;
    // The step line needs a closing point at the right edge of the last bin.
    counts[SPECTRUM_BINS] = counts[SPECTRUM_BINS - 1];
    return counts.map((count, i) => ({ x: lo + i * width, count, spectrum: s.label }));
  });
  const spec: TopLevelSpec = {
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6, opacity: 0.85 },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        scale: { nice: false, zero: false },
        axis: { title: 'Hessian eigenvalue' },
      },
      y: {
        field: 'count',
        type: 'quantitative',
        axis: { title: `eigenvalues per bin (width ${width.toPrecision(2)})` },
      },
      color: {
        field: 'spectrum',
        type: 'nominal',
        legend: { title: null, orient: 'bottom', direction: 'vertical', labelLimit: 0 },
      },
    },
  };
  return {
    id,
    title,
    caption:
      'Closed-form ReLU Hessian in V = W/√d at d = rank of the joint Gram matrix (docs/theory.md §17, docs/hessian.md); the minimum eigenvalue of each is in the table.',
    width: WIDE.width,
    height: WIDE.height,
    spec,
  };
}

/**
 * The followed families' lowest stable losses against 1/K with their fits L∞ + c/K (lines to 1/K = 0,
 * the extrapolation) and the 95 % interval of L∞ at 1/K = 0.
 */
export function familyFitPlot(fits: FamilyFit[]): PlotSpec {
  const label = (f: FamilyFit) =>
    `${f.family}, K = M${f.overparam === 0 ? '' : ` + ${f.overparam}`}: L∞ = ${f.lInf.toPrecision(3)} ± ${f.lInfHalfWidth.toPrecision(2)}`;
  const points = fits.flatMap((f) => f.points.map((p) => ({ x: 1 / p.K, loss: p.loss, family: label(f) })));
  const lines = fits.flatMap((f) => {
    const xMax = Math.max(...f.points.map((p) => 1 / p.K));
    return [0, xMax].map((x) => ({ x, loss: f.lInf + f.c * x, family: label(f) }));
  });
  const bars = fits.map((f) => ({
    x: 0,
    lo: f.lInf - f.lInfHalfWidth,
    hi: f.lInf + f.lInfHalfWidth,
    family: label(f),
  }));
  const x = { field: 'x', type: 'quantitative' as const, axis: { title: '1/K (0 = the extrapolated K → ∞)' } };
  const color = {
    field: 'family',
    type: 'nominal' as const,
    legend: { title: null, orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 0 },
  };
  const spec: TopLevelSpec = {
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 1.3 },
        encoding: { x, y: { field: 'loss', type: 'quantitative', axis: { title: 'loss' } }, color },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: { x, y: { field: 'loss', type: 'quantitative' }, color },
      },
      {
        data: { values: bars },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
    ],
  };
  return {
    id: 'family-fits',
    title: 'Family losses vs 1/K, fitted L(K) = L∞ + c/K',
    caption:
      'Lowest stable loss of each followed family per K; dashed: the least-squares fit, continued to 1/K = 0 (an extrapolation beyond the measured K); bar at 0: the 95 % Student-t interval of L∞.',
    width: WIDE.width,
    height: WIDE.height + 40,
    spec,
  };
}
