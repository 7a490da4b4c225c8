import { join } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { readJsonFile } from '../../io/read-json.js';
import { validateJobs } from '../network-theory/job.js';
import type { FlowName } from '../../theory/flow.js';
import type { OptimizerComposition as Composition } from '../../model/optimizer.js';
import { resolveModelConfig } from '../../theory/config.js';
import { flowDefinition, flowOfComposition } from '../../theory/flows/index.js';
import { type ParsedScenario, type RunInput, ScenarioSchema, type Tolerances } from './schema.js';

/** One network run with every default filled and the theory it is compared with. */
export interface ResolvedRun extends Omit<RunInput, 'optimizer' | 'seeds' | 'lrReadout'> {
  /** The preset name when the scenario used one, else null. */
  preset: string | null;
  composition: Composition;
  /** The mean-field flow of this composition (equations.md §4). */
  flow: FlowName;
  lrReadout: number;
  seeds: number[];
  /** ODE method for this run's theory (scenario theory.method, with auto resolved). */
  theoryMethod: 'dopri5' | 'euler' | 'map';
  tolerances: Tolerances;
}

export interface Scenario extends Omit<ParsedScenario, 'runs' | 'output' | '$schema'> {
  runs: ResolvedRun[];
  /** Output directory (scenario output.dir, else reports/<name>); the CLI's --out overrides it. */
  outputDir: string;
}

/**
 * The theory's solver method of a run. auto: dopri5 for online SGD (its network is random, the flow is
 * its d → ∞ limit); map for population and empirical GD, the exact discrete population-GD map with the
 * run's dt (src/theory/gd-map.ts): a population run follows it to float32 round-off at any d and dt,
 * and an empirical run is its finite-sample approximation, step for step.
 */
function theoryMethodOf(method: ParsedScenario['theory']['method'], c: Composition): ResolvedRun['theoryMethod'] {
  if (method !== 'auto') return method;
  return c.gradient === 'online' ? 'dopri5' : 'map';
}

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

function parseSeeds(seeds: number[] | string, where: string): number[] {
  if (typeof seeds === 'string') {
    const [from, to] = seeds.split('..').map(Number);
    if (!(to >= from)) throw new InputError(where, `empty seed range "${seeds}"`);
    if (to - from >= 100_000) throw new InputError(where, `seed range "${seeds}" is too long (at most 100000 seeds)`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  const seen = new Set<number>();
  seeds.forEach((s, i) => {
    if (seen.has(s)) throw new InputError(`${where}[${i}]`, `seed ${s} is listed twice`);
    seen.add(s);
  });
  return seeds;
}

function checkSlope(bounds: { min?: number; max?: number } | undefined, where: string, run: ResolvedRun): void {
  if (!bounds) return;
  if (bounds.min === undefined && bounds.max === undefined) throw new InputError(where, 'give min, max or both');
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw new InputError(`${where}.min`, `min ${bounds.min} is above max ${bounds.max}`);
  }
  if (run.d.length < 2) throw new InputError(where, `a slope against d needs at least two values of d (runs "${run.id}" has ${run.d.length})`);
  if (run.seeds.length < 2) throw new InputError(where, 'a spread across seeds needs at least two seeds');
}

/** Cross-field rules that a per-field schema cannot express; every error names its JSON path. */
function resolveRun(run: RunInput, i: number, scenario: ParsedScenario, ids: Set<string>): ResolvedRun {
  const at = `runs[${i}]`;
  if (ids.has(run.id)) throw new InputError(`${at}.id`, `duplicate run id "${run.id}"`);
  ids.add(run.id);
  const preset = typeof run.optimizer === 'string' ? run.optimizer : null;
  const composition = preset ? flowDefinition(preset, `${at}.optimizer`).network : (run.optimizer as Composition);
  // The theory's flow for this composition (theory/flows/): the constrained SGD terms of §4.4–4.5 are
  // derived but not verified, so online runs have a flow only unconstrained and first-layer.
  const flow = flowOfComposition(composition)?.name ?? null;
  if (!flow) {
    throw new InputError(`${at}.optimizer`, `no mean-field flow for ${composition.gradient}/${composition.constraint}/${composition.layers}: the theory covers online/none/first and population or empirical with none|sphere|stiefel (first layer) or none (both layers)`);
  }
  const { K, M, teacher } = scenario.model;
  const seenD = new Set<number>();
  run.d.forEach((d, j) => {
    if (seenD.has(d)) throw new InputError(`${at}.d[${j}]`, `d = ${d} is listed twice`);
    seenD.add(d);
    if (composition.constraint === 'stiefel' && d < K) throw new InputError(`${at}.d[${j}]`, `the stiefel constraint needs K <= d (K = ${K}, d = ${d})`);
    if (teacher === 'orthonormal' && d < M) throw new InputError(`${at}.d[${j}]`, `an orthonormal teacher needs M <= d (M = ${M}, d = ${d})`);
  });
  if (composition.gradient === 'empirical' && run.samples === undefined) throw new InputError(`${at}.samples`, 'empirical runs need the training-set size');
  if (composition.gradient !== 'empirical' && run.samples !== undefined) throw new InputError(`${at}.samples`, `only empirical runs use a training set (this run is ${composition.gradient})`);
  if (composition.gradient !== 'online' && run.batch !== 1) throw new InputError(`${at}.batch`, `only online runs use mini-batches (this run is ${composition.gradient})`);
  if (composition.gradient === 'population' && run.labelNoise !== undefined) throw new InputError(`${at}.labelNoise`, 'label noise does not change the population gradient');
  if (composition.layers !== 'both' && run.lrReadout !== undefined) throw new InputError(`${at}.lrReadout`, 'only two-layer runs train the readouts');
  if (composition.gradient !== 'online' && run.dt > run.tMax) throw new InputError(`${at}.dt`, `dt = ${run.dt} is larger than tMax = ${run.tMax}`);
  if (composition.layers !== 'both' && run.tolerances.maxADeviation !== undefined) {
    throw new InputError(`${at}.tolerances.maxADeviation`, 'the readouts are not trained in this run');
  }
  const resolved: ResolvedRun = {
    ...run,
    preset,
    composition,
    flow,
    lrReadout: run.lrReadout ?? run.lr,
    seeds: parseSeeds(run.seeds, `${at}.seeds`),
    theoryMethod: theoryMethodOf(scenario.theory.method, composition),
  };
  if (resolved.theoryMethod === 'map' && composition.gradient === 'online') {
    throw new InputError('theory.method', `map is the exact discrete population-GD map; run "${run.id}" is online SGD (random steps): use auto, dopri5 or euler`);
  }
  checkSlope(run.tolerances.spreadSlope, `${at}.tolerances.spreadSlope`, resolved);
  checkSlope(run.tolerances.deviationSlope, `${at}.tolerances.deviationSlope`, resolved);
  return resolved;
}

/** The perturbation protocol starts from K = M ansatz families and embeds them into K = M + 1. */
function checkPerturbation(scenario: ParsedScenario, ids: Set<string>): void {
  const p = scenario.perturbation as NonNullable<ParsedScenario['perturbation']>;
  const { K, M } = scenario.model;
  if (ids.has(p.id)) throw new InputError('perturbation.id', `"${p.id}" is also a run id`);
  if (K !== M) throw new InputError('perturbation', `the k1 families are the K = M block ansatz; the model has K = ${K}, M = ${M}`);
  p.k1.forEach((k1, i) => {
    if (k1 > K) throw new InputError(`perturbation.k1[${i}]`, `k1 = ${k1} anti-aligned units exceeds K = ${K}`);
    if (p.k1.indexOf(k1) !== i) throw new InputError(`perturbation.k1[${i}]`, `k1 = ${k1} is listed twice`);
  });
  const needed = K + M + (p.embed ? 1 : 0);
  if (p.d < needed) throw new InputError('perturbation.d', `realising the fixed point as weights needs d >= ${needed}, got ${p.d}`);
  if (scenario.model.teacher !== 'orthonormal') throw new InputError('model.teacher', 'the perturbation protocol uses the T = I families (orthonormal teacher)');
  if (p.tolerances.minEscapeRatio !== undefined && !p.embed) {
    throw new InputError('perturbation.tolerances.minEscapeRatio', 'the escape is measured on the K = M + 1 embedding: set embed to true');
  }
}

/** Validate a parsed JSON value and fill every default; InputError(JSON path) on the first problem. */
export function resolveScenario(json: unknown): Scenario {
  if (json !== null && typeof json === 'object' && (json as { kind?: unknown }).kind === 'stats') {
    throw new InputError('kind', 'this is a stats scenario (landscape statistics over random initialisations): run it with `scm-harness stats --scenario FILE`');
  }
  const parsed = ScenarioSchema.safeParse(json);
  if (!parsed.success) throw inputErrorFromZod(parsed.error);
  const scenario = { ...parsed.data, model: resolveModelConfig(parsed.data.model, (field) => `model.${field}`) };
  if (scenario.runs.length === 0 && !scenario.perturbation) throw new InputError('runs', 'give at least one network run (or a perturbation study)');
  const ids = new Set<string>();
  const runs = scenario.runs.map((run, i) => resolveRun(run, i, scenario, ids));
  if (scenario.perturbation) checkPerturbation(scenario, ids);
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
