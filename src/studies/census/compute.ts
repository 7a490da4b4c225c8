import { isLocal } from '../../landscape/stats/table.js';
import type { Overlaps } from '../../model/overlaps.js';
import { catalogueFamilies } from '../../landscape/catalogue.js';
import { countAntiAlignedArgmax } from '../../landscape/classify.js';
import { permutationSignature, sameSignature } from '../../landscape/distinct.js';
import { type FamilySolution, solutionAt } from '../../landscape/families.js';
import { fixedPointStability } from '../../landscape/fixed-point-stability.js';
import { shardSeeds } from '../../landscape/stats/config.js';
import { type RunRecord, StatsContext, runInitialisation } from '../../landscape/stats/run.js';
import { overlapsFromJSON } from '../../theory/overlaps.js';
import { runPool } from '../../runtime/pool.js';
import { createProgress } from '../../runtime/progress.js';
import type { StudyContext } from '../study.js';
import type { CensusConfig, CensusShape } from './config.js';
import { type PointHessian, pointHessian } from './hessian.js';

/**
 * A census of one landscape (docs/hessian.md "Census of minima"): every fixed point of the k1 block
 * ansatz (docs/theory.md §12, deduplicated up to unit permutations, with its §14 stability), plus every
 * distinct end state that random initialisations reach (§13, §15), each with its reach count and its
 * weight-space Hessian (§17).
 */
export interface CensusPoint {
  K: number;
  M: number;
  /** Measured anti-aligned count (§13) and the argmax reading. */
  k1: number;
  k1Argmax: number;
  /** Index among the catalogue points of the same k1 (by loss), or 'reached' for an end state the ansatz misses. */
  solution: number | 'reached';
  /** Ansatz k1 labels whose solve reached the point (empty for a reached one). */
  labels: number[];
  overlaps: Overlaps;
  fixedPoint: FamilySolution;
  /** Runs whose end state is this point. */
  reachCount: number;
  hessian: PointHessian;
  /** Overlaps JSON, relative to the output directory. */
  file: string;
}

export interface ShapeCensus {
  K: number;
  M: number;
  initD: number;
  inits: number;
  points: CensusPoint[];
  /** Runs that ended neither global nor at rest (not-converged, diverged): in no row. */
  unconverged: number;
  runSeconds: number;
  catalogueSeconds: number;
}

export interface CensusResult {
  config: CensusConfig;
  shapes: ShapeCensus[];
  wallSeconds: number;
}

/**
 * A run's end state is the point of a row when their permutation signatures (loss, sorted diag Q,
 * off-diagonal Q and R entries) agree within this relative tolerance. Runs stop at max|F| ≤ 1e-9 (§7.9),
 * so their overlaps are within ~1e-9/|λ_slow| of the exact point — 5e-7 at the slowest stable family of
 * K = M = 8 (λ = −1.8e-3) — while the overlaps of distinct fixed points differ by ≥ 1e-3
 * (distinct.ts); 1e-5 sits between.
 */
export const MATCH_TOLERANCE = 1e-5;

/** The fixed point of a reached end state that is not in the catalogue: its §14 stability at the end state. */
function reachedSolution(ctx: StatsContext, x: Float64Array, config: CensusConfig): FamilySolution {
  return solutionAt(ctx.flow, x, 'converged', fixedPointStability(ctx.flow, x, config.catalogueStability));
}

const shapeDir = (s: { K: number; M: number }) => `points/K${s.K}-M${s.M}`;

/** Catalogue, runs, clustering and Hessians of one shape. */
async function censusShape(config: CensusConfig, shape: CensusShape, ctx: StudyContext): Promise<ShapeCensus> {
  const { K, M, stats } = shape;
  const label = `census K=${K} M=${M}`;
  const context = new StatsContext(stats);
  const started = performance.now();
  const labels = Array.from({ length: M + 1 }, (_, i) => i);
  const families = ctx.progress ? createProgress(`${label} ansatz`, labels.length, { unit: 'families' }) : null;
  const catalogue = catalogueFamilies(context.flow, labels, {
    stabilityMethod: config.catalogueStability,
    onFamily: (solved, k1) => families?.update(solved, `(k1 = ${k1})`),
  });
  families?.done();
  const catalogueSeconds = (performance.now() - started) / 1000;

  const runsStarted = performance.now();
  const seeds = shardSeeds(stats);
  const progress = ctx.progress ? createProgress(`${label} runs`, seeds.length, { unit: 'runs' }) : null;
  let done = 0;
  const records = await runPool<number, RunRecord>(seeds, {
    workers: ctx.workers,
    script: new URL('./worker.js', import.meta.url),
    workerData: { config: stats },
    inline: (seed) => runInitialisation(context, seed),
    onResult: () => progress?.update(++done),
    describe: (seed) => `seed ${seed}`,
  });
  progress?.done();
  const runSeconds = (performance.now() - runsStarted) / 1000;

  const points: Omit<CensusPoint, 'hessian'>[] = catalogue.map((p) => ({
    K,
    M,
    k1: p.k1,
    k1Argmax: p.k1Argmax,
    solution: p.index,
    labels: p.labels,
    overlaps: p.overlaps,
    fixedPoint: p.solution,
    reachCount: 0,
    file: `${shapeDir(shape)}/${p.file}`,
  }));
  const signatures = points.map((p) => permutationSignature(p.overlaps, p.fixedPoint.loss));
  const global = points.find((p) => p.fixedPoint.stability.verdict === 'global-minimum');
  let unconverged = 0;
  for (const record of records) {
    if (record.class === 'global' && global) {
      global.reachCount++;
      continue;
    }
    if (!record.endState || !isLocal(record)) {
      unconverged++;
      continue;
    }
    // states.jsonl's overlaps of the end state (full precision), with the run's readouts.
    const overlaps = overlapsFromJSON(record.endState, `seed ${record.seed}`);
    const state = context.flow.pack(overlaps);
    const signature = permutationSignature(overlaps, record.finalLoss);
    const i = signatures.findIndex((s) => sameSignature(s, signature, MATCH_TOLERANCE));
    if (i >= 0) {
      points[i].reachCount++;
      continue;
    }
    const fixedPoint = reachedSolution(context, state, config);
    const k1 = fixedPoint.k1;
    const index = points.filter((p) => p.solution === 'reached' && p.k1 === k1).length;
    points.push({
      K,
      M,
      k1,
      k1Argmax: countAntiAlignedArgmax(overlaps),
      solution: 'reached',
      labels: [],
      overlaps,
      fixedPoint,
      reachCount: 1,
      file: `${shapeDir(shape)}/reached-k1-${k1}-${index}.json`,
    });
    signatures.push(signature);
  }
  return {
    K,
    M,
    initD: stats.initD,
    inits: seeds.length,
    points: points.map((p) => ({ ...p, hessian: pointHessian(config, p.overlaps) })),
    unconverged,
    runSeconds,
    catalogueSeconds,
  };
}

/** The census of every configured shape, in order (each shape's runs on the worker pool). */
export async function computeCensus(config: CensusConfig, ctx: StudyContext): Promise<CensusResult> {
  const started = performance.now();
  const shapes: ShapeCensus[] = [];
  for (const shape of config.shapes) shapes.push(await censusShape(config, shape, ctx));
  return { config, shapes, wallSeconds: (performance.now() - started) / 1000 };
}
