import type { Command } from 'commander';
import { violationLine } from '../../compare/tolerances.js';
import { runScenarioFile } from './run.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Run a scenario like `run`, then exit 1 if any tolerance is violated (one line each: metric, observed, tolerance, seed/d)')
    .argument('<scenario>', 'scenario JSON file (see `scm-harness schema`)')
    .option('--out <dir>', 'report directory (default: the scenario\'s output.dir, else reports/<name>)')
    .option('--workers <n>', 'worker threads for the (run, d) ensembles (default 1)')
    .action(async (file: string, flags: { out?: string; workers?: string }) => {
      const result = await runScenarioFile('check', file, flags);
      if (result.violations.length === 0) return;
      process.stdout.write(`${result.scenario.name}: ${result.violations.length} violation(s):\n`);
      for (const v of result.violations) process.stdout.write(`${violationLine(v)}\n`);
      process.exitCode = 1;
    });
}
