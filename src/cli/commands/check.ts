import type { Command } from 'commander';
import { violationLine } from '../../compare/tolerances.js';
import { type RunFlags, runScenarioFile, scenarioCommand } from './run.js';

export function registerCheck(program: Command): void {
  scenarioCommand(
    program,
    'check',
    'Run a scenario like `run`, then exit 1 if any tolerance is violated (one line each: metric, observed, tolerance, seed/d)',
  ).action(async (file: string, flags: RunFlags) => {
    const result = await runScenarioFile('check', file, flags);
    if (result.violations.length === 0) return;
    process.stdout.write(`${result.scenario.name}: ${result.violations.length} violation(s):\n`);
    for (const v of result.violations) process.stdout.write(`${violationLine(v)}\n`);
    process.exitCode = 1;
  });
}
