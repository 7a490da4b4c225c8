import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { readJsonFile } from '../../io/read-json.js';
import { overlapsFromJSON } from '../../theory/overlaps.js';
import { HESSIAN_METHODS, SPECTRUM_TOLERANCES } from '../../theory/hessian/analysis.js';
import { FD_HESSIAN_STEP } from '../../theory/hessian/relu-hessian.js';
import { HESSIAN_OPTIMIZERS, type WeightPoint, realisePoint } from '../../studies/weight-space/point.js';
import type { HessianConfig } from '../../studies/weight-space/hessian.js';
import { optional, parseEnum, parsePositiveInteger, parsePositiveNumber } from '../parse.js';

type Flags = Record<string, string | undefined>;

/**
 * Parse --activation (relu only: the closed form is ReLU's), --optimizer, --d and --from, read the
 * file and realise it (every failure an InputError naming its flag, before anything is computed).
 */
export function resolvePointFlags(f: Flags): WeightPoint {
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
  return realisePoint({ from: resolve(f.from), overlaps, optimizer, dRequested }, { d: '--d', from: '--from' });
}

export function requireOut(f: Flags): string {
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  return resolve(f.out);
}

function resolveHessianFlags(f: Flags): HessianConfig {
  const method = parseEnum(f.method, HESSIAN_METHODS, '--method', 'exact');
  const zeroTol = parsePositiveNumber(f.zeroTol, '--zero-tol', SPECTRUM_TOLERANCES[method].zero);
  const clusterTol = parsePositiveNumber(f.clusterTol, '--cluster-tol', SPECTRUM_TOLERANCES[method].cluster);
  const out = requireOut(f);
  return { ...resolvePointFlags(f), method, zeroTol, clusterTol, out };
}

/** Flags → HessianConfig → the study (src/studies/weight-space/hessian.ts), loaded on use. */
async function runHessian(flags: Flags): Promise<void> {
  const config = resolveHessianFlags(flags);
  const { runHessianAnalysis } = await import('../../studies/weight-space/hessian.js');
  process.stdout.write(`${runHessianAnalysis(config).join('\n')}\n`);
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
