import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvText } from '../../src/io/csv.js';
import { markdownTable } from '../../src/io/markdown.js';
import type { ModelConfig } from '../../src/model/config.js';
import { activationByName } from '../../src/theory/activations/index.js';
import { makeFlow } from '../../src/theory/config.js';
import { randomOverlaps } from '../../src/theory/init.js';
import { populationLoss } from '../../src/theory/loss.js';
import { registerStudy, studies } from '../../src/studies/index.js';
import { executeScenario } from '../../src/studies/scenario/execute.js';
import { resolveScenario } from '../../src/studies/scenario/resolve.js';
import { writeReport } from '../../src/studies/scenario/write.js';
import type { Study } from '../../src/studies/study.js';

/**
 * A new study = one file (here: this object) + one registry line (registerStudy). The toy study
 * computes the population loss of the theory at t = 0 — from the random initial overlaps at d = 50,
 * seed 0 — for the scenario's model, reports it as one CSV, one overview table, one report section and
 * one summary block, and checks one tolerance. Nothing else in src/ knows about it.
 */
interface InitialLossConfig {
  model: ModelConfig;
}
interface InitialLossResult {
  K: number;
  M: number;
  loss: number;
}

const INIT_D = 50;
const HEADER = ['K', 'M', 'd', 'loss'];
const cells = (r: InitialLossResult) => [[r.K, r.M, INIT_D, r.loss]];

const initialLossStudy: Study<InitialLossConfig, InitialLossResult> = {
  kind: 'initial-loss',
  title: 'Loss at t = 0',
  configOf: (scenario) => ({ model: scenario.model }),
  async run({ model }) {
    const init = randomOverlaps(model.K, model.M, INIT_D, 0);
    return { K: model.K, M: model.M, loss: populationLoss(activationByName(model.activation, model.alpha), init) };
  },
  async report(result) {
    return {
      files: [['initial-loss.csv', csvText(HEADER, cells(result))]],
      overviewTables: [{ caption: 'Loss of the theory at t = 0', header: HEADER, rows: cells(result) }],
      sections: [
        {
          heading: 'Loss at t = 0 (toy study)',
          paragraphs: [`Random initial overlaps at d = ${INIT_D}, seed 0.`],
          plots: [],
        },
      ],
      summary: ['## Loss at t = 0 (toy study)', markdownTable(HEADER, cells(result))],
    };
  },
  verdicts: (r) => [
    { metric: 'initial-loss.positive', tolerance: '> 0', observed: r.loss.toPrecision(3), pass: r.loss > 0 },
  ],
  violations: (r) =>
    r.loss > 0
      ? []
      : [{ metric: 'initial-loss.positive', observed: String(r.loss), tolerance: '> 0', where: `K ${r.K} / M ${r.M}` }],
  headline: (r) => `theory loss ${r.loss.toPrecision(3)} at t = 0`,
};

const work = mkdtempSync(join(tmpdir(), 'scm-study-plugin-'));
const unregister = registerStudy(initialLossStudy);
afterAll(() => {
  unregister();
  rmSync(work, { recursive: true, force: true });
});

describe('studies as plug-ins', () => {
  it('a registered study runs with the scenario and appears in its files, report.html and summary.md', async () => {
    const scenario = resolveScenario({
      name: 'plugin-test',
      model: { K: 2, M: 2 },
      perturbation: { k1: [1], sigmas: [0.1], d: 20, tRelax: 20, repetitions: 1 },
    });
    const result = await executeScenario(scenario, { progress: false });
    expect(result.studies.map((s) => s.kind)).toEqual(['perturbation', 'initial-loss']);
    const toy = result.studies[1].result as InitialLossResult;
    // The same loss through another code path: the Flow of the same model at the same overlaps.
    const init = randomOverlaps(2, 2, INIT_D, 0);
    const flow = makeFlow(scenario.model, { name: 'gd', lr: 1 }, init);
    expect(toy.loss).toBeCloseTo(flow.loss(flow.pack(init)), 12);

    const written = await writeReport(result, work, 'scm-harness run plugin-test.json');
    // The study's file comes after the earlier studies' files, before config.json, summary.md and report.html.
    expect(written.map((p) => basename(p))).toEqual([
      'perturbation.csv',
      'initial-loss.csv',
      'config.json',
      'summary.md',
      'report.html',
    ]);
    expect(readFileSync(join(work, 'initial-loss.csv'), 'utf8')).toBe(`K,M,d,loss\n2,2,50,${toy.loss}\n`);

    const html = readFileSync(join(work, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Loss at t = 0 (toy study)</h2>');
    expect(html).toContain('Loss of the theory at t = 0');
    expect(html).toContain(`theory loss ${toy.loss.toPrecision(3)} at t = 0`);
    // Its section follows the perturbation study's.
    expect(html.indexOf('<h2>Loss at t = 0 (toy study)</h2>')).toBeGreaterThan(
      html.indexOf('<h2>Perturbation of fixed points'),
    );

    const summary = readFileSync(join(work, 'summary.md'), 'utf8');
    const block = summary.indexOf('## Loss at t = 0 (toy study)');
    expect(block).toBeGreaterThan(summary.indexOf('## Perturbation of fixed points'));
    expect(block).toBeLessThan(summary.indexOf('## Tolerances'));
    expect(summary).toContain(`| 2 | 2 | 50 | ${toy.loss} |`);
    // Its tolerance is counted and listed with the others.
    expect(summary).toMatch(/\| initial-loss\.positive \| > 0 \| [0-9.e-]+ \| pass \|/);
    expect(summary).toContain('- `initial-loss.csv`');
    expect(result.violations).toEqual([]);
  });

  it('registering a kind twice is an error', () => {
    expect(() => registerStudy(initialLossStudy)).toThrow(/"initial-loss" is already registered/);
    expect(() => registerStudy({ ...initialLossStudy, kind: 'network-theory' })).toThrow(/already registered/);
    expect(studies().map((s) => s.kind)).toEqual(['network-theory', 'perturbation', 'stats', 'census', 'initial-loss']);
  });
});
