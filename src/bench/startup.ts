import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from '../io/markdown.js';
import type { Benchmark } from './index.js';

/** Rounds; each round runs every row once, interleaved, so a change in the machine's load hits all rows alike. */
const ROUNDS = 15;
/** Target of issue 11: `ode --help` and a tiny `ode` under half a second. */
const TARGET_SECONDS = 0.5;

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'scm-harness');

interface Row {
  label: string;
  args: (out: string) => string[];
  /** Checked against the target (the yardstick is not). */
  target: boolean;
}

const ROWS: Row[] = [
  { label: '`node -e 0` (yardstick)', args: () => ['-e', '0'], target: false },
  { label: '`scm-harness ode --help`', args: () => [BIN, 'ode', '--help'], target: true },
  {
    label: '`scm-harness ode --K 2 --M 2 --t-max 1 --out DIR`',
    args: (out) => [BIN, 'ode', '--K', '2', '--M', '2', '--t-max', '1', '--out', out],
    target: true,
  },
  { label: '`scm-harness train --help`', args: () => [BIN, 'train', '--help'], target: false },
];

function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** Wall seconds of one process run to completion (output discarded). */
function timed(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`);
  return (performance.now() - started) / 1000;
}

/**
 * CLI start-up (issue 11): wall time of whole processes from spawn to exit, ROUNDS interleaved rounds, next to
 * `node -e 0`. The commands load TensorFlow.js (network/) and Vega (report/) only when they use them, so
 * `--help` and a small `ode` load commander, zod and the float64 theory only. The machine is shared: the
 * minimum is the estimate, the median shows the spread.
 */
function startupBenchmarkMarkdown(): string {
  const work = mkdtempSync(join(tmpdir(), 'scm-bench-startup-'));
  const times: number[][] = ROWS.map(() => []);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      ROWS.forEach((row, i) => {
        const out = join(work, `ode-${round}`);
        times[i].push(timed(row.args(out)));
        rmSync(out, { recursive: true, force: true });
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const yardstick = Math.min(...times[0]);
  const rows = ROWS.map((row, i) => {
    const best = Math.min(...times[i]);
    return [
      row.label,
      (1000 * best).toFixed(0),
      (1000 * median(times[i])).toFixed(0),
      i === 0 ? '' : (1000 * (best - yardstick)).toFixed(0),
      row.target ? (best < TARGET_SECONDS ? 'met' : 'MISSED') : '',
    ];
  });
  const table = markdownTable(['command', 'min ms', 'median ms', 'min − node ms', `< ${TARGET_SECONDS} s`], rows, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
  return [
    '# start-up benchmark',
    '',
    `Whole processes (spawn to exit), ${ROUNDS} interleaved rounds. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load ${loadavg()[0].toFixed(2)}; Node ${process.version}. The machine is shared, so the minimum is the estimate.`,
    '',
    table,
    '',
    `Target (issue 11): \`ode --help\` and the tiny \`ode\` under ${TARGET_SECONDS} s. The tiny \`ode\` includes writing trajectory.csv and config.json (whose provenance asks git for the commit).`,
    '',
  ].join('\n');
}

export const startupBenchmark: Benchmark = { name: 'startup', run: startupBenchmarkMarkdown };
