import { InputError } from '../model/errors.js';
import { readJsonFile } from '../io/read-json.js';
import { NormalSampler } from '../random/normal.js';
import { orthonormalTeacher } from '../theory/init.js';
import type { TeacherInit } from './config.js';

/**
 * Independent Gaussian streams of one seed, one per purpose, so that e.g. a longer run or a larger
 * batch (more data draws) never changes the teacher or the initial student of that seed, and no seed's
 * numbers depend on which other seeds share the ensemble or on the backend.
 */
export interface SeedStreams {
  teacher: NormalSampler;
  student: NormalSampler;
  data: NormalSampler;
}

export function seedStreams(seed: number): SeedStreams {
  return {
    teacher: new NormalSampler(`scm-network/${seed}/teacher`),
    student: new NormalSampler(`scm-network/${seed}/student`),
    data: new NormalSampler(`scm-network/${seed}/data`),
  };
}

/** Student weights (and optionally readouts) read from an --init-weights file. */
export interface InitialWeights {
  W: Float64Array;
  a: Float64Array | null;
}

function finiteRow(value: unknown, length: number, where: string): number[] {
  if (!Array.isArray(value) || value.length !== length)
    throw new InputError(where, `must be an array of ${length} numbers`);
  value.forEach((x: unknown, i: number) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(`${where}[${i}]`, 'must be a finite number');
  });
  return value as number[];
}

/** Read and validate {"W": K×d, "a"?: K}; errors name `where` plus the JSON path. */
export function readInitialWeights(path: string, K: number, d: number, where: string): InitialWeights {
  const json = readJsonFile(path, where);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InputError(where, `${path} must hold a JSON object {"W": [[...]], "a"?: [...]}`);
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj))
    if (key !== 'W' && key !== 'a') throw new InputError(`${where} ${path}: ${key}`, 'unknown key (expected W, a)');
  if (!Array.isArray(obj.W) || obj.W.length !== K)
    throw new InputError(`${where} ${path}: W`, `must be an array of K = ${K} rows`);
  const W = new Float64Array(K * d);
  obj.W.forEach((row: unknown, k: number) => W.set(finiteRow(row, d, `${where} ${path}: W[${k}]`), k * d));
  const a = obj.a === undefined ? null : Float64Array.from(finiteRow(obj.a, K, `${where} ${path}: a`));
  return { W, a };
}

/** Teacher weights (M×d, float64): orthonormal rows scaled to T = I (orthonormalised in float64), or N(0, 1) entries. */
export function teacherWeights(kind: TeacherInit, M: number, d: number, sampler: NormalSampler): Float64Array {
  return kind === 'orthonormal' ? orthonormalTeacher(M, d, sampler) : sampler.fill(new Float64Array(M * d));
}

/** Default student weights: i.i.d. N(0, scale²) entries (Q ≈ scale²·I, R ≈ 0 up to O(1/√d) fluctuations). */
export function gaussianStudent(K: number, d: number, scale: number, sampler: NormalSampler): Float64Array {
  return sampler.fill(new Float64Array(K * d), 0, scale);
}
