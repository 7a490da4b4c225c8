import { loadavg } from 'node:os';
import { type ActivationName, activationByName } from '../theory/activations/index.js';
import { Flow } from '../theory/flow.js';
import { randomOverlaps } from '../theory/init.js';
import { fieldCovariance, signedCoefficients } from '../model/overlaps.js';
import { quadrupleSecondMoment, sgdSecondMoment } from '../theory/sgd-term.js';
import { solve } from '../theory/solvers/solve.js';
import { markdownTable } from '../io/markdown.js';

/**
 * The "sgd I4" section of the ODE benchmark: the online-SGD right-hand side (docs/theory.md §4.2, whose
 * η² term needs S_kl = Σ_{α,β} c_α c_β I4(k,l,α,β)) next to the plain gradient-flow right-hand side at
 * the same K as the yardstick, the error of S against the plain per-quadruple sum of Activation.I4, and
 * a K = 17 ReLU trajectory to t = 100.
 */

const WIDTHS = [3, 8, 17];
/** Leaky ReLU at the default slope α = 0.1 (activationByName). */
const ACTIVATIONS: ActivationName[] = ['relu', 'leaky-relu', 'erf'];
/** η of the SGD rows and trajectories: at K = M = 17 the ReLU SGD ODE diverges for η ≳ 0.5 (the η² term, §4.2). */
const LR = 0.2;
const TRAJECTORY_K = 17;
const TRAJECTORY_T = 100;
const TRAJECTORY_SEEDS = [1, 2];

type Rate = (rhs: (x: Float64Array, dx: Float64Array) => void, x: Float64Array) => number;

/**
 * The implementation this replaced is not in src/ any more (its frozen copy is the test reference
 * test/theory/reference/sgd-second-moment.ts), so its timings were measured once, not per run.
 */
const BEFORE_NOTE = [
  'Before issue #11 (per-quadruple θ-moment recursion with a 48-node two-pair P4 per 4-field set; erf closed',
  'form per quadruple), measured once on 2026-12-01 in one process alternating with the current code on the',
  'same states (load average 0.4–2.8): sgd right-hand side relu 0.084 / 6.5 / 151 ms at K = 3 / 8 / 17 (now',
  '20× / 30× / 31× faster), leaky relu α = 0.1 0.22 / 16.6 / 400 ms (now 45× / 74× / 60×), erf 493',
  'evaluations/s at K = 17 (now 2.6×). The t = 100 trajectory below (seed 1) took 182 s (1160 evaluations,',
  'load average 2–4). The optimised S matches that implementation to ≤ 2.1e-13 relative on random,',
  'gradient-flow, near-parallel, near-antiparallel, teacher-aligned and rank-deficient states at K = 3, 8, 17',
  '(test/theory/sgd-second-moment.test.ts). States whose field sets are nearly singular (det of the',
  'correlation matrix < 1e-3, e.g. students converged onto teachers) take the old per-quadruple path for those',
  'sets, at the old speed.',
].join('\n');

function sgdRow(name: ActivationName, K: number, rate: Rate): string[] {
  const act = activationByName(name);
  // d = K + M: a full-rank Ω. At d < 4 every 4-field set is exactly singular and takes the generic
  // recursion (relu-sgd/four-field-sets.ts), which would time that path instead (the η² term restores full rank after
  // the first step).
  const o = randomOverlaps(K, K, 2 * K, 1);
  const gd = new Flow('gd', act, o, { lr: LR });
  const sgd = new Flow('sgd', act, o, { lr: LR });
  const x = sgd.pack(o);
  const gdRate = rate((y, dy) => gd.rhs(y, dy), x);
  const sgdRate = rate((y, dy) => sgd.rhs(y, dy), x);
  // Euler steps per second: the same right-hand side plus the solver's bookkeeping, best of three ~0.3 s runs.
  const steps = Math.max(10, Math.round(0.3 * sgdRate));
  let euler = 0;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    solve(sgd, x, { method: 'euler', dt: 1e-3, tMax: steps * 1e-3, saveTimes: [] });
    euler = Math.max(euler, steps / ((performance.now() - start) / 1000));
  }
  const n = 2 * K;
  const omega = fieldCovariance(o);
  const c = signedCoefficients(o);
  const fast = new Float64Array(K * K);
  const slow = new Float64Array(K * K);
  sgdSecondMoment(act, omega, c, K, n, fast);
  quadrupleSecondMoment(act, omega, c, K, n, slow);
  let err = 0;
  for (let i = 0; i < K * K; i++) err = Math.max(err, Math.abs(fast[i] - slow[i]) / Math.abs(slow[i]));
  return [
    name,
    String(K),
    (1e6 / gdRate).toFixed(1),
    (1e3 / sgdRate).toFixed(3),
    (gdRate / sgdRate).toFixed(0),
    Math.round(euler).toLocaleString('en-US'),
    err.toExponential(1),
  ];
}

function trajectoryRow(seed: number): string[] {
  const K = TRAJECTORY_K;
  const o = randomOverlaps(K, K, K, seed);
  const flow = new Flow('sgd', activationByName('relu'), o, { lr: LR });
  let evaluations = 0;
  const system = {
    layout: flow.layout,
    rhs: (y: Float64Array, dy: Float64Array) => {
      evaluations++;
      flow.rhs(y, dy);
    },
    loss: (y: Float64Array) => flow.loss(y),
  };
  const start = performance.now();
  const result = solve(system, flow.pack(o), { method: 'dopri5', tMax: TRAJECTORY_T, saveTimes: [0, TRAJECTORY_T] });
  const seconds = (performance.now() - start) / 1000;
  return [
    String(seed),
    seconds.toFixed(2),
    result.status,
    String(result.steps),
    String(result.rejected),
    String(evaluations),
    ((seconds * 1e3) / evaluations).toFixed(2),
    result.loss[0].toExponential(3),
    result.loss[result.loss.length - 1].toExponential(3),
  ];
}

/** The Markdown of the section; `rate` is the ODE benchmark's evaluations-per-second meter. */
export function sgdSection(rate: Rate): string {
  const load = loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
  const rows = ACTIVATIONS.flatMap((name) => WIDTHS.map((K) => sgdRow(name, K, rate)));
  const trajectories = TRAJECTORY_SEEDS.map(trajectoryRow);
  return [
    `## sgd I4: online-SGD right-hand side (η = ${LR}, K = M, random d = K + M initial overlaps, seed 1; load average at start ${load})`,
    '',
    'The η² term of online SGD needs S_kl = Σ_{α,β} c_α c_β I4(k,l,α,β) (docs/theory.md §4.2): K²(K+M)²/4 I4 per',
    'right-hand side, for ReLU each with a 4-variate orthant probability (§1.1, §7.7). Yardstick: the `gd`',
    'right-hand side at the same K, measured in the same run; ratio = how many `gd` evaluations one `sgd`',
    'evaluation costs. Euler steps/s = `solve(method: euler)` on the `sgd` flow. Max rel. err = max_kl',
    '|S_kl − S′_kl|/|S′_kl| against S′ from every quadruple through `Activation.I4` separately.',
    '',
    markdownTable(
      ['activation', 'K = M', 'gd µs per eval', 'sgd ms per eval', 'sgd / gd', 'Euler steps/s', 'max rel. err of S'],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    BEFORE_NOTE,
    '',
    `### K = M = ${TRAJECTORY_K} ReLU SGD ODE to t = ${TRAJECTORY_T} (dopri5, default tolerances rtol 1e-8, atol 1e-10; η = ${LR}, random d = K start)`,
    '',
    'Target: < 30 s. Wall time includes the solver; ms per eval = wall time / right-hand-side evaluations.',
    '',
    markdownTable(
      [
        'seed',
        'wall s',
        'status',
        'steps',
        'rejected',
        'rhs evals',
        'ms per eval',
        'loss t = 0',
        `loss t = ${TRAJECTORY_T}`,
      ],
      trajectories,
      ['right', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
  ].join('\n');
}
