import { join } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { readJsonFile } from '../../io/read-json.js';
import { validateJobs } from '../network-theory/job.js';
import { resolveRuns } from '../network-theory/schema.js';
import { checkPerturbationSection } from '../perturbation/schema.js';
import { resolveModelConfig } from '../../theory/config.js';
import { type Scenario, ScenarioSchema } from './schema.js';

export type { Scenario } from './schema.js';
export type { ResolvedRun } from '../network-theory/schema.js';

/** JSON path in the usual notation: runs[0].d[2], model.K; the root is "(scenario)". */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(scenario)' : out;
}

type Issue = z.core.$ZodIssue;

/** The most specific problem in a zod issue: for a union, the deepest issue among its branches. */
function deepest(issue: Issue, base: readonly PropertyKey[]): { path: PropertyKey[]; issue: Issue } {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const candidates = issue.errors.flat().map((inner) => deepest(inner, path));
    const best = candidates.reduce((a, b) => (b.path.length > a.path.length ? b : a));
    if (best.path.length > path.length) return best;
    // A branch of the value's own type (e.g. the enum of a string) explains the problem better than the
    // "expected object, received string" of the other branches.
    const typed = candidates.filter((c) => c.issue.code !== 'invalid_type');
    const messages = [...new Set((typed.length > 0 ? typed : candidates).map((c) => c.issue.message))];
    return { path, issue: { ...issue, message: `invalid value: ${messages.join('; or ')}` } };
  }
  return { path, issue };
}

function inputErrorFromZod(error: z.ZodError): InputError {
  const { path, issue } = deepest(error.issues[0], []);
  if (issue.code === 'unrecognized_keys') {
    return new InputError(jsonPath([...path, issue.keys[0]]), `unknown key "${String(issue.keys[0])}"`);
  }
  return new InputError(jsonPath(path), issue.message);
}

/** Validate a parsed JSON value and fill every default; InputError(JSON path) on the first problem. */
export function resolveScenario(json: unknown): Scenario {
  if (json !== null && typeof json === 'object' && (json as { kind?: unknown }).kind === 'stats') {
    throw new InputError(
      'kind',
      'this is a stats scenario (landscape statistics over random initialisations): run it with `scm-harness stats --scenario FILE`',
    );
  }
  const parsed = ScenarioSchema.safeParse(json);
  if (!parsed.success) throw inputErrorFromZod(parsed.error);
  const scenario = { ...parsed.data, model: resolveModelConfig(parsed.data.model, (field) => `model.${field}`) };
  if (scenario.runs.length === 0 && !scenario.perturbation)
    throw new InputError('runs', 'give at least one network run (or a perturbation study)');
  // Names shared by the studies' tables and violations: run ids first, then the perturbation study's id.
  const ids = new Set<string>();
  const runs = resolveRuns(scenario, ids);
  checkPerturbationSection(scenario, ids);
  const { $schema: _schema, output, ...rest } = scenario;
  const resolved: Scenario = { ...rest, runs, outputDir: output.dir ?? join('reports', scenario.name) };
  // The network engine's own checks (e.g. tMax a whole number of dt steps), reported at JSON paths.
  validateJobs(resolved);
  return resolved;
}

/** Read and resolve a scenario file; unreadable or non-JSON files are InputErrors naming the file. */
export function loadScenario(path: string): Scenario {
  return resolveScenario(readJsonFile(path, path, 'the scenario file'));
}
