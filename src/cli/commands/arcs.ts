import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { SPHERE_DEFAULTS, logRadii } from '../../theory/hessian/arcs.js';
import { DESCENT_DEFAULTS } from '../../theory/hessian/relu-arcs.js';
import type { ArcsConfig } from '../../studies/weight-space/arcs.js';
import { parseNonNegativeInteger, parsePositiveInteger, parsePositiveNumber, rejectFlag } from '../parse.js';
import { requireOut, resolvePointFlags } from './hessian.js';

type Flags = Record<string, string | undefined>;

const DEFAULT_RADII = '0.01:1:50';
const MAX_RADII = 10_000;
const MAX_RANDOM = 1000;
const DEFAULT_SEED = 1;

/** `a:b:n` → n radii log-spaced from a to b inclusive (a ≤ b, n ≥ 2; or n = 1 with a = b). */
function parseRadii(text: string, flag: string): number[] {
  const parts = text.split(':');
  if (parts.length !== 3) throw new InputError(flag, `must be a:b:n (n radii log-spaced from a to b), got "${text}"`);
  const from = parsePositiveNumber(parts[0], flag);
  const to = parsePositiveNumber(parts[1], flag);
  const count = parsePositiveInteger(parts[2], flag);
  if (count > MAX_RADII) throw new InputError(flag, `at most ${MAX_RADII} radii, got ${count}`);
  if (to < from) throw new InputError(flag, `the last radius ${to} is below the first ${from}`);
  if (count === 1 && to !== from) throw new InputError(flag, `one radius needs a = b, got ${from}:${to}:1`);
  if (count > 1 && to === from) throw new InputError(flag, `${count} radii need a < b, got a = b = ${from}`);
  return logRadii(from, to, count);
}

/** `hessian` (the extreme eigenvectors only) or `random:N` (and N random directions). */
function parseDirections(text: string | undefined, flag: string): number {
  if (text === undefined || text === 'hessian') return 0;
  const m = /^random:(.+)$/.exec(text);
  if (!m) throw new InputError(flag, `must be hessian or random:N, got "${text}"`);
  const n = parsePositiveInteger(m[1], flag);
  if (n > MAX_RANDOM) throw new InputError(flag, `at most ${MAX_RANDOM} random directions, got ${n}`);
  return n;
}

function resolveArcsFlags(f: Flags): ArcsConfig {
  const radiiSpec = f.radii ?? DEFAULT_RADII;
  const radii = parseRadii(radiiSpec, '--radii');
  const random = parseDirections(f.directions, '--directions');
  if (random === 0) rejectFlag(f.seed, '--seed', 'only applies with --directions random:N');
  const seed = random > 0 ? parseNonNegativeInteger(f.seed, '--seed', DEFAULT_SEED) : null;
  const tMax = parsePositiveNumber(f.tMax, '--t-max', DESCENT_DEFAULTS.tMax);
  const out = requireOut(f);
  return { ...resolvePointFlags(f), radiiSpec, radii, random, seed, tMax, out };
}

/** Flags → ArcsConfig → the study (src/studies/weight-space/arcs.ts, with vega for arcs.svg), loaded on use. */
async function runArcs(flags: Flags): Promise<void> {
  const config = resolveArcsFlags(flags);
  const { runArcsAnalysis } = await import('../../studies/weight-space/arcs.js');
  process.stdout.write(`${(await runArcsAnalysis(config)).join('\n')}\n`);
}

export function registerArcs(program: Command): void {
  program
    .command('arcs')
    .description(
      `Tangency arcs of the ReLU loss around the overlaps of --from realised in weights (V = W/√d): min and max of the loss on spheres ‖V − V0‖_F = r, the barrier, and the critical point the minimising arc leads to. Each sphere optimisation (Riemannian Barzilai–Borwein gradient, continuation in r) runs to |tangential gradient| ≤ ${SPHERE_DEFAULTS.relativeTolerance}·|∇L| + ${SPHERE_DEFAULTS.absoluteTolerance}`,
    )
    .option(
      '--from <file>',
      'overlaps JSON {"Q","R","T"?,"a"?,"v"?} (required), e.g. a fixed point written by fixed-points',
    )
    .option('--d <d>', 'input dimension of the realisation (default: rank of [[Q, R], [Rᵀ, T]]; must not be smaller)')
    .option('--optimizer <name>', 'gd: arcs in V; gd2l: in V and the readouts a (default gd)')
    .option('--activation <name>', 'relu only (default relu)')
    .option('--radii <a:b:n>', `n radii log-spaced from a to b inclusive (default ${DEFAULT_RADII})`)
    .option(
      '--directions <spec>',
      'hessian: start the minimising (maximising) arcs along ±the eigenvector of λ_min (λ_max); random:N: also N random directions, keeping the best per radius (default hessian)',
    )
    .option('--seed <s>', `seed of the random directions (default ${DEFAULT_SEED}; random:N only)`)
    .option(
      '--t-max <t>',
      `time budget of the gradient flow from the end of the minimising arc (default ${DESCENT_DEFAULTS.tMax})`,
    )
    .option('--out <dir>', 'output directory (required)')
    .action((flags: Flags) => runArcs(flags));
}
