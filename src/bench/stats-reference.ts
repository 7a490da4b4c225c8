import { CLASSIFY_DEFAULTS, type EndClass, classifyEndState } from '../landscape/classify.js';
import { resolveStatsConfig } from '../landscape/stats/config.js';
import { type RunRecord, StatsContext, runInitialisation } from '../landscape/stats/run.js';
import { randomOverlaps, studentConstraintOf } from '../theory/init.js';
import { solve } from '../theory/solvers/solve.js';

/** One end state of the reference: the class, k1 and final loss. */
export interface EndState {
  seed: number;
  class: EndClass;
  k1: number;
  loss: number;
  seconds: number;
}

/**
 * The flow-only reference classification of issue 11 (the `stats` runner before rkc): dopri5 alone
 * (rtol 1e-6, atol 1e-9) in chunks of doubling length from 100, stopping as global when L < 1e-5 after
 * a chunk, otherwise at rest (max|F| < 1e-9, docs/theory.md §7.9) or at t = 1e4; then classified.
 */
export function dopri5FlowOnly(ctx: StatsContext, seed: number): EndState {
  const started = performance.now();
  const { flow, config } = ctx;
  const init = randomOverlaps(config.K, config.M, config.initD, seed, 'initD', studentConstraintOf(config.optimizer));
  let x = flow.pack(init);
  let t = 0;
  let chunk = config.solver.firstChunk;
  let maxRhs = Infinity;
  while (t < config.solver.tMax) {
    const r = solve(flow, x, {
      method: 'dopri5',
      tMax: Math.min(chunk, config.solver.tMax - t),
      saveTimes: [],
      rtol: config.solver.rtol,
      atol: config.solver.atol,
      convergenceTol: CLASSIFY_DEFAULTS.convergedRhs,
    });
    x = r.xFinal;
    t += r.tFinal;
    maxRhs = r.maxRhs;
    if (r.status !== 't-max' || flow.loss(x) < config.thresholds.globalLoss) break;
    chunk *= 2;
  }
  const loss = flow.loss(x);
  const cls = classifyEndState({ overlaps: flow.unpack(x), loss, maxRhs }, config.thresholds);
  return { seed, class: cls.class, k1: cls.k1, loss, seconds: (performance.now() - started) / 1000 };
}

export interface ReferenceComparison {
  seeds: number;
  /** Same class and k1 as the dopri5 flow-only reference. */
  agree: number;
  disagreements: string[];
  referenceSeconds: number;
  runSeconds: number;
  maxLossGap: number;
  records: RunRecord[];
}

/** The stats runner (finish flow, the default; or newton) on `seeds` seeds against dopri5FlowOnly. */
export function compareWithReference(
  K: number,
  seeds: number,
  seed: number,
  finish: 'flow' | 'newton',
): ReferenceComparison {
  const config = resolveStatsConfig({ K, M: K, inits: seeds, seed, finish });
  const ctx = new StatsContext(config);
  const out: ReferenceComparison = {
    seeds,
    agree: 0,
    disagreements: [],
    referenceSeconds: 0,
    runSeconds: 0,
    maxLossGap: 0,
    records: [],
  };
  for (let i = 0; i < seeds; i++) {
    const ref = dopri5FlowOnly(ctx, seed + i);
    const run = runInitialisation(ctx, seed + i);
    out.records.push(run);
    out.referenceSeconds += ref.seconds;
    out.runSeconds += run.wallTime;
    if (run.class === ref.class && run.k1 === ref.k1) out.agree++;
    else out.disagreements.push(`seed ${seed + i}: ${run.class} k1=${run.k1} vs ${ref.class} k1=${ref.k1}`);
    if (ref.class !== 'global') out.maxLossGap = Math.max(out.maxLossGap, Math.abs(run.finalLoss - ref.loss));
  }
  return out;
}
