import type { TopLevelSpec } from 'vega-lite';
import type { PlotSpec } from '../../report/vega.js';
import type { TangencyArcs } from '../../theory/hessian/arcs.js';

/** Tick values ±10^k over the data and 0, for the symlog axis (Vega's own symlog ticks are sparse). */
function symlogTicks(values: number[], constant: number): number[] {
  const top = Math.max(...values.map(Math.abs));
  const ticks = [0];
  for (let e = Math.ceil(Math.log10(constant)); 10 ** e <= top * 1.0001; e++) {
    if (values.some((v) => v >= 10 ** e)) ticks.push(10 ** e);
    if (values.some((v) => v <= -(10 ** e))) ticks.push(-(10 ** e));
  }
  return ticks.sort((a, b) => a - b);
}

/** loss − loss0 against r (log): the arcs solid, the quadratic predictions dashed, on a symlog axis so the barrier shows next to λ_max r²/2. */
export function arcsPlot(t: TangencyArcs): PlotSpec {
  const series = [
    ['minimum on the sphere', (r: TangencyArcs['rows'][number]) => r.lossMin],
    ['maximum on the sphere', (r: TangencyArcs['rows'][number]) => r.lossMax],
    ['loss0 + λ_min r²/2', (r: TangencyArcs['rows'][number]) => r.quadraticMin],
    ['loss0 + λ_max r²/2', (r: TangencyArcs['rows'][number]) => r.quadraticMax],
  ] as const;
  const values = series.flatMap(([name, get]) =>
    t.rows.map((row) => ({ r: row.r, delta: get(row) - row.lossCentre, series: name })),
  );
  const top = Math.max(...values.map((v) => Math.abs(v.delta))) || 1;
  const constant = top * 1e-6;
  const spec: TopLevelSpec = {
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [2, 2] }, encoding: { y: { datum: 0 } } },
      {
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x: {
            field: 'r',
            type: 'quantitative',
            scale: { type: 'log', nice: false },
            axis: { title: 'radius r = ‖V − V0‖_F (log)', format: '~g' },
          },
          y: {
            field: 'delta',
            type: 'quantitative',
            scale: { type: 'symlog', constant },
            axis: {
              title: `loss − loss0 (symlog, linear below ${constant.toExponential(0)})`,
              format: '.0e',
              values: symlogTicks(
                values.map((v) => v.delta),
                constant,
              ),
            },
          },
          color: {
            field: 'series',
            type: 'nominal',
            scale: { range: ['#1f77b4', '#d62728', '#1f77b4', '#d62728'] },
            sort: series.map((s) => s[0]),
            legend: {
              title: null,
              orient: 'bottom',
              direction: 'horizontal',
              columns: 2,
              labelLimit: 260,
              symbolType: 'stroke',
            },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            sort: series.map((s) => s[0]),
            scale: {
              range: [
                [1, 0],
                [1, 0],
                [5, 3],
                [5, 3],
              ],
            },
            legend: null,
          },
        },
      },
    ],
  };
  return {
    id: 'arcs',
    title: 'Tangency arcs',
    caption:
      'Minimum and maximum of the loss on the sphere of radius r around the point (solid) and the quadratic predictions of the Hessian (dashed).',
    width: 560,
    height: 340,
    spec,
  };
}
