import { type Verdict, type Violation, toleranceTally } from '../../compare/tolerances.js';
import { studies, studyOf } from '../index.js';
import type { RunResult } from '../network-theory/execute.js';
import { networkTheoryStudy } from '../network-theory/study.js';
import type { PerturbationResult } from '../perturbation/execute.js';
import { perturbationStudy } from '../perturbation/study.js';
import { type StudyOutcome, resultOf } from '../study.js';
import type { Scenario } from './schema.js';

export interface ScenarioResult {
  scenario: Scenario;
  /** One per study the scenario asks for (registry order, ../index.ts). */
  studies: StudyOutcome[];
  /** The violations of every study, in study order. */
  violations: Violation[];
  workers: number;
  wallSeconds: number;
}

export interface ExecuteOptions {
  workers?: number;
  /** Show progress on stderr (bar on a terminal, plain lines otherwise); default true. */
  progress?: boolean;
}

/**
 * Run a whole scenario: every registered study whose configOf finds its section in the scenario
 * (network vs theory on worker threads when workers > 1, the perturbation study, …), in registry order,
 * each with its comparisons and tolerance checks. Writes nothing.
 */
export async function executeScenario(scenario: Scenario, options: ExecuteOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const workers = Math.max(1, options.workers ?? 1);
  const ctx = { workers, progress: options.progress !== false };
  const outcomes: StudyOutcome[] = [];
  for (const study of studies()) {
    const config = study.configOf(scenario);
    if (config !== null) outcomes.push({ kind: study.kind, result: await study.run(config, ctx) });
  }
  return {
    scenario,
    studies: outcomes,
    violations: outcomes.flatMap((o) => studyOf(o.kind).violations(o.result)),
    workers,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Every checked tolerance of every study, in study order. */
export function allVerdicts(result: ScenarioResult): Verdict[] {
  return result.studies.flatMap((o) => studyOf(o.kind).verdicts(o.result));
}

/** One sentence on how the studies went, for the page subtitle and the summary. */
export function headline(result: ScenarioResult): string {
  const parts = result.studies.map((o) => studyOf(o.kind).headline(o.result));
  return `${parts.join('; ')}; ${toleranceTally(allVerdicts(result))}; wall time ${result.wallSeconds.toFixed(1)} s on ${result.workers} worker(s).`;
}

/** The network-vs-theory runs of a result (empty when the scenario has none). */
export function networkRuns(result: ScenarioResult): RunResult[] {
  return resultOf(result.studies, networkTheoryStudy)?.runs ?? [];
}

/** The perturbation study of a result, when the scenario has one. */
export function perturbationOf(result: ScenarioResult): PerturbationResult | null {
  return resultOf(result.studies, perturbationStudy);
}
