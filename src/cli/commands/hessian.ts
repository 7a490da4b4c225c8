import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { type Overlaps, overlapsToJSON } from '../../model/overlaps.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeConfigJson } from '../../io/config-file.js';
import { csvText } from '../../io/csv.js';
import { readJsonFile } from '../../io/read-json.js';
import { overlapsFromJSON } from '../../theory/overlaps.js';
import {
  CRITICAL_GRADIENT,
  HESSIAN_METHODS,
  type HessianAnalysis,
  MAX_PARAMETERS,
  type HessianMethod,
  SPECTRUM_TOLERANCES,
  type WeightRealisation,
  analyseHessian,
  predictedZeroModes,
  realiseForHessian,
} from '../../theory/hessian/analysis.js';
import { FD_HESSIAN_STEP } from '../../theory/hessian/relu-hessian.js';
import { optional, parseEnum, parsePositiveInteger, parsePositiveNumber } from '../parse.js';

type Flags = Record<string, string | undefined>;

/** gd: the Hessian in V only (readouts fixed); gd2l: V and the readouts a (docs/theory.md §17, docs/hessian.md). */
export const HESSIAN_OPTIMIZERS = ['gd', 'gd2l'] as const;
export type HessianOptimizer = (typeof HESSIAN_OPTIMIZERS)[number];

/** What `hessian` and `arcs` share: the overlaps of --from realised in weights at --d, ReLU, gd or gd2l. */
export interface ResolvedPoint {
  from: string;
  overlaps: Overlaps;
  optimizer: HessianOptimizer;
  readouts: boolean;
  /** --d as given (null = the default, rank Ω). */
  dRequested: number | null;
  realisation: WeightRealisation;
  size: number;
}

/**
 * Parse --activation (relu only: the closed form is ReLU's), --optimizer, --d and --from, read the
 * file and realise it (every failure an InputError naming its flag, before anything is computed).
 */
export function resolvePointFlags(f: Flags): ResolvedPoint {
  if (f.activation !== undefined && f.activation !== 'relu') {
    throw new InputError(
      '--activation',
      `the weight-space Hessian is the closed form of the ReLU loss (docs/hessian.md); only relu is supported, got "${f.activation}"`,
    );
  }
  const optimizer = parseEnum(f.optimizer, HESSIAN_OPTIMIZERS, '--optimizer', 'gd');
  const dRequested = optional(f.d, (s) => parsePositiveInteger(s, '--d')) ?? null;
  if (f.from === undefined) throw new InputError('--from', 'is required (an overlaps JSON {"Q","R","T"?,"a"?,"v"?})');
  const overlaps = overlapsFromJSON(readJsonFile(f.from, '--from'), '--from');
  const realisation = realiseForHessian(overlaps, dRequested ?? undefined, '--d', '--from');
  const readouts = optimizer === 'gd2l';
  const size = overlaps.K * realisation.point.d + (readouts ? overlaps.K : 0);
  if (size > MAX_PARAMETERS)
    throw new InputError(
      '--d',
      `K·d${readouts ? ' + K' : ''} = ${size} parameters exceeds ${MAX_PARAMETERS} (dense O(P³) eigendecomposition); use a smaller --d`,
    );
  return { from: resolve(f.from), overlaps, optimizer, readouts, dRequested, realisation, size };
}

export function requireOut(f: Flags): string {
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  return resolve(f.out);
}

interface Resolved extends ResolvedPoint {
  method: HessianMethod;
  zeroTol: number;
  clusterTol: number;
  out: string;
}

function resolveHessianFlags(f: Flags): Resolved {
  const method = parseEnum(f.method, HESSIAN_METHODS, '--method', 'exact');
  const zeroTol = parsePositiveNumber(f.zeroTol, '--zero-tol', SPECTRUM_TOLERANCES[method].zero);
  const clusterTol = parsePositiveNumber(f.clusterTol, '--cluster-tol', SPECTRUM_TOLERANCES[method].cluster);
  const out = requireOut(f);
  return { ...resolvePointFlags(f), method, zeroTol, clusterTol, out };
}

/** summary.json: the spectrum in numbers, with every tolerance stated and the zero modes explained. */
export function hessianSummary(
  r: ResolvedPoint & { method: HessianMethod },
  a: HessianAnalysis,
): Record<string, unknown> {
  const { point, rank, teacherRank, droppedMax } = r.realisation;
  const predicted = predictedZeroModes(point.d, rank, teacherRank, point.K, r.readouts);
  const critical = a.gradientNorm <= CRITICAL_GRADIENT;
  const unexplained = a.counts.zero - predicted.total;
  let note: string;
  if (unexplained === 0) note = 'every zero eigenvalue is a predicted symmetry mode';
  else if (!critical)
    note = `|∇L| = ${a.gradientNorm.toExponential(2)}: not a critical point, so the symmetry directions need not be zero modes (H(Av) = A∇L ≠ 0)`;
  else if (unexplained > 0)
    note = `${unexplained} zero modes beyond the symmetry orbit (e.g. coincident students that can be split, a flat family of critical points)`;
  else
    note = `${-unexplained} predicted zero modes are not below the zero tolerance (raise --zero-tol, or the point is only approximately critical)`;
  return {
    activation: 'relu',
    normalisation: 'V = W/√d, L = ½E[(f − f*)²] (docs/theory.md §17)',
    optimizer: r.optimizer,
    parameters: r.readouts ? 'V (K·d, row-major) then a (K)' : 'V (K·d, row-major)',
    method: r.method,
    ...(r.method === 'fd' ? { fdStep: `${FD_HESSIAN_STEP}·|v_k| (|a_k| for a readout)` } : {}),
    K: point.K,
    M: point.M,
    d: point.d,
    rank,
    teacherRank,
    size: a.size,
    realisationError: droppedMax,
    loss: a.loss,
    gradientNorm: a.gradientNorm,
    critical,
    criticalThreshold: CRITICAL_GRADIENT,
    min: a.eigenvalues[0],
    max: a.eigenvalues[a.eigenvalues.length - 1],
    counts: a.counts,
    tolerances: {
      scale: a.scale,
      zero: { relative: a.zeroTolerance / a.scale, absolute: a.zeroTolerance, rule: '|λ| ≤ absolute counts as zero' },
      cluster: {
        relative: a.clusterTolerance / a.scale,
        absolute: a.clusterTolerance,
        rule: 'sorted eigenvalues closer than absolute are one group (value = mean)',
      },
    },
    zeroModes: {
      measured: a.counts.zero,
      predicted,
      formula:
        'rotations (d − r)(r − r*) + (r − r*)(r − r* − 1)/2 with r = rank Ω, r* = rank T; + K readout rescalings with gd2l (docs/hessian.md "Zero modes")',
      explained: unexplained === 0,
      note,
    },
    contacts: a.contacts.map((c) => ({ kind: c.kind, label: c.label, angle: Number.isNaN(c.angle) ? null : c.angle })),
    contactNote:
      a.contacts.length === 0
        ? 'no zero or (anti)parallel vectors: L is smooth here'
        : 'at (anti)parallel pairs L is C² but not C³: the exact Hessian is the continuous limit, central differences are only O(h) accurate (docs/hessian.md "Regularity")',
    spectrum: a.groups,
  };
}

function runHessian(flags: Flags): void {
  const r = resolveHessianFlags(flags);
  const started = performance.now();
  const a = analyseHessian(r.realisation.point, {
    readouts: r.readouts,
    method: r.method,
    zero: r.zeroTol,
    cluster: r.clusterTol,
  });
  const summary = hessianSummary(r, a);
  const wallSeconds = (performance.now() - started) / 1000;
  writeFileAtomic(
    join(r.out, 'eigenvalues.csv'),
    csvText(
      ['eigenvalue'],
      a.eigenvalues.map((l) => [l]),
    ),
  );
  writeFileAtomic(
    join(r.out, 'spectrum.csv'),
    csvText(
      ['eigenvalue', 'multiplicity'],
      a.groups.map((g) => [g.value, g.multiplicity]),
    ),
  );
  writeFileAtomic(join(r.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeConfigJson(r.out, 'hessian', {
    activation: 'relu',
    from: r.from,
    optimizer: r.optimizer,
    method: r.method,
    d: r.realisation.point.d,
    dRequested: r.dRequested,
    zeroTol: r.zeroTol,
    clusterTol: r.clusterTol,
    fdStep: r.method === 'fd' ? FD_HESSIAN_STEP : null,
    out: r.out,
    overlaps: overlapsToJSON(r.overlaps),
    result: {
      size: a.size,
      min: summary.min,
      max: summary.max,
      counts: a.counts,
      loss: a.loss,
      gradientNorm: a.gradientNorm,
      wallSeconds,
    },
  });
  const { point, rank } = r.realisation;
  const fmt = (x: number) => x.toPrecision(10);
  const lines = [
    `hessian (relu, ${r.optimizer}, ${r.method}): K=${point.K} M=${point.M} d=${point.d} rank=${rank}, ${a.size} eigenvalues; loss ${a.loss.toExponential(6)}, |∇L| ${a.gradientNorm.toExponential(2)}`,
    `  min ${fmt(a.eigenvalues[0])}, max ${fmt(a.eigenvalues[a.size - 1])}; negative ${a.counts.negative}, zero ${a.counts.zero} (|λ| ≤ ${a.zeroTolerance.toExponential(1)}), positive ${a.counts.positive}`,
    `  spectrum (groups within ${a.clusterTolerance.toExponential(1)}):`,
    ...a.groups.map((g) => `    ${fmt(g.value)} ×${g.multiplicity}`),
    `  wrote ${join(r.out, '{eigenvalues.csv,spectrum.csv,summary.json,config.json}')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerHessian(program: Command): void {
  program
    .command('hessian')
    .description(
      'Weight-space Hessian of the ReLU population loss w.r.t. V = W/√d at the overlaps of --from, realised in weights at dimension d: eigenvalues.csv, spectrum.csv, summary.json',
    )
    .option(
      '--from <file>',
      'overlaps JSON {"Q","R","T"?,"a"?,"v"?} (required), e.g. a fixed point written by fixed-points',
    )
    .option(
      '--d <d>',
      'input dimension of the realisation (default: rank of the joint Gram matrix [[Q, R], [Rᵀ, T]]; must not be smaller)',
    )
    .option(
      '--optimizer <name>',
      'gd: Hessian in V (K·d parameters); gd2l: V and the readouts a (K·d + K) (default gd)',
    )
    .option(
      '--method <name>',
      `exact: closed form (docs/hessian.md); fd: central differences of the exact gradient, step ${FD_HESSIAN_STEP}·|v_k| (default exact)`,
    )
    .option('--activation <name>', 'relu only: the closed form is that of the ReLU loss (default relu)')
    .option(
      '--zero-tol <rel>',
      `|λ| ≤ rel·max|λ| counts as zero (default ${SPECTRUM_TOLERANCES.exact.zero} exact, ${SPECTRUM_TOLERANCES.fd.zero} fd: finite differences are O(h) at contacts)`,
    )
    .option(
      '--cluster-tol <rel>',
      `spectrum.csv groups sorted eigenvalues closer than rel·max|λ| (default ${SPECTRUM_TOLERANCES.exact.cluster} exact, ${SPECTRUM_TOLERANCES.fd.cluster} fd)`,
    )
    .option('--out <dir>', 'output directory (required)')
    .action((flags: Flags) => runHessian(flags));
}
