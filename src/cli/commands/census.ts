import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { checkCost } from '../../runtime/cost.js';
import { CENSUS_DEFAULTS, type CensusConfig, resolveCensusConfig } from '../../studies/census/config.js';
import { FIXED_POINT_STABILITY_METHODS } from '../../landscape/fixed-point-stability.js';
import type { CensusResult } from '../../studies/census/compute.js';
import { censusRows } from '../../studies/census/rows.js';
import { loadCensusScenario } from '../../studies/census/scenario.js';
import { activationNames } from '../../theory/activations/index.js';
import { landscapeFlowNames } from '../../theory/flows/index.js';
import { estimateCensus } from '../cost.js';
import {
  optional,
  parseEnum,
  parseNonNegativeInteger,
  parseNumber,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSeedList,
  rejectFlag,
} from '../parse.js';

type Flags = Record<string, string | undefined>;

/** Census fields → the flags that set them (errors of the resolved configuration name the flag). */
const FLAG_OF: Record<string, string> = {
  M: '--M',
  overparam: '--overparam',
  inits: '--inits',
  initD: '--init-d',
  optimizer: '--optimizer',
  activation: '--activation',
  alpha: '--alpha',
  lr: '--lr',
  seed: '--seed',
  hessian: '--hessian',
  catalogueStability: '--catalogue-stability',
};

/**
 * The shapes: `--K k --M m` (one shape, K − M ∈ {0, 1}), or `--M LIST [--overparam LIST]` (K = M + p for
 * every p, default 0). --K takes one value: a sweep is over the teacher width M.
 */
function shapeFlags(f: Flags): { M: number[]; overparam?: number[] } {
  const M = parseSeedList(f.M, '--M');
  if (f.K === undefined)
    return { M, ...(f.overparam === undefined ? {} : { overparam: parseSeedList(f.overparam, '--overparam') }) };
  if (/[.,]/.test(f.K))
    throw new InputError('--K', `takes one value; sweep with --M LIST --overparam LIST (K = M + p), got "${f.K}"`);
  const K = parsePositiveInteger(f.K, '--K');
  rejectFlag(f.overparam, '--overparam', 'cannot be combined with --K (give --M LIST --overparam LIST, K = M + p)');
  if (M.length !== 1) throw new InputError('--M', 'takes one value with --K (sweep with --M LIST --overparam LIST)');
  if (K !== M[0] && K !== M[0] + 1)
    throw new InputError('--K', `the k1 ansatz needs K = M or K = M + 1 (got K = ${K}, M = ${M[0]})`);
  return { M, overparam: [K - M[0]] };
}

/** Flags → CensusConfig (defaults filled by the schema); every error names its flag. */
function configFromFlags(f: Flags): CensusConfig {
  const input = {
    ...shapeFlags(f),
    inits: parsePositiveInteger(f.inits, '--inits', CENSUS_DEFAULTS.inits),
    initD: optional(f.initD, (s) => parsePositiveInteger(s, '--init-d')) ?? null,
    optimizer: parseEnum(f.optimizer, landscapeFlowNames(), '--optimizer', 'gd'),
    activation: parseEnum(f.activation, activationNames(), '--activation', 'relu'),
    alpha: optional(f.alpha, (s) => parseNumber(s, '--alpha')) ?? null,
    lr: parsePositiveNumber(f.lr, '--lr', 1),
    seed: parseNonNegativeInteger(f.seed, '--seed', 0),
    hessian: parseEnum(f.hessian, ['on', 'off'] as const, '--hessian', CENSUS_DEFAULTS.hessian ? 'on' : 'off') === 'on',
    catalogueStability: parseEnum(
      f.catalogueStability,
      FIXED_POINT_STABILITY_METHODS,
      '--catalogue-stability',
      CENSUS_DEFAULTS.catalogueStability,
    ),
  };
  try {
    return resolveCensusConfig(input, 'census');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const field = err.where.replace(/^census\.?/, '').split('.')[0];
    throw new InputError(FLAG_OF[field] ?? '--M', err.message.replace(/^[^:]*: /, ''));
  }
}

/** Flags a scenario file sets (commander key → flag). */
const SCENARIO_EXCLUSIVE: [string, string][] = [
  ['K', '--K'],
  ...Object.entries(FLAG_OF).filter(([key]) => key !== 'inits'),
];

function summary(result: CensusResult): string {
  return result.shapes
    .map((shape) => {
      const rows = censusRows(shape);
      const global = rows.find((r) => r.point.fixedPoint.stability.verdict === 'global-minimum');
      const stable = rows.filter((r) => r.point.fixedPoint.stability.verdict === 'stable');
      const list = (rs: typeof rows) => rs.map((r) => r.point.k1).join(',') || 'none';
      return `census K=${shape.K} M=${shape.M}: ${rows.length} points; stable k1 ${list(stable)}; hidden k1 ${list(stable.filter((r) => r.hidden))}; global ${global ? (100 * global.reachFraction).toFixed(1) : '–'} % of ${shape.inits}\n`;
    })
    .join('');
}

async function runCensusCommand(f: Flags): Promise<void> {
  // The study (worker pool, Vega plots) is loaded only now: start-up stays short (issue 11).
  const { runCensus } = await import('../../studies/census/runner.js');
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  const out = resolve(f.out);
  const workers = parsePositiveInteger(f.workers, '--workers', 1);
  let config: CensusConfig;
  let record: Record<string, unknown> = {};
  if (f.scenario !== undefined) {
    for (const [key, flag] of SCENARIO_EXCLUSIVE)
      rejectFlag(f[key], flag, 'is set by the scenario file (only --inits and --workers override it)');
    const scenario = loadCensusScenario(f.scenario, {
      ...(f.inits === undefined ? {} : { inits: parsePositiveInteger(f.inits, '--inits') }),
    });
    config = scenario.config;
    record = { scenario: resolve(f.scenario), name: scenario.name };
  } else config = configFromFlags(f);
  checkCost(estimateCensus(config, workers), f.force !== undefined, f.scenario === undefined ? '--M' : '--scenario');
  const result = await withOutputDirectory(out, '--out', (dir) =>
    runCensus(config, dir, { workers, progress: true, record }),
  );
  process.stdout.write(
    `${summary(result)}wrote ${out}/census.{csv,md,html}, points/, config.json (${result.wallSeconds.toFixed(1)} s)\n`,
  );
}

export function registerCensus(program: Command): void {
  program
    .command('census')
    .description(
      'Census of minima: every k1-ansatz fixed point and every end state random initialisations reach, with stability, reach counts with exact 95 % bounds, hidden minima (stable, never reached) and weight-space Hessians; census.csv, census.md, census.html, points/',
    )
    .option('--K <n>', 'student width of a single shape (K = M or M + 1); sweeps use --M LIST --overparam LIST')
    .option('--M <list>', 'teacher width(s): 8, 6..12 or 6,8,10 (required unless --scenario)')
    .option('--overparam <list>', 'p = K − M for every M: 0 and/or 1, e.g. 0,1 (default 0; not with --K)')
    .option('--inits <n>', `random initialisations per shape (default ${CENSUS_DEFAULTS.inits}; overrides a scenario)`)
    .option('--init-d <d>', 'dimension of the random initial weights (default K per shape, Safran–Shamir)')
    .option('--optimizer <name>', `flow: ${landscapeFlowNames().join('|')} (default gd)`)
    .option('--activation <name>', `activation: ${activationNames().join('|')} (default relu; Hessians are ReLU only)`)
    .option('--alpha <a>', 'leaky-relu slope')
    .option('--lr <eta>', 'learning rate η (default 1; eigenvalues scale with it)')
    .option('--seed <s>', 'base seed: initialisation i uses seed + i (default 0)')
    .option('--hessian <on|off>', 'weight-space Hessian of every point at d = rank Ω (ReLU, gd/gd2l; default on)')
    .option(
      '--catalogue-stability <m>',
      `stability of every point: ${FIXED_POINT_STABILITY_METHODS.join('|')} (default ${CENSUS_DEFAULTS.catalogueStability}: dense spectra up to 500 state coordinates, K = M = 18; Krylov above)`,
    )
    .option('--scenario <file>', 'a census scenario JSON (scenarios/hidden-minima.json)')
    .option('--workers <n>', 'worker threads for the runs (default 1); results do not depend on it')
    .option('--force', 'run even when the estimated time or memory exceeds the limit (1 h, 8 GiB; src/runtime/cost.ts)')
    .option('--out <dir>', 'output directory (required)')
    .action((flags: Flags) => runCensusCommand(flags));
}
