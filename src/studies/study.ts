import { join } from 'node:path';
import type { Verdict, Violation } from '../compare/tolerances.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Provenance } from '../io/provenance.js';
import type { HtmlTable, ReportSection } from '../report/html.js';
import type { Scenario } from './scenario/schema.js';

/**
 * A study: one analysis with its own configuration, result and report — network vs theory, the
 * perturbation protocol, landscape statistics, … Studies embedded in scenario files say so with
 * `configOf` (their section of the resolved scenario, or null when the scenario has none); the scenario
 * layer (./scenario/) runs every registered study (./index.ts) whose configOf is non-null and assembles
 * the reports, in registration order. Studies import only types from this file, so the registry and
 * the scenario layer import the studies and never the other way round.
 *
 * The methods are written as methods (not function-valued properties) on purpose: a concrete
 * Study<C, R> is then usable wherever the registry's Study<unknown, unknown> is expected.
 */
export interface Study<Config, Result> {
  /** Registry key, e.g. network-theory. */
  kind: string;
  /** Human-readable name. */
  title: string;
  /**
   * The study's part of a scenario, or null when the scenario does not ask for it (always null for a
   * study with its own entry point, like stats).
   */
  configOf(scenario: Scenario): Config | null;
  /** Compute the result (writes nothing, unless the study is resumable and owns its output directory). */
  run(config: Config, ctx: StudyContext): Promise<Result>;
  /** Tables, plots and files of a result. */
  report(result: Result, ctx: ReportContext): Promise<StudyReport>;
  /** Every checked tolerance with its worst observation. */
  verdicts(result: Result): Verdict[];
  /** The tolerances that do not hold (one line each in `check`). */
  violations(result: Result): Violation[];
  /** One clause on what ran, for the page subtitle and summary.md, e.g. "2 run(s), 36 network seeds (…)". */
  headline(result: Result): string;
  /** Extra top-level fields of the scenario's config.json (e.g. the backends the networks ran on). */
  configFields?(result: Result): Record<string, unknown>;
}

export interface StudyContext {
  /** Worker threads the study may use (≥ 1); results must not depend on it. */
  workers: number;
  /** Show progress on stderr (bar on a terminal, plain lines otherwise). */
  progress: boolean;
}

export interface ReportContext {
  provenance: Provenance;
}

export interface StudyReport {
  /** Files of the report directory, [name, text], in the order they are listed. */
  files: [string, string][];
  /** Tables of the Overview section of report.html (before the tolerances). */
  overviewTables: HtmlTable[];
  /** Sections of report.html after the Overview. */
  sections: ReportSection[];
  /** Markdown blocks of summary.md (before the tolerances); joined with blank lines. */
  summary: string[];
}

/** What executeScenario keeps of one study: its registry key and its result. */
export interface StudyOutcome {
  kind: string;
  result: unknown;
}

/** The result of `study` among `outcomes`, typed; null when the study did not run. */
export function resultOf<Result>(outcomes: StudyOutcome[], study: Study<unknown, Result>): Result | null {
  const outcome = outcomes.find((o) => o.kind === study.kind);
  return outcome ? (outcome.result as Result) : null;
}

/** Write a study's files into `dir`, each atomically (temporary file + rename). */
export function writeStudyFiles(dir: string, files: [string, string][]): void {
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text);
}
