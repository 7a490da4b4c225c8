import { join } from 'node:path';
import type { Command } from 'commander';
import type { TopLevelSpec } from 'vega-lite';
import { InputError } from '../../model/errors.js';
import { overlapsToJSON } from '../../model/overlaps.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeConfigJson } from '../../io/config-file.js';
import { csvText } from '../../io/csv.js';
import { classifyEndState } from '../../landscape/classify.js';
import { type PlotSpec, renderPlot } from '../../report/vega.js';
import { CRITICAL_GRADIENT } from '../../theory/hessian/analysis.js';
import {
  EIGENSPACE_TOLERANCE,
  SPHERE_DEFAULTS,
  type TangencyArcs,
  logRadii,
  tangencyArcs,
} from '../../theory/hessian/arcs.js';
import { DESCENT_DEFAULTS, descendToCriticalPoint, weightObjective } from '../../theory/hessian/relu-arcs.js';
import { reluHessian } from '../../theory/hessian/relu-hessian.js';
import { parseNonNegativeInteger, parsePositiveInteger, parsePositiveNumber, rejectFlag } from '../parse.js';
import { type ResolvedPoint, requireOut, resolvePointFlags } from './hessian.js';

type Flags = Record<string, string | undefined>;

const DEFAULT_RADII = '0.01:1:50';
const MAX_RADII = 10_000;
const MAX_RANDOM = 1000;
const DEFAULT_SEED = 1;

interface Resolved extends ResolvedPoint {
  radiiSpec: string;
  radii: number[];
  random: number;
  seed: number | null;
  tMax: number;
  out: string;
}

/** `a:b:n` → n radii log-spaced from a to b inclusive (a ≤ b, n ≥ 2; or n = 1 with a = b). */
export function parseRadii(text: string, flag: string): number[] {
  const parts = text.split(':');
  if (parts.length !== 3) throw new InputError(flag, `must be a:b:n (n radii log-spaced from a to b), got "${text}"`);
  const from = parsePositiveNumber(parts[0], flag);
  const to = parsePositiveNumber(parts[1], flag);
  const count = parsePositiveInteger(parts[2], flag);
  if (count > MAX_RADII) throw new InputError(flag, `at most ${MAX_RADII} radii, got ${count}`);
  if (to < from) throw new InputError(flag, `the last radius ${to} is below the first ${from}`);
  if (count === 1 && to !== from) throw new InputError(flag, `one radius needs a = b, got ${from}:${to}:1`);
  if (count > 1 && to === from) throw new InputError(flag, `${count} radii need a < b, got a = b = ${from}`);
  return logRadii(from, to, count);
}

/** `hessian` (the extreme eigenvectors only) or `random:N` (and N random directions). */
function parseDirections(text: string | undefined, flag: string): number {
  if (text === undefined || text === 'hessian') return 0;
  const m = /^random:(.+)$/.exec(text);
  if (!m) throw new InputError(flag, `must be hessian or random:N, got "${text}"`);
  const n = parsePositiveInteger(m[1], flag);
  if (n > MAX_RANDOM) throw new InputError(flag, `at most ${MAX_RANDOM} random directions, got ${n}`);
  return n;
}

function resolveArcsFlags(f: Flags): Resolved {
  const radiiSpec = f.radii ?? DEFAULT_RADII;
  const radii = parseRadii(radiiSpec, '--radii');
  const random = parseDirections(f.directions, '--directions');
  if (random === 0) rejectFlag(f.seed, '--seed', 'only applies with --directions random:N');
  const seed = random > 0 ? parseNonNegativeInteger(f.seed, '--seed', DEFAULT_SEED) : null;
  const tMax = parsePositiveNumber(f.tMax, '--t-max', DESCENT_DEFAULTS.tMax);
  const out = requireOut(f);
  return { ...resolvePointFlags(f), radiiSpec, radii, random, seed, tMax, out };
}

const ARCS_COLUMNS = [
  'r',
  'loss_min',
  'loss_max',
  'loss_center',
  'quadratic_min',
  'quadratic_max',
  'overlap_min',
  'overlap_max',
  'start_min',
  'start_max',
  'iterations_min',
  'iterations_max',
  'converged_min',
  'converged_max',
];

function arcsCsv(t: TangencyArcs): string {
  return csvText(
    ARCS_COLUMNS,
    t.rows.map((r) => [
      r.r,
      r.lossMin,
      r.lossMax,
      r.lossCentre,
      r.quadraticMin,
      r.quadraticMax,
      r.overlapMin,
      r.overlapMax,
      r.startMin,
      r.startMax,
      r.iterationsMin,
      r.iterationsMax,
      r.convergedMin,
      r.convergedMax,
    ]),
  );
}

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

function barrierSummary(t: TangencyArcs): Record<string, unknown> | string {
  const b = t.barrier;
  if (b === null) return 'none within the radii';
  return {
    radius: b.radius,
    previousRadius: b.previousRadius,
    height: b.height,
    lossAtPeak: t.lossCentre + b.height,
    peakRadius: b.peakRadius,
    note:
      b.previousRadius === null
        ? 'the minimising arc is below loss0 already at the first radius (a descent direction: saddle, or flat)'
        : `loss_min first drops below loss0 between r = ${b.previousRadius} and ${b.radius}; height = max loss_min − loss0 before that`,
  };
}

async function runArcs(flags: Flags): Promise<void> {
  const r = resolveArcsFlags(flags);
  const started = performance.now();
  const { point, rank } = r.realisation;
  const w = weightObjective(point, r.readouts);
  const gradient = new Float64Array(r.size);
  w.objective.gradient(w.centre, gradient);
  const gradientNorm = Math.sqrt(gradient.reduce((s, g) => s + g * g, 0));
  const { H } = reluHessian(point, { readouts: r.readouts });
  const t = tangencyArcs(w.objective, w.centre, H, { radii: r.radii, random: r.random, seed: r.seed ?? DEFAULT_SEED });
  const last = t.rows[t.rows.length - 1];
  const descent = descendToCriticalPoint(w.pointAt(t.lastMinPoint), r.readouts, r.tMax);
  const reached = classifyEndState({ overlaps: descent.end, loss: descent.loss, maxRhs: descent.maxRhs });
  const first = t.rows[0];
  const wallSeconds = (performance.now() - started) / 1000;
  const summary = {
    activation: 'relu',
    normalisation: 'V = W/√d, L = ½E[(f − f*)²] (docs/theory.md §17)',
    optimizer: r.optimizer,
    parameters: r.readouts ? 'V (K·d) then a (K)' : 'V (K·d)',
    K: point.K,
    M: point.M,
    d: point.d,
    rank,
    size: r.size,
    lossCentre: t.lossCentre,
    gradientNorm,
    critical: gradientNorm <= CRITICAL_GRADIENT,
    lambdaMin: t.lambdaMin,
    lambdaMax: t.lambdaMax,
    multiplicityMin: t.multiplicityMin,
    multiplicityMax: t.multiplicityMax,
    radii: { spec: r.radiiSpec, count: r.radii.length, from: r.radii[0], to: last.r, spacing: 'log' },
    starts: t.starts,
    optimiser: {
      method:
        'Riemannian gradient on the sphere, Barzilai–Borwein steps, non-monotone Armijo backtracking, continuation in r',
      converged: '|tangential gradient| ≤ relativeTolerance·|∇L| + absoluteTolerance',
      relativeTolerance: SPHERE_DEFAULTS.relativeTolerance,
      absoluteTolerance: SPHERE_DEFAULTS.absoluteTolerance,
      maxIterations: SPHERE_DEFAULTS.maxIterations,
      eigenspaceTolerance: EIGENSPACE_TOLERANCE,
      allConverged: t.allConverged,
    },
    smallestRadius: {
      r: first.r,
      minMinusQuadratic: first.lossMin - first.quadraticMin,
      maxMinusQuadratic: first.lossMax - first.quadraticMax,
      overOrderR3: {
        min: (first.lossMin - first.quadraticMin) / first.r ** 3,
        max: (first.lossMax - first.quadraticMax) / first.r ** 3,
      },
    },
    belowTolerance: t.belowTolerance,
    barrier: barrierSummary(t),
    barrierNote:
      'each arc is a local optimum on each sphere from the listed starts, so loss_min is an upper bound on the minimum over the sphere: the true barrier is at most this high and starts at most this far',
    criticalPoint: {
      from: { r: last.r, loss: last.lossMin, start: last.startMin },
      flow: `${r.readouts ? 'gd2l' : 'gd'} gradient flow (η = 1) in overlap space, dopri5 to max|F| < ${DESCENT_DEFAULTS.convergenceTol} or t = ${r.tMax}`,
      status: descent.status,
      tFinal: descent.tFinal,
      maxRhs: descent.maxRhs,
      loss: descent.loss,
      class: reached.class,
      k1: reached.k1,
      lossMinusCentre: descent.loss - t.lossCentre,
      file: 'critical-point.json',
    },
  };
  writeFileAtomic(join(r.out, 'arcs.csv'), arcsCsv(t));
  writeFileAtomic(join(r.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileAtomic(join(r.out, 'critical-point.json'), `${JSON.stringify(overlapsToJSON(descent.end), null, 2)}\n`);
  writeFileAtomic(join(r.out, 'arcs.svg'), (await renderPlot(arcsPlot(t))).svg);
  writeConfigJson(r.out, 'arcs', {
    activation: 'relu',
    from: r.from,
    optimizer: r.optimizer,
    d: point.d,
    dRequested: r.dRequested,
    radii: r.radiiSpec,
    directions: r.random > 0 ? `random:${r.random}` : 'hessian',
    seed: r.seed,
    tMax: r.tMax,
    out: r.out,
    overlaps: overlapsToJSON(r.overlaps),
    result: {
      lossCentre: t.lossCentre,
      barrier: summary.barrier,
      criticalPoint: { loss: descent.loss, k1: reached.k1, status: descent.status },
      allConverged: t.allConverged,
      wallSeconds,
    },
  });
  const b = t.barrier;
  const lines = [
    `arcs (relu, ${r.optimizer}): K=${point.K} M=${point.M} d=${point.d}, ${r.radii.length} radii ${r.radii[0]}…${last.r}; loss0 ${t.lossCentre.toPrecision(10)}, |∇L| ${gradientNorm.toExponential(2)}, λ_min ${t.lambdaMin.toPrecision(6)} ×${t.multiplicityMin}, λ_max ${t.lambdaMax.toPrecision(6)} ×${t.multiplicityMax}`,
    b === null
      ? '  barrier: none within the radii (loss_min ≥ loss0 on every sphere)'
      : `  barrier: loss_min < loss0 from r = ${b.radius.toPrecision(4)}${b.previousRadius === null ? '' : ` (above at ${b.previousRadius.toPrecision(4)})`}; height ${b.height.toExponential(4)}${b.peakRadius === null ? '' : ` at r = ${b.peakRadius.toPrecision(4)}`}`,
    `  flow from the minimising arc at r = ${last.r}: ${descent.status} at t = ${descent.tFinal.toPrecision(4)}, loss ${descent.loss.toPrecision(10)}, ${reached.class}, k1 = ${reached.k1}`,
    `  ${t.allConverged ? 'all sphere optimisations converged' : 'WARNING: some sphere optimisations did not converge (see arcs.csv)'}; wrote ${join(r.out, '{arcs.csv,arcs.svg,summary.json,critical-point.json,config.json}')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerArcs(program: Command): void {
  program
    .command('arcs')
    .description(
      `Tangency arcs of the ReLU loss around the overlaps of --from realised in weights (V = W/√d): min and max of the loss on spheres ‖V − V0‖_F = r, the barrier, and the critical point the minimising arc leads to. Each sphere optimisation (Riemannian Barzilai–Borwein gradient, continuation in r) runs to |tangential gradient| ≤ ${SPHERE_DEFAULTS.relativeTolerance}·|∇L| + ${SPHERE_DEFAULTS.absoluteTolerance}`,
    )
    .option(
      '--from <file>',
      'overlaps JSON {"Q","R","T"?,"a"?,"v"?} (required), e.g. a fixed point written by fixed-points',
    )
    .option('--d <d>', 'input dimension of the realisation (default: rank of [[Q, R], [Rᵀ, T]]; must not be smaller)')
    .option('--optimizer <name>', 'gd: arcs in V; gd2l: in V and the readouts a (default gd)')
    .option('--activation <name>', 'relu only (default relu)')
    .option('--radii <a:b:n>', `n radii log-spaced from a to b inclusive (default ${DEFAULT_RADII})`)
    .option(
      '--directions <spec>',
      'hessian: start the minimising (maximising) arcs along ±the eigenvector of λ_min (λ_max); random:N: also N random directions, keeping the best per radius (default hessian)',
    )
    .option('--seed <s>', `seed of the random directions (default ${DEFAULT_SEED}; random:N only)`)
    .option(
      '--t-max <t>',
      `time budget of the gradient flow from the end of the minimising arc (default ${DESCENT_DEFAULTS.tMax})`,
    )
    .option('--out <dir>', 'output directory (required)')
    .action((flags: Flags) => runArcs(flags));
}
