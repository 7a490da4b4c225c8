import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { configDocument, configJson } from '../../io/config-file.js';
import { createProgress } from '../../runtime/progress.js';
import { readJsonFile } from '../../io/read-json.js';
import { type CataloguedPoint, catalogueFamilies, fixedPointJSON } from '../../landscape/catalogue.js';
import { countAntiAlignedArgmax } from '../../landscape/classify.js';
import { type FamilySolution, solutionAt } from '../../landscape/families.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { checkCost } from '../../runtime/cost.js';
import { estimateFixedPoints } from '../cost.js';
import { NEWTON_TOLERANCE, solveFixedPoint } from '../../landscape/newton.js';
import {
  PERTURBATION_DEFAULTS,
  type PerturbationRow,
  embedWithZeroUnit,
  perturbationStudy,
} from '../../landscape/perturb.js';
import { FAMILY_COLUMNS, type FamilyRow, familyCells, familyRow } from '../../landscape/report-rows.js';
import { analyseStability } from '../../landscape/stability.js';
import { csvText } from '../../io/csv.js';
import { DEFAULT_LEAKY_ALPHA, activationNames, resolveActivationChoice } from '../../theory/activations/index.js';
import { makeFlow } from '../../theory/config.js';
import type { Flow, FlowName } from '../../theory/flow.js';
import { landscapeFlowNames } from '../../theory/flows/index.js';
import type { Overlaps } from '../../model/overlaps.js';
import { overlapsFromJSON } from '../../theory/overlaps.js';
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

interface Resolved {
  optimizer: FlowName;
  activation: string;
  alpha: number | null;
  lr: number;
  K: number;
  M: number;
  source: { kind: 'ansatz'; k1: number[] } | { kind: 'file'; path: string; overlaps: Overlaps };
  newtonTolerance: number;
  perturb: { sigmas: number[]; d: number; tRelax: number; repetitions: number; seed: number } | null;
  out: string;
  format: 'text' | 'json';
}

/** Validate every flag (and read --from) before anything is computed or written. */
function resolveFixedPointFlags(f: Flags): Resolved {
  // The landscape flows only: a stochastic flow's fixed points depend on η through its noise term.
  const optimizer = parseEnum(f.optimizer, landscapeFlowNames(), '--optimizer', 'gd');
  const { activation, alpha } = resolveActivationChoice(
    parseEnum(f.activation, activationNames(), '--activation', 'relu'),
    optional(f.alpha, (s) => parseNumber(s, '--alpha')),
    {
      activation: '--activation',
      alpha: '--alpha',
    },
  );
  const lr = parsePositiveNumber(f.lr, '--lr', 1);
  const newtonTolerance = parsePositiveNumber(f.newtonTol, '--newton-tol', NEWTON_TOLERANCE);
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  const format = parseEnum(f.format, ['text', 'json'] as const, '--format', 'text');
  let source: Resolved['source'];
  let K: number;
  let M: number;
  if (f.from !== undefined) {
    rejectFlag(f.k1, '--k1', 'cannot be combined with --from (the start comes from the file)');
    const overlaps = overlapsFromJSON(readJsonFile(f.from, '--from'), '--from');
    K = parsePositiveInteger(f.K, '--K', overlaps.K);
    M = parsePositiveInteger(f.M, '--M', overlaps.M);
    if (K !== overlaps.K) throw new InputError('--K', `is ${K} but ${f.from} has K = ${overlaps.K}`);
    if (M !== overlaps.M) throw new InputError('--M', `is ${M} but ${f.from} has M = ${overlaps.M}`);
    source = { kind: 'file', path: resolve(f.from), overlaps };
  } else {
    K = parsePositiveInteger(f.K, '--K');
    M = parsePositiveInteger(f.M, '--M');
    if (K !== M && K !== M + 1)
      throw new InputError(
        '--K',
        `the k1 ansatz needs K = M or K = M + 1 (got K = ${K}, M = ${M}); use --from for other shapes`,
      );
    const k1 = parseSeedList(
      f.k1,
      '--k1',
      Array.from({ length: M + 1 }, (_, i) => i),
    );
    const bad = k1.find((k) => k > M);
    if (bad !== undefined) throw new InputError('--k1', `must lie in 0..${M}, got ${bad}`);
    source = { kind: 'ansatz', k1 };
  }
  let perturb: Resolved['perturb'] = null;
  if (f.perturb !== undefined) {
    if (optimizer !== 'gd')
      throw new InputError('--perturb', 'the perturbation protocol relaxes with gd (App. D); use --optimizer gd');
    perturb = {
      sigmas: f.perturb.split(',').map((s) => parsePositiveNumber(s.trim(), '--perturb')),
      d: parsePositiveInteger(f.perturbD, '--perturb-d', Math.max(PERTURBATION_DEFAULTS.d, K + M + 1)),
      tRelax: parsePositiveNumber(f.tRelax, '--t-relax', PERTURBATION_DEFAULTS.tRelax),
      repetitions: parsePositiveInteger(f.repetitions, '--repetitions', PERTURBATION_DEFAULTS.repetitions),
      seed: parseNonNegativeInteger(f.perturbSeed, '--perturb-seed', PERTURBATION_DEFAULTS.seed),
    };
    if (perturb.d < K + M + 1)
      throw new InputError(
        '--perturb-d',
        `must be at least K + M + 1 = ${K + M + 1} (room for the K = M + 1 embedding), got ${perturb.d}`,
      );
  } else {
    for (const [flag, key] of [
      ['--perturb-d', 'perturbD'],
      ['--t-relax', 'tRelax'],
      ['--repetitions', 'repetitions'],
      ['--perturb-seed', 'perturbSeed'],
    ] as const) {
      rejectFlag(f[key], flag, 'only applies with --perturb');
    }
  }
  return { optimizer, activation, alpha, lr, K, M, source, newtonTolerance, perturb, out: resolve(f.out), format };
}

function flowFor(r: Resolved, fixed?: Overlaps): Flow {
  return makeFlow({ K: r.K, M: r.M, activation: r.activation, alpha: r.alpha }, { name: r.optimizer, lr: r.lr }, fixed);
}

/** Newton from a given state (--from): one fixed point, its k1 by matching, its stability. */
function fixedPointFrom(r: Resolved, flow: Flow, overlaps: Overlaps): FamilySolution {
  const x0 = flow.pack(overlaps);
  const stability0 = analyseStability(flow, x0);
  // At the global minimum the Jacobian is singular (docs/theory.md §7.4): report it, do not solve there.
  const solved =
    stability0.verdict === 'global-minimum' ? null : solveFixedPoint(flow, x0, { tolerance: r.newtonTolerance });
  return solved ? solutionAt(flow, solved.x, solved.status) : solutionAt(flow, x0, 'converged', stability0);
}

const PERTURBATION_COLUMNS = [
  'case',
  'k1',
  'solution',
  'K',
  'sigma',
  'repetitions',
  'loss_gap_mean',
  'loss_gap_sd',
  'distance_mean',
  'distance_sd',
  'initial_distance_mean',
];

async function runFixedPoints(flags: Flags): Promise<void> {
  const r = resolveFixedPointFlags(flags);
  const estimate = estimateFixedPoints({
    K: r.K,
    M: r.M,
    families: r.source.kind === 'ansatz' ? r.source.k1.length : null,
    perturb: r.perturb,
  });
  checkCost(estimate, flags.force !== undefined, '--K');
  await withOutputDirectory(r.out, '--out', () => computeFixedPoints(r));
}

function computeFixedPoints(r: Resolved): void {
  const started = performance.now();
  let flow: Flow;
  let points: CataloguedPoint[];
  if (r.source.kind === 'file') {
    flow = flowFor(r, r.source.overlaps);
    const solution = fixedPointFrom(r, flow, r.source.overlaps);
    const overlaps = flow.unpack(solution.x);
    points = [
      {
        solution,
        overlaps,
        k1: solution.k1,
        k1Argmax: countAntiAlignedArgmax(overlaps),
        labels: [],
        index: 0,
        file: 'fixed-point.json',
      },
    ];
  } else {
    flow = flowFor(r);
    // Each family costs one n×n spectrum (~4 s at K = M = 20, minutes beyond K = 30): show progress.
    const progress = createProgress('fixed-points', r.source.k1.length, {
      unit: 'families',
      finalLine: 'after-periodic',
    });
    try {
      points = catalogueFamilies(flow, r.source.k1, {
        newton: { tolerance: r.newtonTolerance },
        onFamily: (solved, k1) => progress.update(solved, `(k1 = ${k1})`),
      });
    } finally {
      progress.done();
    }
  }
  const found = points.map((p) => ({ solution: p.solution, index: p.index, flow, k1: p.k1 }));
  const files: [string, string][] = points.map((p) => [p.file, `${JSON.stringify(fixedPointJSON(p), null, 2)}\n`]);
  const rows: FamilyRow[] = points.map(familyRow);
  files.push(['families.csv', csvText([...FAMILY_COLUMNS], rows.map(familyCells))]);
  let perturbation: PerturbationRow[][] = [];
  if (r.perturb) {
    const cases = perturbationCases(r, found);
    perturbation = cases.map((c) => c.rows);
    files.push([
      'perturbation.csv',
      csvText(
        PERTURBATION_COLUMNS,
        cases.flatMap((c) =>
          c.rows.map((p) => [
            c.case,
            c.k1,
            c.solution,
            c.K,
            p.sigma,
            p.repetitions,
            p.lossGapMean,
            p.lossGapSd,
            p.distanceMean,
            p.distanceSd,
            p.initialDistanceMean,
          ]),
        ),
      ),
    ]);
  }
  const config = {
    optimizer: r.optimizer,
    activation: r.activation,
    alpha: r.alpha,
    lr: r.lr,
    K: r.K,
    M: r.M,
    source: r.source.kind === 'file' ? { kind: 'file', path: r.source.path } : r.source,
    newtonTolerance: r.newtonTolerance,
    perturb: r.perturb,
    fixedPoints: rows.length,
    perturbationCases: perturbation.length,
    wallSeconds: (performance.now() - started) / 1000,
  };
  files.push(['config.json', configJson('fixed-points', config)]);
  for (const [name, text] of files) writeFileAtomic(join(r.out, name), text);
  if (r.format === 'json') {
    const fixedPoints = rows.map((row) =>
      Object.fromEntries(familyCells(row).map((cell, i) => [FAMILY_COLUMNS[i], cell])),
    );
    process.stdout.write(
      `${JSON.stringify({ ...configDocument('fixed-points', config), out: r.out, fixedPoints, perturbation: perturbation.flat() })}\n`,
    );
    return;
  }
  const verdicts = new Map<string, number>();
  for (const row of rows) verdicts.set(row.stability.verdict, (verdicts.get(row.stability.verdict) ?? 0) + 1);
  const counts = [...verdicts].map(([verdict, n]) => `${n} ${verdict}`).join(', ');
  process.stdout.write(
    `fixed-points: ${rows.length} fixed point${rows.length === 1 ? '' : 's'} at K = ${r.K}, M = ${r.M}${counts ? ` (${counts})` : ''} in ${r.out} (${config.wallSeconds.toFixed(1)} s)\n`,
  );
}

/**
 * --perturb: each non-global fixed point that is stable at K = M (and, at K = M, its embedding into
 * K = M + 1 with a zero unit) goes through the App. D protocol (perturb.ts).
 */
function perturbationCases(r: Resolved, found: { solution: FamilySolution; index: number; flow: Flow; k1: number }[]) {
  const options = r.perturb as NonNullable<Resolved['perturb']>;
  const cases: { case: string; k1: number; solution: number; K: number; rows: PerturbationRow[] }[] = [];
  for (const { solution, index, flow, k1 } of found) {
    if (solution.stability.verdict === 'global-minimum') continue;
    const point = flow.unpack(solution.x);
    cases.push({
      case: `K=${point.K}`,
      k1,
      solution: index,
      K: point.K,
      rows: perturbationStudy(flow, point, options),
    });
    if (point.K === point.M) {
      const embedded = embedWithZeroUnit(point);
      const wide = makeFlow({ ...r, K: embedded.K }, { name: 'gd', lr: r.lr }, embedded);
      cases.push({
        case: 'K=M+1 embedded',
        k1,
        solution: index,
        K: embedded.K,
        rows: perturbationStudy(wide, embedded, options),
      });
    }
  }
  return cases;
}

export function registerFixedPoints(program: Command): void {
  program
    .command('fixed-points')
    .description(
      'Solve the k1 block-ansatz fixed points (or polish a given state) with Newton–LM, classify their stability, write families.csv',
    )
    .option('--K <n>', 'student width (K = M or M + 1 for the ansatz; required unless --from)')
    .option('--M <n>', 'teacher width (required unless --from)')
    .option('--optimizer <name>', `flow: ${landscapeFlowNames().join('|')} (default gd)`)
    .option('--activation <name>', `activation: ${activationNames().join('|')} (default relu)`)
    .option('--alpha <a>', `leaky-relu slope in [0, 1) (default ${DEFAULT_LEAKY_ALPHA})`)
    .option('--lr <eta>', 'learning rate η (default 1; eigenvalues scale with it)')
    .option('--k1 <list>', 'families to solve: 3, 0..8 or 1,2,5 (default 0..M)')
    .option('--from <file>', 'overlaps JSON to start Newton from instead of the ansatz (an ODE end point, a network)')
    .option('--newton-tol <tol>', `target max|F| (default ${NEWTON_TOLERANCE})`)
    .option(
      '--perturb <sigmas>',
      'also run the App. D weight-space perturbation protocol (gd) at these σ, e.g. 0.01,0.1 → perturbation.csv',
    )
    .option(
      '--perturb-d <d>',
      `realisation dimension of the perturbation (default max(${PERTURBATION_DEFAULTS.d}, K + M + 1))`,
    )
    .option('--t-relax <t>', `relaxation time after a perturbation (default ${PERTURBATION_DEFAULTS.tRelax})`)
    .option('--repetitions <n>', `perturbations per σ (default ${PERTURBATION_DEFAULTS.repetitions})`)
    .option('--perturb-seed <s>', `first perturbation seed (default ${PERTURBATION_DEFAULTS.seed})`)
    .option(
      '--format <fmt>',
      "text: one summary line on stdout; json: the summary (config and every fixed point's families.csv row) as JSON (default text)",
    )
    .option('--force', 'run even when the estimated time or memory exceeds the limit (1 h, 8 GiB; src/runtime/cost.ts)')
    .option('--out <dir>', 'output directory (required)')
    .action((flags: Flags) => runFixedPoints(flags));
}
