import type { TopLevelSpec } from 'vega-lite';
import type { PlotSpec } from '../../report/vega.js';
import { isLocal } from '../../landscape/stats/table.js';
import type { StatsResult } from './compute.js';

/**
 * The basin fractions against the dimension the random initial weights are drawn in (issue 9 item 7:
 * at K = 8 N(0,1) weights at d = K give ≈ 87 % global, at d = 1000 ≈ 90 %; at K = 17 d = 1000 matches
 * the paper's Table 1 and d = K does not). One series per (optimizer, K, M) and end class — global and
 * each of the two most frequent local k1 — with ±1.96 binomial SE bars, on a log d axis. Null when the
 * results do not vary initD (other scenarios).
 */
export function initDimensionPlot(results: StatsResult[]): PlotSpec | null {
  if (new Set(results.map((r) => r.config.initD)).size < 2) return null;
  const points = results.flatMap((r) => {
    const n = r.records.length;
    // An empty row (a shard without seeds of it) has no fraction to draw.
    if (n === 0) return [];
    const series = `${r.config.optimizer} K=${r.config.K} M=${r.config.M}`;
    const point = (what: string, count: number) => {
      const p = count / n;
      const se = Math.sqrt((p * (1 - p)) / n);
      return { series: `${series} ${what}`, d: r.config.initD, p, lo: Math.max(0, p - 1.96 * se), hi: p + 1.96 * se };
    };
    const local = r.records.filter(isLocal);
    const k1s = [...new Set(local.map((x) => x.k1))]
      .map((k1) => ({ k1, count: local.filter((x) => x.k1 === k1).length }))
      .sort((a, b) => b.count - a.count)
      .slice(0, 2);
    return [
      point('global', r.records.filter((x) => x.class === 'global').length),
      ...k1s.map(({ k1, count }) => point(`k1=${k1}`, count)),
    ];
  });
  const x = {
    field: 'd',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    title: 'init dimension d (log)',
  };
  const color = { field: 'series', type: 'nominal' as const, title: null };
  const spec: TopLevelSpec = {
    data: { values: points },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'p', type: 'quantitative', title: 'fraction of runs' }, color },
      },
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    ],
  };
  return {
    id: 'init-dimension',
    title: 'End-state fractions against the initialisation dimension',
    caption: `${results.length} rows; bars ±1.96 binomial SE; N(0, 1) weights drawn at dimension d, then the overlaps (docs/theory.md §15).`,
    width: 720,
    height: 360,
    spec,
  };
}
