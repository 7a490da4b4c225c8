import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { configDocument, readConfigJson, writeConfigJson } from '../../io/config-file.js';
import {
  FINISH_MODES,
  STABILITY_METHODS,
  STATS_DEFAULTS,
  type StabilityMethod,
  type StatsConfig,
  resolveStatsConfig,
} from '../../landscape/stats/config.js';
import type { StatsRunResult } from '../../studies/stats/runner.js';
import type { StatsResult } from '../../studies/stats/compute.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { checkCost } from '../../runtime/cost.js';
import { estimateStatsRun } from '../cost.js';
import { activationNames } from '../../theory/activations/index.js';
import { landscapeFlowNames } from '../../theory/flows/index.js';
import {
  optional,
  parseEnum,
  parseNumber,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSeedList,
  rejectFlag,
} from '../parse.js';

type Flags = Record<string, string | undefined>;

/** `--shard i/n`: this process runs initialisations i, i + n, i + 2n, … (0 ≤ i < n). */
function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InputError('--shard', `must be i/n (e.g. 0/4), got "${text}"`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (!(count >= 1 && index < count)) throw new InputError('--shard', `needs 0 <= i < n, got ${index}/${count}`);
  return { index, count };
}

/** Flags → StatsConfig (defaults filled by the schema); every error names its flag. */
function configFromFlags(f: Flags): StatsConfig {
  const K = parsePositiveInteger(f.K, '--K');
  const M = parsePositiveInteger(f.M, '--M');
  const thresholds = Object.fromEntries(
    Object.entries({
      globalLoss: optional(f.globalLoss, (s) => parsePositiveNumber(s, '--global-loss')),
      convergedRhs: optional(f.convergedRhs, (s) => parsePositiveNumber(s, '--converged-rhs')),
      newtonStartRhs: optional(f.newtonStartRhs, (s) => parsePositiveNumber(s, '--newton-start-rhs')),
    }).filter(([, v]) => v !== undefined),
  );
  const input = {
    K,
    M,
    inits: parsePositiveInteger(f.inits, '--inits'),
    optimizer: parseEnum(f.optimizer, landscapeFlowNames(), '--optimizer', STATS_DEFAULTS.optimizer),
    activation: parseEnum(f.activation, activationNames(), '--activation', STATS_DEFAULTS.activation),
    alpha: optional(f.alpha, (s) => parseNumber(s, '--alpha')) ?? null,
    lr: parsePositiveNumber(f.lr, '--lr', STATS_DEFAULTS.lr),
    initD: optional(f.initD, (s) => parsePositiveInteger(s, '--init-d')) ?? null,
    seed: parseNonNegativeInteger(f.seed, '--seed', STATS_DEFAULTS.seed),
    shard: parseShard(f.shard) ?? { index: 0, count: 1 },
    thresholds,
    solver: { tMax: parsePositiveNumber(f.tMax, '--t-max', STATS_DEFAULTS.tMax) },
    finish: parseEnum(f.finish, FINISH_MODES, '--finish', STATS_DEFAULTS.finish),
    stability: stabilityFlag(f),
  };
  try {
    return resolveStatsConfig(input, 'stats');
  } catch (err) {
    // Map schema paths back to the flags that set them.
    if (err instanceof InputError && err.where === 'stats.alpha')
      throw new InputError('--alpha', err.message.replace(/^[^:]*: /, ''));
    if (err instanceof InputError && err.where === 'stats.initD')
      throw new InputError('--init-d', err.message.replace(/^[^:]*: /, ''));
    throw err;
  }
}

/**
 * --stability krylov|dense|off; the older --spectrum on|off (kept) means dense / off. Both at once is an
 * error rather than a precedence rule.
 */
function stabilityFlag(f: Record<string, string | undefined>): StabilityMethod {
  if (f.spectrum !== undefined) {
    rejectFlag(f.stability, '--stability', 'cannot be combined with --spectrum (an older spelling of it)');
    return parseEnum(f.spectrum, ['on', 'off'] as const, '--spectrum', 'off') === 'on' ? 'dense' : 'off';
  }
  return parseEnum(f.stability, STABILITY_METHODS, '--stability', STATS_DEFAULTS.stability);
}

/** --check: every published cell beyond |z| = 3 on stderr, exit status 1 (0 when there is none). */
function reportViolations(violations: string[]): void {
  if (violations.length === 0) {
    process.stderr.write('stats --check: every published cell within |z| ≤ 3\n');
    return;
  }
  process.stderr.write(`stats --check: ${violations.length} published cell(s) beyond |z| = 3:\n`);
  for (const v of violations) process.stderr.write(`  ${v}\n`);
  process.exitCode = 1;
}

/** Flags a scenario file sets (key of the commander options → flag). */
const SCENARIO_EXCLUSIVE: [string, string][] = [
  ['K', '--K'],
  ['M', '--M'],
  ['optimizer', '--optimizer'],
  ['activation', '--activation'],
  ['alpha', '--alpha'],
  ['lr', '--lr'],
  ['initD', '--init-d'],
  ['seed', '--seed'],
  ['globalLoss', '--global-loss'],
  ['convergedRhs', '--converged-rhs'],
  ['newtonStartRhs', '--newton-start-rhs'],
  ['tMax', '--t-max'],
  ['finish', '--finish'],
  ['spectrum', '--spectrum'],
  ['stability', '--stability'],
];

function summaryLine(
  label: string,
  table: { group: string; category: string; fraction: number; se: number }[],
  n: number,
  computed: number,
  seconds: number,
): string {
  const pct = (c: string) => {
    const r = table.find((t) => t.group === 'paper' && t.category === c);
    return r ? `${(100 * r.fraction).toFixed(2)} ± ${(100 * r.se).toFixed(2)}%` : '–';
  };
  return `${label}: ${n} runs (${computed} new, ${seconds.toFixed(1)} s): global ${pct('global')}, local ${pct('local')}, none ${pct('none')}\n`;
}

async function runStatsCommand(f: Flags): Promise<void> {
  // The study (worker pool, Vega histogram) is loaded only now: start-up stays short (issue 11).
  const [{ runStats }, { loadStatsScenario, scenarioViolations, writeStatsScenarioSummary }, { paperAgrees }] =
    await Promise.all([
      import('../../studies/stats/runner.js'),
      import('../../studies/stats/scenario.js'),
      import('../../studies/stats/paper.js'),
    ]);
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  const out = resolve(f.out);
  const workers = parsePositiveInteger(f.workers, '--workers', 1);
  const format = parseEnum(f.format, ['text', 'json'] as const, '--format', 'text');
  if (f.scenario !== undefined) {
    for (const [key, flag] of SCENARIO_EXCLUSIVE)
      rejectFlag(f[key], flag, 'is set by the scenario file (only --inits, --rows, --shard, --workers override it)');
    const overrides = {
      inits: optional(f.inits, (s) => parsePositiveInteger(s, '--inits')),
      rows: optional(f.rows, (s) => parseSeedList(s, '--rows')),
      shard: parseShard(f.shard),
    };
    const scenario = loadStatsScenario(f.scenario, overrides);
    for (const row of scenario.rows)
      checkCost(estimateStatsRun(row.config, workers), f.force !== undefined, `${row.id}`);
    const summaries: Record<string, unknown>[] = [];
    const results: StatsResult[] = [];
    await withOutputDirectory(out, '--out', async () => {
      for (const row of scenario.rows) {
        // Each row directory is locked too: a plain `stats --out DIR/<row>` must not write it meanwhile.
        const result = await withOutputDirectory(join(out, row.id), '--out', (rowDir) => {
          checkStoredStatsConfig(rowDir, '--out');
          return runStats(row.config, rowDir, { workers, paper: row.paper, progress: true, label: `stats ${row.id}` });
        });
        if (format === 'text')
          process.stdout.write(
            summaryLine(row.id, result.table, result.records.length, result.computed, result.wallSeconds),
          );
        summaries.push({
          id: row.id,
          out: join(out, row.id),
          ...jsonSummary(row.config, result),
          paper: row.paper,
          withinThreeSE: paperAgrees(result.records, row.paper),
        });
        results.push(result);
      }
      // Each row directory has its own config.json; this one records how the whole table was run.
      writeConfigJson(out, 'stats', {
        scenario: resolve(f.scenario as string),
        name: scenario.name,
        overrides,
        workers,
        rows: scenario.rows.map((r) => r.id),
      });
      await writeStatsScenarioSummary(out, scenario, results);
    });
    if (format === 'json')
      process.stdout.write(
        `${JSON.stringify({ command: 'stats', scenario: resolve(f.scenario), name: scenario.name, out, rows: summaries })}\n`,
      );
    if (f.check !== undefined) reportViolations(scenarioViolations(scenario, results));
    return;
  }
  rejectFlag(f.rows, '--rows', 'only applies with --scenario');
  rejectFlag(f.check, '--check', 'only applies with --scenario (it compares with the published numbers)');
  const config = configFromFlags(f);
  checkCost(estimateStatsRun(config, workers), f.force !== undefined, '--K');
  const result = await withOutputDirectory(out, '--out', (dir) => {
    checkStoredStatsConfig(dir, '--out');
    return runStats(config, dir, { workers, progress: true });
  });
  if (format === 'json')
    process.stdout.write(
      `${JSON.stringify({ ...configDocument('stats', config), out, ...jsonSummary(config, result) })}\n`,
    );
  else
    process.stdout.write(
      summaryLine('stats', result.table, result.records.length, result.computed, result.wallSeconds),
    );
}

/** The result of one stats directory for --format json: counts, wall time and the whole table. */
function jsonSummary(config: StatsConfig, result: StatsRunResult): Record<string, unknown> {
  return {
    runs: result.records.length,
    expected: shardSize(config),
    computed: result.computed,
    wallSeconds: result.wallSeconds,
    table: result.table,
  };
}

/**
 * A stats directory's config.json must be a complete stats configuration before the runner compares it
 * with this run's (a truncated or hand-edited one would otherwise fail deep inside with a TypeError).
 * Other commands' config.json files are left to the runner, which names them.
 */
export function checkStoredStatsConfig(dir: string, where: string): void {
  const previous = readConfigJson(dir, where);
  if (previous?.command !== 'stats') return;
  try {
    resolveStatsConfig(previous.resolved, 'config.json');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(
      where,
      `${join(dir, 'config.json')} is not a valid stats configuration (${err.message}); use a new directory or repair it`,
    );
  }
}

/** Initialisations of this shard: i, i + n, i + 2n, … below inits. */
function shardSize(config: StatsConfig): number {
  return Math.ceil((config.inits - config.shard.index) / config.shard.count);
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description(
      'Integrate the ODE from many random initialisations in parallel, classify the end states (global / spurious k1 / saddle / not-converged), write runs.csv, table.csv/md and a loss histogram; resumable, shardable',
    )
    .option('--K <n>', 'student width (required unless --scenario)')
    .option('--M <n>', 'teacher width (required unless --scenario)')
    .option('--inits <n>', 'number of random initialisations (required unless --scenario; overrides the scenario)')
    .option('--optimizer <name>', `flow: ${landscapeFlowNames().join('|')} (default ${STATS_DEFAULTS.optimizer})`)
    .option('--activation <name>', `activation: ${activationNames().join('|')} (default relu)`)
    .option('--alpha <a>', 'leaky-relu slope (default 0.1)')
    .option('--lr <eta>', `learning rate (default ${STATS_DEFAULTS.lr})`)
    .option('--init-d <d>', 'dimension of the random initial weights (default K, the Safran–Shamir setting)')
    .option('--seed <s>', `base seed: initialisation i uses seed + i (default ${STATS_DEFAULTS.seed})`)
    .option(
      '--shard <i/n>',
      'run only initialisations i, i+n, i+2n, … (one element of a job array; combine with `merge`)',
    )
    .option('--workers <n>', 'worker threads (default 1); results do not depend on it')
    .option('--t-max <t>', `ODE time budget per run (default ${STATS_DEFAULTS.tMax})`)
    .option(
      '--finish <mode>',
      `newton: Newton once max|F| < --newton-start-rhs; flow: integrate to max|F| <= --converged-rhs (default ${STATS_DEFAULTS.finish})`,
    )
    .option(
      '--stability <method>',
      `certify every non-global rest point: krylov (10–40 ms per point at K = 17) also leaves a saddle along its unstable direction; dense (1.5–2 s) only tells saddles from minima (a saddle the flow rests on ends as class saddle); off (default ${STATS_DEFAULTS.stability})`,
    )
    .option('--spectrum <on|off>', 'older spelling: on = --stability dense, off = --stability off')
    .option('--global-loss <L>', `global if the final loss is below L (default ${STATS_DEFAULTS.globalLoss})`)
    .option('--converged-rhs <f>', `converged if max|F| <= f (default ${STATS_DEFAULTS.convergedRhs})`)
    .option(
      '--newton-start-rhs <f>',
      `hand over to Newton below this max|F| (default ${STATS_DEFAULTS.newtonStartRhs})`,
    )
    .option(
      '--scenario <file>',
      'run every row of a stats scenario (scenarios/table1.json …) into DIR/K<K>-M<M>/, plus DIR/summary.md against the paper',
    )
    .option('--rows <Ks>', 'with --scenario: only the rows with these K (e.g. 6..8)')
    .option(
      '--check',
      'with --scenario: exit 1 listing every published cell more than 3 two-proportion SE from the observed fraction',
    )
    .option(
      '--format <fmt>',
      'text: one summary line per directory on stdout; json: the summary (config, counts, table) as JSON (default text)',
    )
    .option(
      '--force',
      'run even when the estimated time or memory of one initialisation exceeds the limit (1 h, 8 GiB; src/runtime/cost.ts)',
    )
    .option('--out <dir>', 'output directory (required); re-running with the same directory resumes')
    .action((flags: Flags) => runStatsCommand(flags));
}
