import { join } from 'node:path';
import { configJson } from '../../io/config-file.js';
import { provenance } from '../../io/provenance.js';
import { studyOf } from '../index.js';
import { type StudyReport, writeStudyFiles } from '../study.js';
import type { ScenarioResult } from './execute.js';
import { reportHtml } from './page.js';
import { summaryMarkdown } from './summary.js';

/**
 * Write the report of a scenario run into `dir`, every file atomically (temporary file + rename), so an
 * interrupted run never leaves a truncated table: each study's files in study order (the network tables
 * when the scenario has runs, perturbation.csv when it has a perturbation study, …), then config.json,
 * summary.md and report.html. Returns the paths written, report.html last.
 */
export async function writeReport(result: ScenarioResult, dir: string, command: string): Promise<string[]> {
  const prov = provenance();
  // Build every study's report (plots included) first: it is the slowest step and may fail; nothing is half-written then.
  const reports: StudyReport[] = [];
  for (const o of result.studies) reports.push(await studyOf(o.kind).report(o.result, { provenance: prov }));
  const page = reportHtml(result, reports, command, prov);
  const files = reports.flatMap((r) => r.files);
  const resolved = {
    ...result.scenario,
    workers: result.workers,
    wallSeconds: result.wallSeconds,
    ...Object.assign({}, ...result.studies.map((o) => studyOf(o.kind).configFields?.(o.result) ?? {})),
    violations: result.violations,
  };
  // `command` is the line that reproduces the run (scm-harness run|check FILE …); its verb names the command.
  const verb = command.split(/\s+/)[1] ?? 'run';
  files.push(['config.json', configJson(verb, { ...resolved, reproduce: command })]);
  const names = [...files.map(([name]) => name), 'summary.md', 'report.html'];
  files.push(['summary.md', summaryMarkdown(result, reports, command, names)], ['report.html', page]);
  writeStudyFiles(dir, files);
  return names.map((name) => join(dir, name));
}
