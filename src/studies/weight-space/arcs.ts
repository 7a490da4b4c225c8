import { join } from 'node:path';
import { overlapsToJSON } from '../../model/overlaps.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeConfigJson } from '../../io/config-file.js';
import { csvText } from '../../io/csv.js';
import { classifyEndState } from '../../landscape/classify.js';
import { renderPlot } from '../../report/vega.js';
import { CRITICAL_GRADIENT } from '../../theory/hessian/analysis.js';
import { EIGENSPACE_TOLERANCE, SPHERE_DEFAULTS, type TangencyArcs, tangencyArcs } from '../../theory/hessian/arcs.js';
import { DESCENT_DEFAULTS, descendToCriticalPoint, weightObjective } from '../../theory/hessian/relu-arcs.js';
import { reluHessian } from '../../theory/hessian/relu-hessian.js';
import { arcsPlot } from './arcs-plot.js';
import type { WeightPoint } from './point.js';

/** The typed configuration of `arcs`: a realised point, the radii, the starting directions, the flow budget. */
export interface ArcsConfig extends WeightPoint {
  /** The radii as given (a:b:n, recorded) and their values. */
  radiiSpec: string;
  radii: number[];
  /** Random starting directions besides the Hessian's extreme eigenvectors, and their seed (null when none). */
  random: number;
  seed: number | null;
  /** Time budget of the gradient flow from the end of the minimising arc. */
  tMax: number;
  /** Output directory (absolute). */
  out: string;
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

/**
 * Tangency arcs of the ReLU loss around a realised point (docs/hessian.md "Tangency arcs", docs/theory.md
 * §17): min and max of the loss on spheres of the given radii, the barrier, and the critical point the
 * minimising arc flows to (classified as in §13). Writes arcs.csv, arcs.svg, summary.json,
 * critical-point.json and config.json into config.out and returns the lines of the console summary.
 */
export async function runArcsAnalysis(config: ArcsConfig): Promise<string[]> {
  const r = config;
  const started = performance.now();
  const { point, rank } = r.realisation;
  const w = weightObjective(point, r.readouts);
  const gradient = new Float64Array(r.size);
  w.objective.gradient(w.centre, gradient);
  const gradientNorm = Math.sqrt(gradient.reduce((s, g) => s + g * g, 0));
  const { H } = reluHessian(point, { readouts: r.readouts });
  const t = tangencyArcs(w.objective, w.centre, H, {
    radii: r.radii,
    random: r.random,
    ...(r.seed === null ? {} : { seed: r.seed }),
  });
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
  return [
    `arcs (relu, ${r.optimizer}): K=${point.K} M=${point.M} d=${point.d}, ${r.radii.length} radii ${r.radii[0]}…${last.r}; loss0 ${t.lossCentre.toPrecision(10)}, |∇L| ${gradientNorm.toExponential(2)}, λ_min ${t.lambdaMin.toPrecision(6)} ×${t.multiplicityMin}, λ_max ${t.lambdaMax.toPrecision(6)} ×${t.multiplicityMax}`,
    b === null
      ? '  barrier: none within the radii (loss_min ≥ loss0 on every sphere)'
      : `  barrier: loss_min < loss0 from r = ${b.radius.toPrecision(4)}${b.previousRadius === null ? '' : ` (above at ${b.previousRadius.toPrecision(4)})`}; height ${b.height.toExponential(4)}${b.peakRadius === null ? '' : ` at r = ${b.peakRadius.toPrecision(4)}`}`,
    `  flow from the minimising arc at r = ${last.r}: ${descent.status} at t = ${descent.tFinal.toPrecision(4)}, loss ${descent.loss.toPrecision(10)}, ${reached.class}, k1 = ${reached.k1}`,
    `  ${t.allConverged ? 'all sphere optimisations converged' : 'WARNING: some sphere optimisations did not converge (see arcs.csv)'}; wrote ${join(r.out, '{arcs.csv,arcs.svg,summary.json,critical-point.json,config.json}')}`,
  ];
}
