import { type Overlaps, type OverlapsJSON, overlapsToJSON } from '../../model/overlaps.js';
import { makeFlow } from '../../theory/config.js';
import { type Flow } from '../../theory/flow.js';
import { randomOverlaps, studentConstraintOf } from '../../theory/init.js';
import { solve } from '../../theory/solvers/solve.js';
import { CLASSIFY_DEFAULTS, type EndClass, classifyEndState } from '../classify.js';
import { solveFixedPoint } from '../newton.js';
import type { StatsConfig } from './config.js';
import { type PointStability, StabilityChecker } from './saddle-check.js';

/**
 * How a run ended: `loss` (global by the loss), `newton` (Newton certified a fixed point after the flow
 * slowed), `flow` (the flow itself came to rest), `t-max` (budget exhausted),
 * `diverged` (the integrator failed), `max-steps`.
 */
export type RunFinish = 'loss' | 'newton' | 'flow' | 't-max' | 'diverged' | 'max-steps';

/** A saddle the run was pushed off (docs/theory.md §14): its loss and its number of realisable unstable directions. */
export interface PassedSaddle {
  loss: number;
  index: number;
}

/** One row of runs.csv (plus, for non-global end states, the overlaps written to states.jsonl). */
export interface RunRecord {
  seed: number;
  finalLoss: number;
  class: EndClass;
  /** Anti-aligned students under one-to-one matching (classify.ts). */
  k1: number;
  /** Students whose own largest-|R| teacher overlap is negative. */
  k1Argmax: number;
  /** Accepted + rejected ODE steps. */
  steps: number;
  wallTime: number;
  tFinal: number;
  /** max|F| at the end state (after Newton when it finished the run). */
  maxRhs: number;
  finish: RunFinish;
  newtonIterations: number;
  /** Realisable unstable directions at the end state; null when no stability check was made. */
  nUnstable: number | null;
  /** Largest real part of the realisable Jacobian spectrum at the end state; null when not checked. */
  maxRealEigenvalue: number | null;
  /** Saddles met on the way, in order. */
  saddles: PassedSaddle[];
  /** End-state overlaps of a non-global run (states.jsonl); not a runs.csv column. */
  endState?: Pick<Required<OverlapsJSON>, 'Q' | 'R' | 'T'>;
}

/** Per-thread state of a stats run: the flow (workspaces) and the stability checker with its cache. */
export class StatsContext {
  readonly flow: Flow;
  readonly stability: StabilityChecker | null;

  constructor(readonly config: StatsConfig) {
    const { K, M } = config;
    this.flow = makeFlow(
      { K, M, activation: config.activation, alpha: config.alpha },
      { name: config.optimizer, lr: config.lr },
    );
    this.stability =
      config.stability === 'off'
        ? null
        : new StabilityChecker(this.flow, config.stability, config.thresholds.marginalEigenvalue);
  }
}

/**
 * Iteration cap of one hand-over Newton attempt: from max|F| < 1e-4 a regular root takes 1–3 Jacobians;
 * more means the state is not yet in the attractor's Newton basin, and the flow is cheaper than
 * damped Newton steps (each costs n rhs evaluations, a forward-difference Jacobian, and an O(n³) factorisation).
 */
const NEWTON_ATTEMPT_ITERATIONS = 8;

/**
 * Switch from dopri5 to rkc once max|F| < 1e-2 (docs/theory.md §7.5a): dopri5 gets there by t ≈ 25 in
 * ≈ 750 right-hand sides at K = M = 17, after which its step is stability-limited (≈ 3.3/ρ, ρ ≈ 11 at
 * K = M = 17, 30–60 at 100) for the remaining t ~ 10³. Switching at 1e-1 saves 8 % of the right-hand
 * sides at K = 17 and 17 % at K = 100 with the slow-stretch tolerances below, but then rkc at those
 * tolerances runs part of the transient, where the basin is decided: K = 17 seed 5056 ended in another
 * minimum (k1 = 3 instead of the flow-only k1 = 4), which no other combination of the two changes did.
 */
const RKC_START_RHS = 1e-2;

/**
 * Back to rtol for the approach to rest once max|F| < 1e-4: with rkcRtol = 1e-4 all the way, 2 of 60
 * K = M = 17 runs crept near their rest point (max|F| stalled above 1e-9) until t = 1e4; the looser
 * tolerance pays where the flow is slow but still travelling (docs/theory.md §7.5a).
 */
const RKC_TAIL_RHS = 1e-4;

/** The three stretches of a run: method, and the max|F| at which it hands over to the next. */
const TRANSIENT = { method: 'dopri5', until: RKC_START_RHS } as const;
const SLOW = { method: 'rkc', until: RKC_TAIL_RHS } as const;
const TAIL = { method: 'rkc', until: 0 } as const;

/**
 * Leaving a saddle (docs/theory.md §14): the state is put at the saddle plus ESCAPE_STEP along its
 * leading unstable realisable direction (unit 2-norm), far above the Newton residual (1e-9) and the
 * Ritz-vector error (≈ 1e-8), small enough to stay in the linear regime (the saddles' eigenvalues vary
 * on O(0.1) scales of the overlaps). The flow then runs without a convergence test for the time the
 * linearisation needs to carry the deviation to ESCAPE_REACH, ln(REACH/STEP)/Re λ (600 time units at
 * Re λ = 7.6e-3, the K = 17 seed-173 saddle of issue 9), so that it cannot hand the state straight back
 * to Newton and the same saddle.
 */
const ESCAPE_STEP = 1e-3;
const ESCAPE_REACH = 0.1;

/** The Q, R, T of a non-global end state for states.jsonl (only those are written; global runs skip this). */
function endStateOf(overlaps: Overlaps): Pick<Required<OverlapsJSON>, 'Q' | 'R' | 'T'> {
  const { Q, R, T } = overlapsToJSON(overlaps);
  return { Q, R, T };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * One initialisation: random overlaps at dimension initD from `seed` (src/theory/init.ts; projected on
 * the sphere / Stiefel manifold for ngd / ongd), integrated in chunks of doubling length, by dopri5
 * through the transient, by rkc at rkcRtol/rkcAtol once max|F| < RKC_START_RHS and by rkc at rtol/atol
 * once max|F| < RKC_TAIL_RHS (§7.5a).
 * After each chunk: loss < globalLoss → global. With finish = newton, once the flow has slowed to
 * max|F| < newtonStartRhs (and the loss is not near 0), Newton (newton.ts) polishes the state to rest
 * (max|F| ≤ 1e-9, §7.9); a root far from the flow state (newtonMaxJump) or a failed Newton lets the flow
 * continue with a 10× tighter hand-over. With finish = flow the run ends when the flow itself is at rest.
 * A non-global rest point is accepted as an end state only after the stability check (stability ≠ off,
 * saddle-check.ts): a saddle is left along its unstable direction (ESCAPE_STEP) and recorded in
 * `saddles`; a run whose budget ends while it is still leaving one ends on that saddle (class saddle).
 * The end state is then classified with the configured thresholds (classify.ts). Deterministic in
 * (config, seed): wall time aside, the record does not depend on the thread or the order of runs.
 */
export function runInitialisation(ctx: StatsContext, seed: number): RunRecord {
  const started = performance.now();
  const { config: c, flow } = ctx;
  const th = c.thresholds;
  let x = flow.pack(randomOverlaps(c.K, c.M, c.initD, seed, 'initD', studentConstraintOf(c.optimizer)));
  let t = 0;
  let steps = 0;
  // When to stop is separate from how to classify: a run stops only at rest, max|F| ≤
  // min(convergedRhs, 1e-9) (§7.9), or at tMax; the classification then applies convergedRhs — the nGD
  // tables' 1e-2 is a verdict on end states, not a reason to stop a run early in its transient.
  const atRest = Math.min(th.convergedRhs, CLASSIFY_DEFAULTS.convergedRhs);
  const firstHandOver = c.finish === 'newton' ? Math.max(th.newtonStartRhs, atRest) : atRest;
  let handOver = firstHandOver;
  let chunk = c.solver.firstChunk;
  let newtonIterations = 0;
  let maxRhs = Number.POSITIVE_INFINITY;
  const saddles: PassedSaddle[] = [];
  const end = (finish: RunFinish, state: Float64Array, rhs: number, stability: PointStability | null): RunRecord => {
    const loss = flow.loss(state);
    const overlaps = flow.unpack(state);
    const cls = classifyEndState(
      {
        overlaps,
        loss,
        maxRhs: rhs,
        ...(stability ? { nUnstable: stability.nUnstable, marginal: stability.kind === 'marginal' } : {}),
      },
      th,
    );
    return {
      seed,
      finalLoss: loss,
      class: cls.class,
      k1: cls.k1,
      k1Argmax: cls.k1Argmax,
      steps,
      wallTime: (performance.now() - started) / 1000,
      tFinal: t,
      maxRhs: rhs,
      finish,
      newtonIterations,
      nUnstable: stability?.nUnstable ?? null,
      maxRealEigenvalue: stability?.maxRealEigenvalue ?? null,
      saddles,
      ...(cls.class === 'global' ? {} : { endState: endStateOf(overlaps) }),
    };
  };
  const integrate = (span: number, convergenceTol: number) => {
    // §7.5a: dopri5 through the transient, rkc at rkcRtol once the flow has slowed (a stability-limited
    // stretch), rkc at rtol for the approach to rest; each stops at the next switch (unless the caller
    // runs without a convergence test).
    const phase = maxRhs >= RKC_START_RHS ? TRANSIENT : maxRhs >= RKC_TAIL_RHS ? SLOW : TAIL;
    const r = solve(flow, x, {
      method: phase.method,
      tMax: span,
      saveTimes: [],
      rtol: phase === SLOW ? c.solver.rkcRtol : c.solver.rtol,
      atol: phase === SLOW ? c.solver.rkcAtol : c.solver.atol,
      convergenceTol: convergenceTol === 0 ? 0 : Math.max(convergenceTol, phase.until),
      maxSteps: Math.max(1, c.solver.maxSteps - steps),
    });
    x = r.xFinal;
    t += r.tFinal;
    steps += r.steps + r.rejected;
    maxRhs = r.maxRhs;
    return r.status;
  };
  // Soon after an escape the flow can slow below the hand-over again near the saddle it left; Newton would
  // find that saddle once more. A root at the loss of a saddle already passed (to 1e-9, far below the
  // spacing of distinct levels, ≥ 1e-6) is not an end state: the flow goes on (docs/theory.md §13).
  const passedBefore = (loss: number) => saddles.some((s) => Math.abs(s.loss - loss) <= 1e-9 * s.loss);
  /**
   * A rest point reached (the flow at rest, or a Newton root): the run's end there; `escaped` when it was a
   * saddle the run has now been pushed off; null when the run goes on without an escape (a saddle found
   * by the dense check, which gives no direction, at a Newton root).
   */
  const restAt = (
    finish: 'flow' | 'newton',
    point: Float64Array,
    loss: number,
    rhs: number,
  ): RunRecord | 'escaped' | null => {
    if (!ctx.stability) return end(finish, point, rhs, null);
    const stability = ctx.stability.check(point, loss);
    if (stability.kind !== 'saddle') return end(finish, point, rhs, stability);
    if (!stability.escape) return finish === 'flow' ? end('flow', point, rhs, stability) : null;
    // Leave on the flow's side of the saddle (where the state that led to it lies; Newton's root is
    // not the flow state): the flow-only run passes the saddle on that side. At a flow rest point the
    // side is unknown (x = point) and the direction's own sign convention stands.
    let side = 0;
    for (let i = 0; i < x.length; i++) side += (x[i] - point[i]) * stability.escape[i];
    const step = side < 0 ? -ESCAPE_STEP : ESCAPE_STEP;
    const span = Math.log(ESCAPE_REACH / ESCAPE_STEP) / stability.maxRealEigenvalue;
    if (t + span >= c.solver.tMax) {
      // The budget ends before the run could leave this saddle: it ends on the saddle (not integrated
      // further), which is its end state, not a passed saddle (saddles_passed counts the ones left behind).
      t = c.solver.tMax;
      return end('t-max', point, rhs, stability);
    }
    saddles.push({ loss, index: stability.nUnstable });
    for (let i = 0; i < x.length; i++) x[i] = point[i] + step * stability.escape[i];
    integrate(span, 0);
    handOver = firstHandOver;
    chunk = c.solver.firstChunk;
    return 'escaped';
  };
  while (t < c.solver.tMax) {
    const status = integrate(Math.min(chunk, c.solver.tMax - t), handOver);
    if (status === 'diverged' || status === 'max-steps') return end(status, x, maxRhs, null);
    const loss = flow.loss(x);
    if (loss < th.globalLoss) return end('loss', x, maxRhs, null);
    // A stretch ended at its switch (dopri5 → rkc at 1e-2, rkc slow → tail at 1e-4): go on with the next
    // stretch, in a chunk of the same length.
    if (status === 'converged' && maxRhs >= handOver) continue;
    if (status === 'converged') {
      if (handOver <= atRest) {
        // The flow itself is at rest to the §7.9 tolerance: a minimum, or a saddle it converged onto.
        const outcome = restAt('flow', Float64Array.from(x), loss, maxRhs);
        if (outcome === 'escaped' || outcome === null) continue;
        return outcome;
      }
      if (loss >= th.newtonMinLoss) {
        const root = solveFixedPoint(flow, x, { tolerance: atRest, maxIterations: NEWTON_ATTEMPT_ITERATIONS });
        newtonIterations += root.iterations;
        if (root.status === 'converged' && maxAbsDiff(root.x, x) <= th.newtonMaxJump && !passedBefore(root.loss)) {
          const outcome = restAt('newton', root.x, root.loss, root.residual);
          if (outcome === 'escaped') continue;
          if (outcome !== null) return outcome;
        }
      }
      // Not finished here (a saddle without an escape direction, a failed or far Newton root, or the
      // loss still small): the flow goes on, and hands over again only once it has slowed 10× further.
      handOver = Math.max(handOver / 10, atRest);
    }
    chunk *= 2;
  }
  return end(maxRhs <= atRest ? 'flow' : 't-max', x, maxRhs, null);
}
