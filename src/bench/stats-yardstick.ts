import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '../landscape/stats/run.js';
import { randomOverlaps } from '../theory/init.js';

/**
 * The fixed-step C yardstick of `stats` (issue 11): src/bench/yardstick/relu-gd-rk4.c integrates the ReLU
 * gd flow on (Q, R) (docs/theory.md §4.1, §4 ReLU fast form, §1.1 I2 for the loss) by classical RK4 with
 * dt = DT to t = T_MAX from the same random initial overlaps as `stats` (randomOverlaps at d = K,
 * seed by seed). DT is at RK4's stability limit for K = M = 17 (most negative eigenvalue ≈ −9 at the
 * fixed points, RK4's real stability interval ≈ 2.79, §7.5).
 */
const DT = 0.25;
const T_MAX = 3000;
/** Loss agreement asked of the end states (non-global ones; a global end state only has to be global in both). */
const LOSS_AGREEMENT = 1e-6;
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'bench', 'yardstick', 'relu-gd-rk4.c');

export type YardstickRun =
  | { kind: 'skipped'; reason: string }
  | { kind: 'ran'; compiler: string; seconds: number; loss: number[]; maxRhs: number[] };

/** The first C compiler that answers `--version`: $CC, cc, gcc, clang; null when there is none. */
function findCompiler(): string | null {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (cc && spawnSync(cc, ['--version'], { encoding: 'utf8' }).status === 0) return cc;
  }
  return null;
}

/** Compile the yardstick with -O3 into a temporary directory and integrate the initial overlaps of `seeds` (K = M). */
export function runYardstick(K: number, seeds: number[]): YardstickRun {
  const compiler = findCompiler();
  if (compiler === null) return { kind: 'skipped', reason: 'no C compiler found ($CC, cc, gcc, clang)' };
  if (!existsSync(SOURCE)) return { kind: 'skipped', reason: `${SOURCE} is missing (run the bench from a checkout)` };
  const dir = mkdtempSync(join(tmpdir(), 'scm-bench-yardstick-'));
  try {
    const exe = join(dir, 'relu-gd-rk4');
    const built = spawnSync(compiler, ['-O3', '-o', exe, SOURCE, '-lm'], { encoding: 'utf8' });
    if (built.status !== 0) {
      return {
        kind: 'skipped',
        reason: `${compiler} -O3 failed: ${(built.stderr || String(built.error)).trim().split('\n')[0]}`,
      };
    }
    const input = [`${K} ${K} ${seeds.length} 1 ${DT} ${T_MAX}`];
    for (const seed of seeds) {
      const o = randomOverlaps(K, K, K, seed);
      input.push(o.Q.join(' '), o.R.join(' '), o.T.join(' '));
    }
    const ran = spawnSync(exe, [], { input: `${input.join('\n')}\n`, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (ran.status !== 0) return { kind: 'skipped', reason: `the yardstick failed: ${ran.stderr.trim()}` };
    const lines = ran.stdout.trim().split('\n');
    const seconds = Number(lines.pop()?.replace('seconds ', ''));
    const pairs = lines.map((line) => line.split(' ').map(Number));
    return { kind: 'ran', compiler, seconds, loss: pairs.map((p) => p[0]), maxRhs: pairs.map((p) => p[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));

/**
 * The section of reports/bench/stats.md: the harness's rate on `records` (one thread, default settings)
 * beside the yardstick's on the same seeds, their ratio, and the end states compared seed by seed.
 */
export function yardstickSection(
  K: number,
  run: YardstickRun,
  harness: { rate: number; records: RunRecord[]; load: string },
  seeds: number[],
  globalLoss: number,
  load: string,
): string[] {
  const lines = [
    '## Against the fixed-step C yardstick (one thread)',
    '',
    `src/bench/yardstick/relu-gd-rk4.c, compiled by the bench with -O3: the same ReLU gd flow on (Q, R) (docs/theory.md §4.1, §4 ReLU fast form) by classical RK4 with dt = ${DT} (the stability limit at K = M = 17, §7.5) to t = ${T_MAX} (${(4 * T_MAX) / DT} right-hand sides per init, no stopping test), from the same initial overlaps (randomOverlaps at d = K) as the harness's ${seeds.length} runs of the K = M = ${K}, 1 worker, \`flow\` (default) row above. Target (issue 11): the harness ≥ 5× the yardstick's inits/s.`,
    '',
  ];
  if (run.kind === 'skipped') {
    lines.push(`Skipped: ${run.reason}. The harness's rate above stands alone.`, '');
    return lines;
  }
  const cRate = seeds.length / run.seconds;
  const ratio = harness.rate / cRate;
  lines.push(
    '| K = M | inits | harness inits/s (load at its end) | C RK4 inits/s (load at its end) | harness ÷ C | target | met |',
    '|---:|---:|---:|---:|---:|---:|---|',
    `| ${K} | ${seeds.length} | ${fmt(harness.rate)} (${harness.load}) | ${fmt(cRate)} (${load}) | ${fmt(ratio)}× | 5× | ${ratio >= 5 ? 'yes' : 'no'} |`,
    '',
  );
  const bySeed = new Map(harness.records.map((r) => [r.seed, r]));
  let agree = 0;
  let maxAgreeingGap = 0;
  const disagreements: string[] = [];
  seeds.forEach((seed, i) => {
    const r = bySeed.get(seed) as RunRecord;
    const cLoss = run.loss[i];
    const gap = Math.abs(r.finalLoss - cLoss);
    if (r.finalLoss < globalLoss && cLoss < globalLoss) agree++;
    else if (gap <= LOSS_AGREEMENT) {
      agree++;
      maxAgreeingGap = Math.max(maxAgreeingGap, gap);
    } else
      disagreements.push(
        `seed ${seed}: harness ${r.class} L = ${fmt(r.finalLoss, 4)}, C L = ${fmt(cLoss, 4)} (max|F| ${fmt(run.maxRhs[i], 2)})`,
      );
  });
  const notAtRest = run.maxRhs.filter((f) => !(f <= 1e-6)).length;
  lines.push(
    `End states: ${agree}/${seeds.length} agree (both global, L < ${globalLoss}, or |ΔL| ≤ ${LOSS_AGREEMENT}; the largest |ΔL| among the agreeing non-global ones is ${fmt(maxAgreeingGap, 2)}); ${notAtRest} C end states have max|F| > 1e-6 at t = ${T_MAX} (still moving, e.g. slow saddle passages the harness leaves along the unstable direction). ${disagreements.length > 0 ? `Disagreements: ${disagreements.join('; ')}.` : ''} Compiler: \`${run.compiler}\`; C time counts the integrations only (no start-up).`,
    '',
  );
  return lines;
}
