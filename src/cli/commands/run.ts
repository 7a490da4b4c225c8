import type { Command } from 'commander';
import type { ScenarioResult } from '../../studies/scenario/execute.js';
import { toleranceTally } from '../../compare/tolerances.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { checkCost } from '../../runtime/cost.js';
import { estimateScenario } from '../cost.js';
import { parsePositiveInteger } from '../parse.js';

export interface RunFlags {
  out?: string;
  workers?: string;
  force?: boolean;
}

/** The command line that reproduces this run, for summary.md and report.html. */
function reproducingCommand(name: 'run' | 'check', file: string, flags: RunFlags): string {
  return [
    'scm-harness',
    name,
    file,
    ...(flags.out ? ['--out', flags.out] : []),
    ...(flags.workers ? ['--workers', flags.workers] : []),
  ].join(' ');
}

/**
 * Shared by `run` and `check`: validate everything (exit 2 and nothing written on bad input), run the
 * scenario, write the report atomically, and print where it is and the tolerance verdict.
 */
export async function runScenarioFile(name: 'run' | 'check', file: string, flags: RunFlags): Promise<ScenarioResult> {
  // The studies (TensorFlow.js networks, Vega reports) are loaded only now: start-up stays short (issue 11).
  const [{ allVerdicts, executeScenario }, { loadScenario }, { writeReport }] = await Promise.all([
    import('../../studies/scenario/execute.js'),
    import('../../studies/scenario/resolve.js'),
    import('../../studies/scenario/write.js'),
  ]);
  const scenario = loadScenario(file);
  const workers = parsePositiveInteger(flags.workers, '--workers', 1);
  checkCost(estimateScenario(scenario, workers), flags.force === true, file);
  const dir = flags.out ?? scenario.outputDir;
  const { result, files } = await withOutputDirectory(
    dir,
    flags.out === undefined ? 'output.dir' : '--out',
    async () => {
      const result = await executeScenario(scenario, { workers });
      return { result, files: await writeReport(result, dir, reproducingCommand(name, file, flags)) };
    },
  );
  process.stdout.write(
    `${scenario.name}: report written to ${files[files.length - 1]} (summary: ${files[files.length - 2]})\n`,
  );
  process.stdout.write(
    `${scenario.name}: ${toleranceTally(allVerdicts(result))}, ${result.wallSeconds.toFixed(1)} s\n`,
  );
  return result;
}

/** The scenario argument and the flags that `run` and `check` share. */
export function scenarioCommand(program: Command, name: 'run' | 'check', description: string): Command {
  return program
    .command(name)
    .description(description)
    .argument('<scenario>', 'scenario JSON file (see `scm-harness schema`)')
    .option('--out <dir>', "report directory (default: the scenario's output.dir, else reports/<name>)")
    .option('--workers <n>', 'worker threads for the (run, d) ensembles (default 1)')
    .option(
      '--force',
      'run even when the estimated time or memory exceeds the limit (1 h, 8 GiB; src/runtime/cost.ts)',
    );
}

export function registerRun(program: Command): void {
  scenarioCommand(
    program,
    'run',
    "Run a scenario (networks at each d, the theory from each seed's initial overlaps, comparisons) and write its report",
  ).action(async (file: string, flags: RunFlags) => {
    await runScenarioFile('run', file, flags);
  });
}
