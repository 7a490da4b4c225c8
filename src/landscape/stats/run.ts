import { makeFlow } from '../../theory/config.js';
import { type Flow } from '../../theory/flow.js';
import { randomOverlaps, studentConstraintOf } from '../../theory/init.js';
import { solve } from '../../theory/solvers/solve.js';
import { CLASSIFY_DEFAULTS, type EndClass, classifyEndState } from '../classify.js';
import { solveFixedPoint } from '../newton.js';
import { analyseStability } from '../stability.js';
import type { StatsConfig } from './config.js';

/**
 * How a run ended: `loss` (global by the loss), `newton` (Newton certified a fixed point after the flow
 * slowed), `flow` (the flow itself came to rest), `t-max` (budget exhausted),
 * `diverged` (the integrator failed), `max-steps`.
 */
export type RunFinish = 'loss' | 'newton' | 'flow' | 't-max' | 'diverged' | 'max-steps';

/** One row of runs.csv. */
export interface RunRecord {
  seed: number;
  finalLoss: number;
  class: EndClass;
  k1: number;
  /** Accepted + rejected ODE steps. */
  steps: number;
  wallTime: number;
  tFinal: number;
  /** max|F| at the end state (after Newton when it finished the run). */
  maxRhs: number;
  finish: RunFinish;
  newtonIterations: number;
  /** Realisable unstable directions at the end state; null when the spectrum was not computed. */
  nUnstable: number | null;
}

/**
 * The spectrum (stability.ts) is the expensive part of a classification (an n×n nonsymmetric
 * eigenproblem, n = 442 at K = M = 17), and runs land on the same few families up to a permutation of
 * units. Its result is cached per thread under a permutation-invariant key — the loss (10 digits) and
 * the sorted diagonal of Q (7 digits): fixed points that agree in both are the same family, and a key
 * split by rounding only costs a recomputation.
 */
export class SpectrumCache {
  private readonly cache = new Map<string, number>();
  hits = 0;
  misses = 0;

  unstableDirections(flow: Flow, x: Float64Array, loss: number): number {
    const { K } = flow.layout;
    const diag = Array.from({ length: K }, (_, k) => x[flow.layout.q(k, k)]).sort((a, b) => a - b);
    const key = `${loss.toPrecision(10)}|${diag.map((v) => v.toPrecision(7)).join(',')}`;
    const known = this.cache.get(key);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    this.misses++;
    const n = analyseStability(flow, x).nUnstable;
    this.cache.set(key, n);
    return n;
  }
}

/** Per-thread state of a stats run: the flow (workspaces) and the spectrum cache. */
export class StatsContext {
  readonly flow: Flow;
  readonly spectra = new SpectrumCache();

  constructor(readonly config: StatsConfig) {
    const { K, M } = config;
    this.flow = makeFlow(
      { K, M, activation: config.activation, alpha: config.alpha },
      { name: config.optimizer, lr: config.lr },
    );
  }
}

/**
 * Iteration cap of one hand-over Newton attempt: from max|F| < 1e-4 a regular root takes 1–3 Jacobians;
 * more means the state is not yet in the attractor's Newton basin, and the flow is cheaper than
 * damped Newton steps (each costs 2n rhs evaluations and an O(n³) factorisation).
 */
const NEWTON_ATTEMPT_ITERATIONS = 8;

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * One initialisation: random overlaps at dimension initD from `seed` (src/theory/init.ts; projected on
 * the sphere / Stiefel manifold for ngd / ongd), integrated by dopri5 in chunks of doubling length.
 * After each chunk: loss < globalLoss → global. With finish = newton, once the flow has slowed to
 * max|F| < newtonStartRhs (and the loss is not near 0), Newton–LM polishes the state to rest
 * (max|F| ≤ 1e-9, §7.9); a root close to the flow state (newtonMaxJump) that is not a saddle ends the
 * run — a saddle or a failed / far Newton lets the flow continue with a 10× tighter hand-over. With
 * finish = flow the run ends when the flow itself is at rest. The end state is then classified with
 * the configured thresholds (classify.ts). Deterministic in
 * (config, seed): wall time aside, the record does not depend on the thread or the order of runs.
 */
export function runInitialisation(ctx: StatsContext, seed: number): RunRecord {
  return runInitialisationState(ctx, seed).record;
}

/** A run and the packed state it ended in (the census clusters end states by their overlaps). */
export interface RunOutcome {
  record: RunRecord;
  state: Float64Array;
}

/** runInitialisation, keeping the end state (what the record's loss, class and k1 describe). */
export function runInitialisationState(ctx: StatsContext, seed: number): RunOutcome {
  const started = performance.now();
  const { config: c, flow } = ctx;
  const th = c.thresholds;
  let x = flow.pack(randomOverlaps(c.K, c.M, c.initD, seed, 'initD', studentConstraintOf(c.optimizer)));
  let t = 0;
  let steps = 0;
  let chunk = c.solver.firstChunk;
  // When to stop is separate from how to classify: a run stops only at rest, max|F| ≤
  // min(convergedRhs, 1e-9) (§7.9), or at tMax; the classification then applies convergedRhs — the nGD
  // tables' 1e-2 is a verdict on end states, not a reason to stop a run early in its transient.
  const atRest = Math.min(th.convergedRhs, CLASSIFY_DEFAULTS.convergedRhs);
  let handOver = c.finish === 'newton' ? Math.max(th.newtonStartRhs, atRest) : atRest;
  let newtonIterations = 0;
  let maxRhs = Number.POSITIVE_INFINITY;
  const end = (finish: RunFinish, state: Float64Array, rhs: number, nUnstable: number | null): RunOutcome => {
    const loss = flow.loss(state);
    const cls = classifyEndState(
      { overlaps: flow.unpack(state), loss, maxRhs: rhs, ...(nUnstable === null ? {} : { nUnstable }) },
      th,
    );
    const record: RunRecord = {
      seed,
      finalLoss: loss,
      class: cls.class,
      k1: cls.k1,
      steps,
      wallTime: (performance.now() - started) / 1000,
      tFinal: t,
      maxRhs: rhs,
      finish,
      newtonIterations,
      nUnstable,
    };
    // A copy: the solver may reuse its buffers in the next run of this context.
    return { record, state: Float64Array.from(state) };
  };
  while (t < c.solver.tMax) {
    const span = Math.min(chunk, c.solver.tMax - t);
    const r = solve(flow, x, {
      method: 'dopri5',
      tMax: span,
      saveTimes: [],
      rtol: c.solver.rtol,
      atol: c.solver.atol,
      convergenceTol: handOver,
      maxSteps: Math.max(1, c.solver.maxSteps - steps),
    });
    x = r.xFinal;
    t += r.tFinal;
    steps += r.steps + r.rejected;
    maxRhs = r.maxRhs;
    if (r.status === 'diverged' || r.status === 'max-steps') return end(r.status, x, maxRhs, null);
    const loss = flow.loss(x);
    if (loss < th.globalLoss) return end('loss', x, maxRhs, null);
    if (r.status === 'converged') {
      if (handOver <= atRest) {
        // The flow itself is at rest to the §7.9 tolerance: a minimum, or a saddle it converged onto.
        return end('flow', x, maxRhs, c.spectrum ? ctx.spectra.unstableDirections(flow, x, loss) : null);
      }
      if (loss >= th.newtonMinLoss) {
        const root = solveFixedPoint(flow, x, { tolerance: atRest, maxIterations: NEWTON_ATTEMPT_ITERATIONS });
        newtonIterations += root.iterations;
        if (root.status === 'converged' && maxAbsDiff(root.x, x) <= th.newtonMaxJump) {
          const nUnstable = c.spectrum ? ctx.spectra.unstableDirections(flow, root.x, root.loss) : null;
          if (nUnstable === null || nUnstable === 0) return end('newton', root.x, root.residual, nUnstable);
        }
      }
      // Not finished here (a saddle, a failed or far Newton root, or the loss still small): the flow
      // goes on, and hands over again only once it has slowed 10× further.
      handOver = Math.max(handOver / 10, atRest);
    }
    chunk *= 2;
  }
  return end(maxRhs <= atRest ? 'flow' : 't-max', x, maxRhs, null);
}
