import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { renderReportHtml } from '../../src/report/html.js';
import {
  deviationVsDPlot,
  finalLossHistogramPlot,
  lossCurvesPlot,
  overlapHeatmapPlot,
  type LossCurvePoint,
} from '../../src/report/plots.js';
import { renderPlot, type RenderedPlot } from '../../src/report/vega.js';
import { writeReport } from '../../src/studies/scenario/write.js';
import { executeScenario } from '../../src/studies/scenario/execute.js';
import { resolveScenario } from '../../src/studies/scenario/resolve.js';

const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'report-html');

/** Deterministic synthetic data (a tiny LCG): loss curves decaying to a plateau, noisy at small d. */
function synthetic(): Promise<RenderedPlot[]> {
  let state = 12345;
  const uniform = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const curves: LossCurvePoint[] = [];
  for (const d of [100, 400, 1600]) {
    for (let seed = 0; seed < 3; seed++) {
      for (let i = 0; i <= 60; i++) {
        const t = 0.1 * 10 ** (i / 20);
        const theory = 0.3 * Math.exp(-t / 8) + 1e-4 * (seed + 1);
        curves.push({ t, loss: theory, source: 'theory', seed, d });
        curves.push({ t, loss: theory * (1 + (uniform() - 0.5) * 4 / Math.sqrt(d)), source: 'network', seed, d });
      }
    }
  }
  const K = 3;
  const Q = Float64Array.from([1.02, 0.1, -0.3, 0.1, 0.97, 0.05, -0.3, 0.05, 1.1]);
  const R = Float64Array.from([0.02, 0.98, 0.01, -0.9, 0.03, 0.1, 0.0, 0.05, 1.01]);
  const labels = (p: string) => Array.from({ length: K }, (_, i) => `${p}${i + 1}`);
  const ds = [100, 400, 1600];
  const sd = ds.map((d) => 0.02 / Math.sqrt(d));
  return Promise.all([
    renderPlot(lossCurvesPlot('loss-sgd', 'sgd: loss vs t', curves)),
    renderPlot(overlapHeatmapPlot('q-end', 'Q at t = 50 (network)', 'Student–student overlaps.', Q, labels('s'), labels('s'))),
    renderPlot(overlapHeatmapPlot('r-end', 'R at t = 50 (network)', 'Student–teacher overlaps.', R, labels('s'), labels('t'))),
    renderPlot(
      deviationVsDPlot('dev-d', 'spread vs d', 'Spread of the final loss against d.', [
        { metric: 'sd of final loss', points: ds.map((d, i) => ({ d, value: sd[i], lo: sd[i] * 0.8, hi: sd[i] * 1.2 })), fit: { slope: -0.5, slopeSE: 0.05, intercept: Math.log(0.02) } },
        { metric: 'max |ΔQ|', points: ds.map((d) => ({ d, value: 0.05 / Math.sqrt(d) })) },
      ]),
    ),
    renderPlot(
      finalLossHistogramPlot(
        'hist',
        'final loss',
        'Final losses per seed; dashed: theory levels.',
        ds.map((d) => ({ d, losses: Array.from({ length: 20 }, () => (uniform() < 0.3 ? 0.05 : 1e-6) * (1 + (uniform() - 0.5) * 10 / Math.sqrt(d))) })),
        [{ label: 'global', loss: 1e-6 }, { label: 'k1 = 1', loss: 0.05 }],
      ),
    ),
  ]);
}

describe('report.html in headless Chromium', () => {
  let browser: Browser;
  let plots: RenderedPlot[];
  let htmlPath: string;

  beforeAll(async () => {
    plots = await synthetic();
    const html = renderReportHtml({
      title: 'synthetic report',
      subtitle: 'synthetic data',
      verdict: { state: 'pass', text: 'all tolerances hold' },
      command: 'scm-harness run synthetic.json',
      sections: [
        { heading: 'Loss', plots: plots.slice(0, 1), tables: [{ caption: 'figures', header: ['name', 'value'], rows: [['a', 1]] }] },
        { heading: 'Overlaps', plots: plots.slice(1, 3) },
        { heading: 'Broadening', plots: plots.slice(3), paragraphs: ['slope −0.50 ± 0.05'] },
      ],
      footer: ['test'],
    });
    mkdirSync(OUT, { recursive: true });
    htmlPath = join(OUT, 'report.html');
    writeFileSync(htmlPath, html);
    const launched = await launchChromium();
    browser = launched.browser;
    console.info(`report test: Chromium ${browser.version()} at ${launched.executablePath}`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('is self-contained: no scripts, no external resources', () => {
    const html = renderReportHtml({ title: 't', subtitle: '', verdict: { state: 'fail', text: 'tolerances violated' }, command: 'c', sections: [{ heading: 'h', plots }], footer: [] });
    // url(#…) references to gradients inside the same SVG are fine; anything else would load a resource.
    const external = html.match(/<script|<link|<img|src=|@import|url\((?!#)|href="(?!#)/gi) ?? [];
    expect(external).toEqual([]);
  });

  /** Open a page and return what was drawn, the console errors and any non-file requests; save a screenshot. */
  async function inspect(path: string, screenshot: string) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) requests.push(req.url());
    });
    await page.goto(`file://${path}`);
    const drawn = await page.$$eval('figure.plot', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: f.id,
          expected: [Number(f.getAttribute('data-width')), Number(f.getAttribute('data-height'))],
          size: box ? [Math.round(box.width), Math.round(box.height)] : [0, 0],
          marks: svg ? svg.querySelectorAll('.role-mark path, .role-mark line, .role-mark text').length : 0,
        };
      }),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
    expect(statSync(screenshot).size, `${screenshot} written`).toBeGreaterThan(0);
    return { drawn, errors, requests };
  }

  function expectDrawn(drawn: { id: string; expected: number[]; size: number[]; marks: number }[]): void {
    for (const plot of drawn) {
      expect(plot.size, plot.id).toEqual(plot.expected);
      expect(plot.marks, `${plot.id} has drawn marks`).toBeGreaterThan(2);
    }
  }

  it('draws every plot of a synthetic page at its size, with no console errors and no network requests', async () => {
    const { drawn, errors, requests } = await inspect(htmlPath, join(OUT, 'synthetic.png'));
    expect(drawn.map((p) => p.id)).toEqual(plots.map((p) => p.id));
    expectDrawn(drawn);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws the report of a real (small) scenario run', async () => {
    const scenario = resolveScenario({
      name: 'html-test',
      model: { K: 2, M: 2 },
      runs: [
        { id: 'gd', optimizer: 'gd', lr: 1, dt: 0.05, d: [20, 40], seeds: [0, 1], tMax: 2, record: 'log:20', tolerances: { maxLossDeviation: 1e-2 } },
        { id: 'sgd', optimizer: 'sgd', lr: 0.5, d: [50, 100], seeds: [0, 1, 2], tMax: 1, record: 'log:20', tolerances: { spreadSlope: { max: 10 } } },
      ],
      perturbation: { k1: [1], sigmas: [0.01, 0.1], d: 20, tRelax: 50, repetitions: 2 },
    });
    const result = await executeScenario(scenario, { progress: false });
    const dir = join(OUT, 'scenario');
    await writeReport(result, dir, 'scm-harness run html-test.json');
    const { drawn, errors, requests } = await inspect(join(dir, 'report.html'), join(OUT, 'report.png'));
    // Per run: loss curves, final-loss histogram, 4 heat maps (Q, R of network and theory), deviation vs d;
    // then the perturbation study's distance plot.
    expect(drawn.map((p) => p.id)).toEqual([
      ...['gd', 'sgd'].flatMap((r) => [`${r}-loss`, `${r}-final-loss`, `${r}-Q-network`, `${r}-R-network`, `${r}-Q-theory`, `${r}-R-theory`, `${r}-broadening`]),
      'perturbation-distance',
    ]);
    expectDrawn(drawn);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });
});
