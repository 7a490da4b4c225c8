import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStatsConfig } from '../landscape/stats/config.js';
import { resolveCensusConfig } from '../studies/census/config.js';
import { censusRows } from '../studies/census/rows.js';
import { runCensus } from '../studies/census/runner.js';
import { runStats } from '../studies/stats/runner.js';
import type { Benchmark } from './index.js';

/** Target (issue 10): the K = M = 8 census with 1000 initialisations in under a minute on 2 workers. */
const K = 8;
const INITS = 1000;
const WORKERS = 2;
const TARGET_SECONDS = 60;

async function timed<T>(work: (dir: string) => Promise<T>): Promise<{ seconds: number; value: T }> {
  const dir = mkdtempSync(join(tmpdir(), 'scm-bench-census-'));
  try {
    const started = performance.now();
    const value = await work(dir);
    return { seconds: (performance.now() - started) / 1000, value };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number) => x.toPrecision(3);

async function run(): Promise<string> {
  const lines = [
    '# census benchmark',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average at start ${loadavg()[0].toFixed(2)} (shared; times are upper bounds). Node ${process.version}.`,
    '',
    `The census at K = M = ${K} with ${INITS} initialisations (seeds 0…${INITS - 1}, d = K) on ${WORKERS} workers, next to its yardstick: the same initialisations through plain \`stats\` (with the saddle-safe Krylov check, as the census runs them, and without it). The census adds the k1-ansatz catalogue (9 families, 54 points with their Jacobian spectra), the clustering of the end states and a Hessian per point.`,
    '',
    '| command | wall (s) | of which catalogue (s) | runs (s) | end states |',
    '|---|---:|---:|---:|---|',
  ];
  const census = await timed((dir) =>
    runCensus(resolveCensusConfig({ M: [K], inits: INITS }), dir, { workers: WORKERS, progress: false }),
  );
  const shape = census.value.shapes[0];
  const reached = censusRows(shape)
    .filter((r) => r.point.reachCount > 0)
    .map((r) => `k1=${r.point.k1}: ${r.point.reachCount}`)
    .join(', ');
  lines.push(
    `| census | ${fmt(census.seconds)} | ${fmt(shape.catalogueSeconds)} | ${fmt(shape.runSeconds)} | ${reached} |`,
  );
  for (const stability of ['krylov', 'off'] as const) {
    const stats = await timed((dir) =>
      runStats(resolveStatsConfig({ K, M: K, inits: INITS, stability }), dir, { workers: WORKERS }),
    );
    const global = stats.value.records.filter((r) => r.class === 'global').length;
    lines.push(
      `| stats, stability ${stability} | ${fmt(stats.seconds)} | – | ${fmt(stats.value.wallSeconds)} | global: ${global}, other: ${INITS - global} |`,
    );
  }
  lines.push(
    '',
    `Target: under ${TARGET_SECONDS} s on ${WORKERS} workers: ${census.seconds < TARGET_SECONDS ? 'met' : 'not met'} (${fmt(census.seconds)} s).`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

export const censusBenchmark: Benchmark = { name: 'census', run };
