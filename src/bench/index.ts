import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic.js';
import { censusBenchmark } from './census.js';
import { hessianBenchmark } from './hessian.js';
import { networkBenchmark } from './network.js';
import { odeBenchmark } from './ode.js';
import { recordingBenchmark } from './recording.js';
import { saddleCheckBenchmark } from './saddle-check.js';
import { stabilityBenchmark } from './stability.js';
import { startupBenchmark } from './startup.js';
import { statsBenchmark } from './stats.js';
import { statsToleranceBenchmark } from './stats-tolerance.js';

/**
 * `npm run bench` (node dist/bench/index.js [name ...]): runs each benchmark module (all, or the named
 * ones) and writes its markdown report to reports/bench/<name>.md. Benchmarks are not tests: they
 * measure and report; targets are stated in the reports. Append new modules to `benchmarks`.
 */
export interface Benchmark {
  /** File stem of the report (reports/bench/<name>.md) and the name accepted on the command line. */
  name: string;
  /** Run the measurements and return the markdown report. */
  run(): Promise<string> | string;
}

const benchmarks: Benchmark[] = [
  startupBenchmark,
  odeBenchmark,
  networkBenchmark,
  recordingBenchmark,
  statsBenchmark,
  statsToleranceBenchmark,
  hessianBenchmark,
  stabilityBenchmark,
  saddleCheckBenchmark,
  censusBenchmark,
];

const reportDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'reports', 'bench');

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !benchmarks.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown benchmark(s) ${unknown.join(', ')}; available: ${benchmarks.map((b) => b.name).join(', ')}\n`,
    );
    return 2;
  }
  for (const bench of benchmarks.filter((b) => names.length === 0 || names.includes(b.name))) {
    process.stdout.write(`bench ${bench.name} ...\n`);
    const markdown = await bench.run();
    const path = join(reportDir, `${bench.name}.md`);
    writeFileAtomic(path, markdown);
    process.stdout.write(`${markdown}\nwrote ${path}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
