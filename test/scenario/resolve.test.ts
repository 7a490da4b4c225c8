import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { jsonPath, loadScenario, resolveScenario } from '../../src/studies/scenario/resolve.js';
import { scenarioJsonSchema } from '../../src/studies/scenario/schema.js';

const base = (): any => ({
  name: 'unit',
  model: { K: 3, M: 3 },
  runs: [{ id: 'gd', optimizer: 'gd', lr: 1, d: [10, 40], seeds: '0..3', tMax: 5 }],
});

/** Malformed scenarios: [what, mutate, expected JSON path, message fragment]. */
const MALFORMED: [string, (s: any) => void, string, RegExp][] = [
  ['unknown top-level key', (s) => (s.extra = 1), 'extra', /unknown key/],
  ['unknown nested key', (s) => (s.runs[0].learningRate = 1), 'runs[0].learningRate', /unknown key/],
  ['K < 1', (s) => (s.model.K = 0), 'model.K', />=1/],
  ['non-integer M', (s) => (s.model.M = 2.5), 'model.M', /int/],
  ['wrong type', (s) => (s.runs[0].d = [10, '40']), 'runs[0].d[1]', /expected number/],
  ['non-finite number', (s) => (s.runs[0].lr = JSON.parse('1e999')), 'runs[0].lr', /Infinity/],
  ['negative learning rate', (s) => (s.runs[0].lr = -1), 'runs[0].lr', />0/],
  ['empty seed list', (s) => (s.runs[0].seeds = []), 'runs[0].seeds', />=1 items/],
  ['empty seed range', (s) => (s.runs[0].seeds = '5..2'), 'runs[0].seeds', /empty seed range/],
  ['duplicate seed', (s) => (s.runs[0].seeds = [1, 2, 1]), 'runs[0].seeds[2]', /twice/],
  ['unknown optimizer', (s) => (s.runs[0].optimizer = 'adam'), 'runs[0].optimizer', /"gd"\|"gd2l"/],
  [
    'unknown gradient source',
    (s) => (s.runs[0].optimizer = { gradient: 'exact' }),
    'runs[0].optimizer.gradient',
    /population/,
  ],
  [
    'composition without a flow',
    (s) => (s.runs[0].optimizer = { gradient: 'online', constraint: 'sphere' }),
    'runs[0].optimizer',
    /no mean-field flow/,
  ],
  [
    'd < K with a Stiefel constraint',
    (s) => Object.assign(s.runs[0], { optimizer: 'ongd', d: [10, 2] }),
    'runs[0].d[1]',
    /K <= d/,
  ],
  [
    'd < M with an orthonormal teacher',
    (s) => Object.assign(s.model, { K: 2, M: 5 }) && (s.runs[0].d = [4]),
    'runs[0].d[0]',
    /M <= d/,
  ],
  [
    'map theory for online SGD',
    (s) => Object.assign(s, { theory: { method: 'map' } }) && (s.runs[0].optimizer = 'sgd'),
    'theory.method',
    /online SGD/,
  ],
  ['empty d list', (s) => (s.runs[0].d = []), 'runs[0].d', />=1 items/],
  ['no runs', (s) => (s.runs = []), 'runs', /at least one network run/],
  [
    'perturbation with K ≠ M',
    (s) => Object.assign(s, { model: { K: 3, M: 2 }, perturbation: { k1: [1], sigmas: [0.1] } }),
    'perturbation',
    /K = M/,
  ],
  ['perturbation k1 > K', (s) => (s.perturbation = { k1: [1, 4], sigmas: [0.1] }), 'perturbation.k1[1]', /exceeds K/],
  [
    'perturbation without sigmas',
    (s) => (s.perturbation = { k1: [1], sigmas: [] }),
    'perturbation.sigmas',
    />=1 items/,
  ],
  ['perturbation d too small', (s) => (s.perturbation = { k1: [1], sigmas: [0.1], d: 6 }), 'perturbation.d', /d >= 7/],
  ['duplicate run id', (s) => s.runs.push({ ...s.runs[0] }), 'runs[1].id', /duplicate/],
  ['unknown activation', (s) => (s.model.activation = 'tanh'), 'model.activation', /relu/],
  ['batch on a population run', (s) => (s.runs[0].batch = 8), 'runs[0].batch', /online/],
  [
    'empirical run without samples',
    (s) => (s.runs[0].optimizer = { gradient: 'empirical' }),
    'runs[0].samples',
    /training-set/,
  ],
  [
    'slope bound with one d',
    (s) => Object.assign(s.runs[0], { d: [10], tolerances: { spreadSlope: { max: 0 } } }),
    'runs[0].tolerances.spreadSlope',
    /two values of d/,
  ],
  [
    'inverted slope bounds',
    (s) => (s.runs[0].tolerances = { deviationSlope: { min: 0, max: -1 } }),
    'runs[0].tolerances.deviationSlope.min',
    /above max/,
  ],
  [
    'non-positive tolerance',
    (s) => (s.runs[0].tolerances = { maxLossDeviation: 0 }),
    'runs[0].tolerances.maxLossDeviation',
    />0/,
  ],
  ['bad record grid', (s) => (s.runs[0].record = 'log:0'), 'runs[0].record', /log:N/],
  ['bad name', (s) => (s.name = '../escape'), 'name', /letters/],
  ['not an object', (s) => (s.runs[0] = 3), 'runs[0]', /expected object/],
];

describe('resolveScenario: malformed scenarios', () => {
  it.each(MALFORMED)('%s → InputError at the JSON path', (_what, mutate, path, message) => {
    const s = base();
    mutate(s);
    let error: unknown;
    try {
      resolveScenario(s);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).where).toBe(path);
    expect((error as InputError).message).toMatch(message);
  });
});

describe('resolveScenario: defaults', () => {
  it('fills every default and resolves presets, seeds and the theory method', () => {
    const s = resolveScenario(base());
    expect(s.model).toEqual({ K: 3, M: 3, activation: 'relu', alpha: null, teacher: 'orthonormal' });
    expect(s.runs[0]).toMatchObject({
      seeds: [0, 1, 2, 3],
      composition: { gradient: 'population', constraint: 'none', layers: 'first' },
      flow: 'gd',
      theoryMethod: 'map',
      batch: 1,
      record: 'log:100',
      backend: 'wasm',
      lrReadout: 1,
      tolerances: {},
    });
    expect(s.comparison.thresholds).toEqual({ loss: 1e-3, Q: 1e-2, R: 1e-2, a: 1e-2 });
    expect(s.theory.reference).toBe(true);
    expect(s.outputDir).toBe('reports/unit');
  });

  it('maps compositions to flows, online runs to dopri5 and GD-type runs to the exact map', () => {
    const s = base();
    s.runs = [
      { id: 'a', optimizer: { gradient: 'online' } as any, lr: 0.5, d: [50], seeds: [1], tMax: 2 },
      {
        id: 'b',
        optimizer: { gradient: 'population', constraint: 'stiefel' } as any,
        lr: 1,
        d: [50],
        seeds: [1],
        tMax: 2,
      },
      { id: 'c', optimizer: 'gd2l', lr: 1, d: [50], seeds: [1], tMax: 2 },
    ];
    const runs = resolveScenario(s).runs;
    expect(runs.map((r) => [r.flow, r.theoryMethod])).toEqual([
      ['sgd', 'dopri5'],
      ['ongd', 'map'],
      ['gd2l', 'map'],
    ]);
  });

  it('keeps an explicit theory method', () => {
    expect(resolveScenario({ ...base(), theory: { method: 'euler' } }).runs[0].theoryMethod).toBe('euler');
  });

  it('formats JSON paths', () => {
    expect(jsonPath(['runs', 0, 'd', 2])).toBe('runs[0].d[2]');
    expect(jsonPath([])).toBe('(scenario)');
  });
});

describe('JSON Schema export', () => {
  it('is strict and describes the input form', () => {
    const schema = scenarioJsonSchema() as any;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name', 'model']);
    expect(schema.required).not.toContain('theory');
    expect(schema.properties.runs.items.additionalProperties).toBe(false);
    expect(schema.properties.model.properties.K).toMatchObject({ type: 'integer', minimum: 1 });
  });
});

describe('shipped scenarios', () => {
  const dir = join(import.meta.dirname, '..', '..', 'scenarios');

  it('scenarios/scenario.schema.json is the current schema (regenerate with `scm-harness schema > scenarios/scenario.schema.json`)', () => {
    expect(readFileSync(join(dir, 'scenario.schema.json'), 'utf8')).toBe(
      `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`,
    );
  });

  // Files with "kind": "stats" or "census" have their own schemas (src/studies/stats/scenario.ts, tested in
  // test/landscape; src/studies/census/scenario.ts, tested in test/studies/census.test.ts).
  const isOwnKind = (f: string) => ['stats', 'census'].includes(JSON.parse(readFileSync(join(dir, f), 'utf8')).kind);
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json' && !isOwnKind(f)))(
    '%s is valid',
    (file) => {
      const scenario = loadScenario(join(dir, file));
      expect(scenario.name).toBe(file.replace(/\.json$/, ''));
    },
  );

  it('a stats scenario given to `run` is refused with a pointer to `stats --scenario`', () => {
    expect(() => loadScenario(join(dir, 'table1.json'))).toThrow(/kind: this is a stats scenario.*stats --scenario/);
  });
});
