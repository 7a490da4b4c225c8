import { cpus, loadavg } from 'node:os';
import { markdownTable } from '../io/markdown.js';
import { STATS_DEFAULTS, resolveStatsConfig } from '../landscape/stats/config.js';
import { type RunRecord, StatsContext, runInitialisation } from '../landscape/stats/run.js';
import type { Benchmark } from './index.js';

/**
 * Issue 9: the saddle-safe classification must stay within 1.5× of the unchecked run. For each finish
 * (the default flow, and newton, whose hand-over can land on a saddle met during a slow passage) the
 * checked and unchecked configurations run the same seeds in one thread, interleaved (the order
 * alternates per seed), so load on the shared machine hits both alike; the table gives the time per
 * initialisation, the ratio, the runs whose end state differs (class or k1) and the saddles the checked
 * runs passed.
 */
const K = 17;
const SEEDS = 40;
const TARGET_RATIO = 1.5;
const FINISHES = ['flow', 'newton'] as const;

interface Pair {
  finish: (typeof FINISHES)[number];
  ms: { off: number; krylov: number };
  differ: number;
  saddles: number;
  checker: StatsContext['stability'];
}

function measure(finish: Pair['finish']): Pair {
  const contexts = {
    off: new StatsContext(resolveStatsConfig({ K, M: K, inits: SEEDS, finish, stability: 'off' })),
    krylov: new StatsContext(resolveStatsConfig({ K, M: K, inits: SEEDS, finish })),
  };
  const ms = { off: 0, krylov: 0 };
  let differ = 0;
  let saddles = 0;
  for (let seed = 0; seed < SEEDS; seed++) {
    const order = seed % 2 === 0 ? (['krylov', 'off'] as const) : (['off', 'krylov'] as const);
    const records: Partial<Record<'off' | 'krylov', RunRecord>> = {};
    for (const mode of order) {
      const started = performance.now();
      records[mode] = runInitialisation(contexts[mode], seed);
      ms[mode] += performance.now() - started;
    }
    const { off, krylov } = records as Record<'off' | 'krylov', RunRecord>;
    if (off.class !== krylov.class || off.k1 !== krylov.k1) differ++;
    saddles += krylov.saddles.length;
  }
  return { finish, ms, differ, saddles, checker: contexts.krylov.stability };
}

function run(): string {
  const load = loadavg()[0];
  const pairs = FINISHES.map(measure);
  const rows = pairs.flatMap(({ finish, ms, differ, saddles, checker }) => [
    [`${finish}, off (no check)`, (ms.off / SEEDS).toFixed(0), '1', '–', '–', '–'],
    [
      `${finish}, krylov${finish === STATS_DEFAULTS.finish ? ' (default)' : ''}`,
      (ms.krylov / SEEDS).toFixed(0),
      (ms.krylov / ms.off).toFixed(2),
      String(differ),
      String(saddles),
      `${checker?.hits ?? 0} of ${(checker?.hits ?? 0) + (checker?.misses ?? 0)}`,
    ],
  ]);
  const table = markdownTable(
    [
      'finish, stability',
      'ms / init',
      'ratio to off',
      'end states differing from off',
      'saddles passed',
      'check cache hits',
    ],
    rows,
    ['left', 'right', 'right', 'right', 'right', 'right'],
  );
  const verdicts = pairs.map((p) => {
    const ratio = p.ms.krylov / p.ms.off;
    return `${p.finish} ${ratio.toFixed(2)} (${ratio <= TARGET_RATIO ? 'met' : 'not met'})`;
  });
  return [
    '# saddle-check benchmark',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (shared). Node ${process.version}.`,
    '',
    `K = M = ${K}, seeds 0…${SEEDS - 1}, d = K, gd, default thresholds; one thread, per finish the two configurations interleaved per seed. A run whose end state differs was a saddle the unchecked run accepted as a minimum.`,
    '',
    table,
    '',
    `Target (issue 9): ratio ≤ ${TARGET_RATIO}: ${verdicts.join(', ')}.`,
    '',
  ].join('\n');
}

export const saddleCheckBenchmark: Benchmark = { name: 'saddle-check', run };
