import { networkTheoryStudy } from './network-theory/study.js';
import { perturbationStudy } from './perturbation/study.js';
import { statsStudy } from './stats/study.js';
import { censusStudy } from './census/study.js';
import type { Study } from './study.js';

export type { ReportContext, Study, StudyContext, StudyOutcome, StudyReport } from './study.js';

/**
 * The study registry. A scenario runs, and its report lists, every registered study whose configOf is
 * non-null, in registration order (so the order of the files, report sections and summary blocks is
 * this order). Studies with their own entry point (stats, census) are registered too; their configOf is null.
 */
const registry: Study<unknown, unknown>[] = [];

/**
 * Add a study; registering a second study of the same kind is an error. Returns a function that
 * removes it again (for tests).
 */
export function registerStudy<Config, Result>(study: Study<Config, Result>): () => void {
  if (registry.some((s) => s.kind === study.kind)) {
    throw new Error(`a study of kind "${study.kind}" is already registered`);
  }
  const entry = study as Study<unknown, unknown>;
  registry.push(entry);
  return () => {
    const i = registry.indexOf(entry);
    if (i >= 0) registry.splice(i, 1);
  };
}

/** Every registered study, in registration order. */
export function studies(): readonly Study<unknown, unknown>[] {
  return registry;
}

/** The registered study of a kind. */
export function studyOf(kind: string): Study<unknown, unknown> {
  const study = registry.find((s) => s.kind === kind);
  if (!study) throw new Error(`no study of kind "${kind}" is registered`);
  return study;
}

registerStudy(networkTheoryStudy);
registerStudy(perturbationStudy);
registerStudy(statsStudy);
registerStudy(censusStudy);
