import { THRESHOLDS } from '../../model/config.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { configDocument, writeConfigJson } from '../../io/config-file.js';
import { readJsonFile } from '../../io/read-json.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { clampLoss } from '../../io/loss.js';
import { trajectoryCsv, trajectoryRows } from '../../io/trajectory-csv.js';
import { DEFAULT_LEAKY_ALPHA, activationNames, resolveActivationChoice } from '../../theory/activations/index.js';
import { flowDefinition, flowNames } from '../../theory/flows/index.js';
import { type StudentConstraint, randomOverlaps, studentConstraintOf } from '../../theory/init.js';
import { type OdeConfig, type OdeRun, odeSaveTimes, runOde } from '../../theory/ode-run.js';
import { checkCost, estimateOde } from '../../runtime/cost.js';
import { createProgress } from '../../runtime/progress.js';
import { type Overlaps, overlapsToJSON } from '../../model/overlaps.js';
import { overlapsFromJSON } from '../../theory/overlaps.js';
import { DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL, SOLVE_METHODS } from '../../theory/solvers/types.js';
import {
  DEFAULT_SAVE_TIMES,
  buildGridSaveTimes,
  buildSaveTimes,
  formatSaveTimes,
} from '../../theory/solvers/save-times.js';
import {
  optional,
  parseEnum,
  parseNonNegativeInteger,
  parseNonNegativeNumber,
  parseNumber,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSaveTimesFlag,
  rejectFlag,
} from '../parse.js';
import { ONLINE_LR_RULE, defaultOnlineLr } from '../../theory/flows/sgd-learning-rate.js';

/** Defaults of `ode` (all recorded in config.json). */
const ODE_DEFAULTS = {
  lr: 1,
  tMax: 100,
  seed: 1,
  /** The fixed step of euler and map (dopri5 chooses its initial step automatically unless --dt is given). */
  eulerDt: 0.01,
  /** "converged" = max|F| < 1e-9 (docs/theory.md §7.9). */
  convergenceTol: THRESHOLDS.convergedRhs,
  labelNoise: 0,
  /**
   * How far an --init file may be from the constraint set of ngd (Q_kk = 1) or ongd (Q = I): loose
   * enough for overlaps measured on float32 networks, tight enough to catch an unconstrained state.
   */
  constraintTolerance: 1e-4,
} as const;

type OdeFlags = Record<string, string | undefined>;

interface ResolvedOde {
  config: OdeConfig;
  initial: Overlaps;
  format: 'csv' | 'json';
  out: string | null;
}

/** ngd and ongd evolve on constraint sets (docs/theory.md §4.4–4.5): the initial Q must lie on them. */
function checkConstraint(o: Overlaps, constraint: StudentConstraint): void {
  if (constraint === 'none') return;
  const tol = ODE_DEFAULTS.constraintTolerance;
  for (let k = 0; k < o.K; k++) {
    for (let l = 0; l < o.K; l++) {
      if (constraint === 'sphere' && l !== k) continue;
      const target = k === l ? 1 : 0;
      if (Math.abs(o.Q[k * o.K + l] - target) > tol) {
        const set =
          constraint === 'sphere' ? 'the sphere of ngd needs Q_kk = 1' : 'the Stiefel manifold of ongd needs Q = I';
        throw new InputError(`--init.Q[${k}][${l}]`, `is ${o.Q[k * o.K + l]}, but ${set} (tolerance ${tol})`);
      }
    }
  }
}

/** The initial state; a random one is built lazily (`initial()`), after the cost check: at K = 10⁴ it alone takes hours. */
function resolveInit(
  f: OdeFlags,
  constraint: StudentConstraint,
): { init: OdeConfig['init']; initial: () => Overlaps; K: number; M: number } {
  if (f.init !== undefined) {
    rejectFlag(f.initD, '--init-d', 'cannot be combined with --init (the initial overlaps come from the file)');
    rejectFlag(f.seed, '--seed', 'cannot be combined with --init (the initial overlaps come from the file)');
    const initial = overlapsFromJSON(readJsonFile(f.init, '--init'), '--init');
    const K = parsePositiveInteger(f.K, '--K', initial.K);
    const M = parsePositiveInteger(f.M, '--M', initial.M);
    if (K !== initial.K) throw new InputError('--K', `is ${K} but ${f.init} has K = ${initial.K} (rows of Q)`);
    if (M !== initial.M) throw new InputError('--M', `is ${M} but ${f.init} has M = ${initial.M} (columns of R)`);
    checkConstraint(initial, constraint);
    return { init: { kind: 'file', path: resolve(f.init) }, initial: () => initial, K, M };
  }
  const K = parsePositiveInteger(f.K, '--K');
  const M = parsePositiveInteger(f.M, '--M');
  const d = parsePositiveInteger(f.initD, '--init-d', K);
  const seed = parseNonNegativeInteger(f.seed, '--seed', ODE_DEFAULTS.seed);
  return {
    init: { kind: 'random', d, seed },
    initial: () => randomOverlaps(K, M, d, seed, '--init-d', constraint),
    K,
    M,
  };
}

/** Parse and validate every flag (and the init file) before anything is written. */
function resolveOdeFlags(f: OdeFlags): ResolvedOde {
  const { activation, alpha } = resolveActivationChoice(
    parseEnum(f.activation, activationNames(), '--activation', 'relu'),
    optional(f.alpha, (s) => parseNumber(s, '--alpha')),
    {
      activation: '--activation',
      alpha: '--alpha',
    },
  );
  const optimizer = parseEnum(f.optimizer, flowNames(), '--optimizer', 'gd');
  const flow = flowDefinition(optimizer);
  // Stochastic (online SGD) flows: the default η follows K (../defaults.ts), set once K is known.
  const lrGiven = optional(f.lr, (s) => parsePositiveNumber(s, '--lr'));
  if (!flow.trainsReadouts)
    rejectFlag(
      f.lrReadout,
      '--lr-readout',
      `only applies to flows that train the readouts (${flowNames((d) => d.trainsReadouts).join(', ')})`,
    );
  const lrReadout = flow.trainsReadouts
    ? parseNonNegativeNumber(f.lrReadout, '--lr-readout', lrGiven ?? ODE_DEFAULTS.lr)
    : null;
  if (!flow.stochastic)
    rejectFlag(
      f.labelNoise,
      '--label-noise',
      `only applies to stochastic flows (${flowNames((d) => d.stochastic).join(', ')})`,
    );
  const labelNoise = flow.stochastic
    ? parseNonNegativeNumber(f.labelNoise, '--label-noise', ODE_DEFAULTS.labelNoise)
    : null;
  const tMax = parsePositiveNumber(f.tMax, '--t-max', ODE_DEFAULTS.tMax);

  const method = parseEnum(f.method, SOLVE_METHODS, '--method', 'dopri5');
  if (method === 'map' && !flow.gradientFlow) {
    throw new InputError(
      '--method',
      `map is the exact discrete population-GD map (${flowNames((d) => d.gradientFlow).join(', ')}); ${optimizer} takes random steps: use dopri5 or euler`,
    );
  }
  const fixedStep = method === 'euler' || method === 'map';
  const dt = fixedStep
    ? parsePositiveNumber(f.dt, '--dt', ODE_DEFAULTS.eulerDt)
    : f.dt === undefined
      ? null
      : parsePositiveNumber(f.dt, '--dt');
  if (dt !== null && dt > tMax) throw new InputError('--dt', `must not exceed --t-max (${tMax}), got ${dt}`);
  const rtol = parsePositiveNumber(f.rtol, '--rtol', DEFAULT_RTOL);
  const atol = parseNonNegativeNumber(f.atol, '--atol', DEFAULT_ATOL);
  const convergenceTol = parseNonNegativeNumber(f.convergenceTol, '--convergence-tol', ODE_DEFAULTS.convergenceTol);
  const maxSteps = parsePositiveInteger(f.maxSteps, '--max-steps', DEFAULT_MAX_STEPS);
  const saveSpec = parseSaveTimesFlag(f.saveTimes, '--save-times', DEFAULT_SAVE_TIMES);
  if (method === 'map') buildGridSaveTimes(saveSpec, tMax, dt as number, '--save-times', '--dt');
  else buildSaveTimes(saveSpec, tMax, '--save-times');

  const format = parseEnum(f.format, ['csv', 'json'] as const, '--format', 'csv');
  if (format === 'csv' && f.out === undefined)
    throw new InputError('--out', 'is required with --format csv (the output directory)');
  if (format === 'json') rejectFlag(f.out, '--out', 'is not used with --format json (the trajectory goes to stdout)');

  const { init, initial, K, M } = resolveInit(f, studentConstraintOf(optimizer));
  const lr = lrGiven ?? (flow.stochastic ? defaultOnlineLr(K, M) : ODE_DEFAULTS.lr);
  const config: OdeConfig = {
    activation,
    alpha,
    optimizer,
    K,
    M,
    lr,
    lrReadout,
    labelNoise,
    tMax,
    init,
    solver: { method, dt, rtol, atol, convergenceTol, maxSteps, saveTimes: formatSaveTimes(saveSpec) },
  };
  checkCost(
    estimateOde({
      K,
      M,
      tMax,
      method,
      dt,
      initD: init.kind === 'random' ? init.d : null,
      saveRows: odeSaveTimes(config).length,
      readouts: flow.trainsReadouts,
    }),
    f.force !== undefined,
    '--K',
  );
  return { config, initial: initial(), format, out: f.out === undefined ? null : resolve(f.out) };
}

/** config.json: the resolved configuration, the initial overlaps, the solver outcome, provenance. */
function resolvedOde(r: ResolvedOde, run: OdeRun, wallSeconds: number): Record<string, unknown> {
  const { result } = run;
  return {
    ...r.config,
    format: r.format,
    out: r.out,
    initialOverlaps: overlapsToJSON(r.initial),
    result: {
      status: result.status,
      tFinal: result.tFinal,
      // Clamped at 0 like the CSV (a −5e-10 is round-off, io/loss.ts).
      finalLoss: clampLoss(result.loss.length > 0 ? result.loss[result.loss.length - 1] : run.flow.loss(result.xFinal)),
      maxRhs: result.maxRhs,
      steps: result.steps,
      rejected: result.rejected,
      firstStep: result.firstStep,
      savedRows: result.times.length,
      wallSeconds,
    },
  };
}

/** Progress updates per integration at most (one per advance of t by tMax/PROGRESS_UPDATES): cheap at any step count. */
const PROGRESS_UPDATES = 200;

/**
 * Integrate with progress in t/tMax on stderr: a bar on a terminal, plain lines otherwise, silent for a run
 * shorter than the line interval (finalLine 'after-periodic', as train and fixed-points).
 */
function integrateWithProgress(config: OdeConfig, initial: Overlaps): OdeRun {
  const progress = createProgress('ode', config.tMax, { finalLine: 'after-periodic' });
  const stride = config.tMax / PROGRESS_UPDATES;
  let shown = 0;
  try {
    return runOde(config, initial, (t) => {
      if (t - shown < stride && t < config.tMax) return;
      shown = t;
      progress.update(t, `(t = ${t.toPrecision(3)})`);
    });
  } finally {
    progress.done();
  }
}

async function runOdeCommand(flags: OdeFlags): Promise<void> {
  const resolved = resolveOdeFlags(flags);
  const integrate = () => {
    const started = performance.now();
    const run = integrateWithProgress(resolved.config, resolved.initial);
    return { run, doc: resolvedOde(resolved, run, (performance.now() - started) / 1000) };
  };
  if (resolved.format === 'json') {
    const { run, doc } = integrate();
    process.stdout.write(
      `${JSON.stringify({ config: configDocument('ode', doc), trajectory: trajectoryRows([run.trajectory]) })}\n`,
    );
    return;
  }
  await withOutputDirectory(resolved.out as string, '--out', (out) => {
    const { run, doc } = integrate();
    writeFileAtomic(join(out, 'trajectory.csv'), trajectoryCsv([run.trajectory]));
    writeConfigJson(out, 'ode', doc);
  });
}

export function registerOde(program: Command): void {
  program
    .command('ode')
    .description('Integrate the mean-field ODEs (float64) of a soft committee machine and write the overlap trajectory')
    .option('--activation <name>', `activation: ${activationNames().join('|')} (default relu)`)
    .option('--alpha <a>', `leaky-relu slope in [0, 1) (default ${DEFAULT_LEAKY_ALPHA})`)
    .option('--optimizer <name>', `flow: ${flowNames().join('|')} (default gd)`)
    .option('--K <n>', 'student width (required unless --init gives it)')
    .option('--M <n>', 'teacher width (required unless --init gives it)')
    .option('--lr <eta>', `learning rate η (default ${ODE_DEFAULTS.lr}; sgd: ${ONLINE_LR_RULE})`)
    .option('--lr-readout <eta>', 'readout learning rate η_a, gd2l only (default: --lr)')
    .option('--label-noise <sigma>', `label-noise std σ, sgd only (default ${ODE_DEFAULTS.labelNoise})`)
    .option('--t-max <t>', `integrate on [0, t-max] (default ${ODE_DEFAULTS.tMax})`)
    .option('--init <file>', 'initial overlaps JSON {"Q","R","T"?,"a"?,"v"?}')
    .option(
      '--init-d <d>',
      'random init: overlaps of N(0,1) students (normalised for ngd, orthonormalised for ongd) and an orthonormal teacher in dimension d (default K)',
    )
    .option('--seed <s>', `random init seed (default ${ODE_DEFAULTS.seed})`)
    .option(
      '--method <name>',
      `integrator: ${SOLVE_METHODS.join('|')} (default dopri5); rkc is the stabilised explicit Runge–Kutta–Chebyshev method (cheap on long stiff stretches near fixed points); map iterates the exact discrete population-GD map (what a population-gradient network does per step of dt, at any d; not for sgd), --t-max must be a whole number of steps, log:/linear: save times are rounded to the nearest step, listed ones must be multiples of --dt`,
    )
    .option(
      '--dt <h>',
      `euler and map step (default ${ODE_DEFAULTS.eulerDt}); dopri5/rkc initial step (default automatic)`,
    )
    .option('--rtol <r>', `dopri5/rkc relative tolerance (default ${DEFAULT_RTOL})`)
    .option('--atol <a>', `dopri5/rkc absolute tolerance (default ${DEFAULT_ATOL})`)
    .option(
      '--convergence-tol <tol>',
      `stop when max|dx/dt| < tol; later save times repeat the final state; 0 = off (default ${ODE_DEFAULTS.convergenceTol})`,
    )
    .option('--max-steps <n>', `give up after n attempted steps (default ${DEFAULT_MAX_STEPS})`)
    .option('--save-times <spec>', `log:N | linear:N | t0,t1,... (default ${DEFAULT_SAVE_TIMES})`)
    .option('--format <fmt>', 'csv: write DIR/trajectory.csv and DIR/config.json; json: print to stdout (default csv)')
    .option('--force', 'run even when the estimated time or memory exceeds the limit (1 h, 8 GiB; src/runtime/cost.ts)')
    .option('--out <dir>', 'output directory (required with --format csv)')
    .action((flags: OdeFlags) => runOdeCommand(flags));
}
