import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { configJson } from '../../io/config-file.js';
import { provenance } from '../../io/provenance.js';
import type { ScenarioResult } from './execute.js';
import { csvText } from '../../io/csv.js';
import { reportHtml } from './page.js';
import { summaryMarkdown } from './summary.js';
import {
  BROADENING_COLUMNS,
  COMPARISON_COLUMNS,
  FIT_COLUMNS,
  PERTURBATION_COLUMNS,
  broadeningRows,
  comparisonRows,
  fitRows,
  perturbationRows,
  trajectoriesCsv,
} from '../network-theory/tables.js';

/**
 * Write the report of a scenario run into `dir`, every file atomically (temporary file + rename), so an
 * interrupted run never leaves a truncated table: the network tables when the scenario has runs,
 * perturbation.csv when it has a perturbation study, then config.json, summary.md and report.html.
 * Returns the paths written, report.html last.
 */
export async function writeReport(result: ScenarioResult, dir: string, command: string): Promise<string[]> {
  const prov = provenance();
  // Render the page first: it is the slowest step and may fail; nothing is half-written then.
  const page = await reportHtml(result, command, prov);
  const files: [string, string][] = [];
  if (result.runs.length > 0) {
    files.push(
      ['trajectories.csv', trajectoriesCsv(result)],
      ['comparison.csv', csvText(COMPARISON_COLUMNS, comparisonRows(result))],
      ['broadening.csv', csvText(['run', ...BROADENING_COLUMNS], broadeningRows(result))],
      ['broadening-fits.csv', csvText(FIT_COLUMNS, fitRows(result))],
    );
  }
  if (result.perturbation) files.push(['perturbation.csv', csvText(PERTURBATION_COLUMNS, perturbationRows(result))]);
  const resolved = {
    ...result.scenario,
    workers: result.workers,
    wallSeconds: result.wallSeconds,
    backends: result.runs.map((r) => ({ run: r.run.id, backend: r.jobs[0].backend })),
    violations: result.violations,
  };
  // `command` is the line that reproduces the run (scm-harness run|check FILE …); its verb names the command.
  const verb = command.split(/\s+/)[1] ?? 'run';
  files.push(['config.json', configJson(verb, { ...resolved, reproduce: command })]);
  const names = [...files.map(([name]) => name), 'summary.md', 'report.html'];
  files.push(['summary.md', summaryMarkdown(result, command, names)], ['report.html', page]);
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text);
  return names.map((name) => join(dir, name));
}
