import { cpus, loadavg } from 'node:os';
import { markdownTable } from '../io/markdown.js';
import { STATS_DEFAULTS, resolveStatsConfig } from '../landscape/stats/config.js';
import { StatsContext, runInitialisation } from '../landscape/stats/run.js';
import type { EndClass } from '../landscape/classify.js';
import { dopri5FlowOnly } from './stats-reference.js';
import type { Benchmark } from './index.js';

/**
 * Issue 11: the slow rkc stretch runs at looser tolerances (rkcRtol, rkcAtol; docs/theory.md §7.5a), which
 * must not change which minimum a run ends in. Per K, the default runner on the same seeds as
 * - `tight`: the same runner with the slow stretch at rtol/atol (the tolerances before the split), and
 * - `reference` (K = 8, 17): dopri5 alone to rest or t = 1e4, the classification before issue 11
 *   (stats-reference.ts). A reference run still moving at t = 1e4 towards the same k1 is counted apart.
 */
const CASES = [
  { K: 8, seeds: 300, base: 7000, against: ['reference', 'tight'] },
  { K: 17, seeds: 200, base: 5000, against: ['reference', 'tight'] },
  { K: 30, seeds: 40, base: 7000, against: ['tight'] },
  { K: 50, seeds: 8, base: 7000, against: ['tight'] },
  { K: 100, seeds: 4, base: 3000, against: ['tight'] },
] as const;

type Against = 'reference' | 'tight';

/** 1e-6: a tolerance as the docs write it. */
const sci = (x: number) => x.toExponential().replace('e+', 'e');

interface End {
  class: EndClass;
  k1: number;
  loss: number;
  seconds: number;
}

interface Tally {
  same: number;
  stillMoving: number;
  differing: string[];
  maxLossGap: number;
  seconds: number;
  otherSeconds: number;
}

function compare(K: number, seeds: number, base: number, against: readonly Against[]): Map<Against, Tally> {
  const input = { K, M: K, inits: seeds, seed: base };
  const run = new StatsContext(resolveStatsConfig(input));
  const tight = new StatsContext(
    resolveStatsConfig({ ...input, solver: { rkcRtol: STATS_DEFAULTS.rtol, rkcAtol: STATS_DEFAULTS.atol } }),
  );
  const other: Record<Against, (seed: number) => End> = {
    reference: (seed) => dopri5FlowOnly(run, seed),
    tight: (seed) => {
      const r = runInitialisation(tight, seed);
      return { class: r.class, k1: r.k1, loss: r.finalLoss, seconds: r.wallTime };
    },
  };
  const tallies = new Map<Against, Tally>(
    against.map((a) => [a, { same: 0, stillMoving: 0, differing: [], maxLossGap: 0, seconds: 0, otherSeconds: 0 }]),
  );
  for (let seed = base; seed < base + seeds; seed++) {
    const r = runInitialisation(run, seed);
    for (const a of against) {
      const o = other[a](seed);
      const t = tallies.get(a) as Tally;
      t.seconds += r.wallTime;
      t.otherSeconds += o.seconds;
      if (o.class === r.class && o.k1 === r.k1) {
        t.same++;
        if (r.class !== 'global') t.maxLossGap = Math.max(t.maxLossGap, Math.abs(r.finalLoss - o.loss));
      } else if (o.class === 'not-converged' && o.k1 === r.k1) t.stillMoving++;
      else t.differing.push(`seed ${seed}: ${r.class} k1=${r.k1} vs ${o.class} k1=${o.k1}`);
    }
  }
  return tallies;
}

function run(): string {
  const load = loadavg()[0];
  const rows: string[][] = [];
  for (const c of CASES) {
    for (const [against, t] of compare(c.K, c.seeds, c.base, c.against)) {
      rows.push([
        String(c.K),
        `${c.base}…${c.base + c.seeds - 1}`,
        against,
        `${t.same}/${c.seeds}`,
        String(t.stillMoving),
        t.differing.join('; ') || '—',
        t.maxLossGap.toExponential(1),
        (t.seconds / c.seeds).toPrecision(3),
        (t.otherSeconds / c.seeds).toPrecision(3),
      ]);
    }
  }
  const table = markdownTable(
    [
      'K = M',
      'seeds',
      'against',
      'same class and k1',
      'other still moving at t = 1e4 (same k1)',
      'differing',
      'max |ΔL| (same, non-global)',
      's/init default',
      's/init other',
    ],
    rows,
    ['right', 'left', 'left', 'right', 'right', 'left', 'right', 'right', 'right'],
  );
  return [
    '# stats tolerance benchmark',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (shared). Node ${process.version}.`,
    '',
    `Does the slow rkc stretch at rkcRtol ${sci(STATS_DEFAULTS.rkcRtol)}, rkcAtol ${sci(STATS_DEFAULTS.rkcAtol)} (docs/theory.md §7.5a) change the end states? The default \`stats\` run (one thread, d = K, gd) against \`tight\` — the same run with the slow stretch at rtol ${sci(STATS_DEFAULTS.rtol)}, atol ${sci(STATS_DEFAULTS.atol)} — and, at K = 8 and 17, against \`reference\`: dopri5 alone to rest or t = 1e4 (src/bench/stats-reference.ts, the classification before issue 11; it has no saddle check). Goal (issue 11): every end state the same.`,
    '',
    table,
    '',
  ].join('\n');
}

export const statsToleranceBenchmark: Benchmark = { name: 'stats-tolerance', run };
