import { describe, expect, it } from 'vitest';
import type { BroadeningFitResult } from '../../src/compare/broadening.js';
import { provenance } from '../../src/io/provenance.js';
import { resolveStatsConfig } from '../../src/landscape/stats/config.js';
import type { RunRecord } from '../../src/landscape/stats/run.js';
import { renderReportHtml, toleranceVerdict } from '../../src/report/html.js';
import type { RunResult } from '../../src/studies/network-theory/execute.js';
import { FIT_HEADER, ROUND_OFF_MARK, fitCells, roundOffFit } from '../../src/studies/network-theory/figures.js';
import { reportHtml } from '../../src/studies/scenario/page.js';
import { resolveScenario } from '../../src/studies/scenario/resolve.js';
import { summaryMarkdown } from '../../src/studies/scenario/summary.js';
import { statsResult } from '../../src/studies/stats/compute.js';
import { levelK1s, stableLevels, statsReport, statsVerdict } from '../../src/studies/stats/report.js';

describe('the verdict badge', () => {
  it('says "no tolerances" when nothing was checked, never "all tolerances hold"', () => {
    expect(toleranceVerdict([], 'scenario')).toEqual({ state: 'none', text: 'no tolerances in this scenario' });
    expect(toleranceVerdict([{ pass: true }, { pass: true }], 'scenario')).toEqual({
      state: 'pass',
      text: 'all 2 tolerances hold',
    });
    expect(toleranceVerdict([{ pass: true }, { pass: false }], 'scenario')).toEqual({
      state: 'fail',
      text: '1 of 2 tolerances violated',
    });
    const html = renderReportHtml({
      title: 't',
      subtitle: 's',
      verdict: toleranceVerdict([], 'study'),
      command: 'c',
      sections: [],
      footer: [],
    });
    expect(html).toContain('<span class="badge none">no tolerances in this study</span>');
    expect(html).not.toMatch(/all tolerances hold/);
  });

  it('a scenario without tolerances: report.html and summary.md say so', () => {
    const scenario = resolveScenario({
      name: 'empty',
      model: { K: 2, M: 2 },
      perturbation: { k1: [1], sigmas: [0.1], d: 20, tRelax: 20, repetitions: 1 },
    });
    const result = { scenario, studies: [], violations: [], workers: 1, wallSeconds: 0 };
    const html = reportHtml(result, [], 'scm-harness run empty.json', provenance());
    expect(html).toContain('<span class="badge none">no tolerances in this scenario</span>');
    const summary = summaryMarkdown(result, [], 'scm-harness run empty.json', []);
    expect(summary).toContain('**NO TOLERANCES**');
    expect(summary).not.toContain('**PASS**');
    expect(summary).toContain('No tolerances in this scenario.');
  });
});

/** A stats run at K = M = 6 with hand-made end states: global, k1 = 1 at its stable level, k1 = 3 runs. */
function statsRecords(): RunRecord[] {
  const base = {
    steps: 1,
    wallTime: 0,
    tFinal: 1,
    maxRhs: 1e-12,
    finish: 'newton' as const,
    newtonIterations: 1,
    nUnstable: null,
    maxRealEigenvalue: null,
    saddles: [],
  };
  return [
    ...Array.from({ length: 90 }, (_, i) => ({
      ...base,
      seed: i,
      finalLoss: 1e-7,
      class: 'global' as const,
      k1: 0,
      k1Argmax: 0,
    })),
    ...Array.from({ length: 8 }, (_, i) => ({
      ...base,
      seed: 90 + i,
      finalLoss: 0.02508058,
      class: 'spurious' as const,
      k1: 1,
      k1Argmax: 1,
    })),
    ...Array.from({ length: 2 }, (_, i) => ({
      ...base,
      seed: 98 + i,
      finalLoss: 0.0262,
      class: 'spurious' as const,
      k1: 3,
      k1Argmax: 3,
    })),
  ];
}

describe('stats page', () => {
  const config = resolveStatsConfig({ K: 6, M: 6, inits: 100 });

  it('predicts only STABLE family levels: at K = M = 6 the k1 = 1 minimum (0.0251), not the k1 = 3 saddle (0.0238)', () => {
    const records = statsRecords();
    expect(levelK1s(config, records)).toEqual([1, 3]);
    const levels = stableLevels(config, records);
    expect(levels?.map((l) => l.k1)).toEqual([1]);
    expect(levels?.[0].loss).toBeCloseTo(0.02508058, 6);
    // What the histogram drew before: the lowest k1 = 3 root of the ansatz, a saddle.
    expect(levels?.some((l) => Math.abs(l.loss - 0.02376) < 1e-4)).toBe(false);
  });

  it('levels are skipped beyond STABLE_LEVELS_MAX_K and for K not in {M, M + 1}', () => {
    expect(stableLevels(resolveStatsConfig({ K: 21, M: 21, inits: 10 }), statsRecords())).toBeNull();
    expect(stableLevels(resolveStatsConfig({ K: 6, M: 3, inits: 10 }), statsRecords())).toBeNull();
  });

  it('badge: no tolerances without a paper row, the paper tolerance with one, incomplete when runs are missing', () => {
    const records = statsRecords();
    expect(statsVerdict(statsResult(config, records, 100), true)).toEqual({
      state: 'none',
      text: 'no tolerances in this study',
    });
    expect(
      statsVerdict(statsResult(config, records, 100, { paper: { local: 10, global: 90, none: 0 } }), true).state,
    ).toBe('pass');
    expect(
      statsVerdict(statsResult(config, records, 100, { paper: { local: 50, global: 50, none: 0 } }), false).state,
    ).toBe('fail');
    expect(statsVerdict(statsResult(config, records, 200), false)).toEqual({
      state: 'fail',
      text: 'incomplete: 100 of 200 initialisations',
    });
  });

  it('histogram.html: linear axis, the global runs counted, the stable level labelled, the level table, no "all tolerances hold"', async () => {
    const report = await statsReport(
      statsResult(config, statsRecords(), 100),
      true,
      '100 of 100 initialisations',
      provenance(),
    );
    const files = Object.fromEntries(report.files);
    expect(Object.keys(files)).toEqual([
      'runs.csv',
      'states.jsonl',
      'table.csv',
      'table.md',
      'histogram.svg',
      'histogram.html',
    ]);
    const html = files['histogram.html'];
    expect(html).toContain('no tolerances in this study');
    expect(html).not.toContain('all tolerances hold');
    expect(html).toContain("X-axis titled 'final loss (linear)' for a linear scale");
    expect(html).toContain('global minimum (loss &lt; 1e-5), not drawn:');
    expect(html).toContain('90 of 100 runs (90.0 %)');
    expect(html).toContain('k1=1: 0.0251');
    expect(html).not.toContain('k1=3:');
    expect(html).toMatch(
      /<td class="num">1<\/td><td class="num">0.02508<\/td><td class="num">1<\/td><td class="num">8<\/td>/,
    );
  });
});

describe('broadening fits to round-off', () => {
  /** The parts of a RunResult that roundOffFit and fitCells read. */
  function run(
    gradient: string,
    method: string,
    values: number[],
    key: BroadeningFitResult['key'],
    reference: object | null = null,
  ): RunResult {
    const fit: BroadeningFitResult = {
      key,
      label: key,
      points: values.map((y, i) => ({ x: 50 * 8 ** i, y, logVariance: 0.01, lo: y, hi: y })),
      fit: {
        slope: -0.4,
        slopeSE: 0.3,
        intercept: 0,
        method: 'two-point',
        n: values.length,
      } as BroadeningFitResult['fit'],
    };
    return {
      run: { id: 'r', composition: { gradient }, theoryMethod: method },
      jobs: [{ seeds: [{ reference }] }],
      broadening: { rows: [], fits: [fit] },
    } as unknown as RunResult;
  }

  it('marks deviations of an exact-map run at round-off, and nothing else', () => {
    const mark = (r: RunResult) => roundOffFit(r, r.broadening.fits[0]);
    // gd vs its exact map: max_t |ΔQ| at 2e-5 and 5e-6 (quickstart) is round-off.
    expect(mark(run('population', 'map', [2e-5, 5e-6], 'trajectoryQDeviationMean'))).toBe(true);
    // Above the bound: a discrepancy, left as a finding.
    expect(mark(run('population', 'map', [2e-5, 5e-3], 'trajectoryQDeviationMean'))).toBe(false);
    // Online SGD, empirical GD, or a theory that is not the map: never round-off.
    expect(mark(run('online', 'dopri5', [2e-5, 5e-6], 'trajectoryQDeviationMean'))).toBe(false);
    expect(mark(run('empirical', 'map', [2e-5, 5e-6], 'trajectoryQDeviationMean'))).toBe(false);
    expect(mark(run('population', 'euler', [2e-5, 5e-6], 'trajectoryQDeviationMean'))).toBe(false);
    // Against the d → ∞ prediction: round-off only when the prediction is the map itself (no separate T = I reference).
    expect(mark(run('population', 'map', [2e-5, 5e-6], 'finalQDeviationMean'))).toBe(true);
    expect(mark(run('population', 'map', [2e-5, 5e-6], 'finalQDeviationMean', {}))).toBe(false);
    // Spread of final losses that are all 0 (< 1e-9, docs/theory.md §7.4), not of losses that differ.
    expect(mark(run('population', 'map', [2.3e-12, 6.9e-12], 'finalLossSd'))).toBe(true);
    expect(mark(run('population', 'map', [2.6e-10, 1.1e-7], 'finalLossSd'))).toBe(false);
  });

  it('the fit table says so in its reading column, with the bound the fit met', () => {
    expect(FIT_HEADER[5]).toBe('reading');
    expect(fitCells([run('population', 'map', [2e-5, 5e-6], 'trajectoryQDeviationMean')])[0][5]).toBe(
      `${ROUND_OFF_MARK}: every value ≤ 0.001 against the exact map`,
    );
    expect(fitCells([run('population', 'map', [2.3e-12, 6.9e-12], 'finalLossSd')])[0][5]).toBe(
      `${ROUND_OFF_MARK}: every sd < 1e-9 (losses that are 0)`,
    );
    expect(fitCells([run('online', 'dopri5', [2e-2, 5e-3], 'trajectoryQDeviationMean')])[0][5]).toBe('');
  });
});
