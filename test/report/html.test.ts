import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { renderReportHtml } from '../../src/report/html.js';
import { finalLossHistogramPlot, landscapeHistogramPlot } from '../../src/report/histograms.js';
import { WIDE_PLOT_AREA } from '../../src/report/levels.js';
import {
  deviationVsDPlot,
  lossCurvesPlot,
  overlapHeatmapPlot,
  readoutCurvesPlot,
  type LossCurvePoint,
} from '../../src/report/plots.js';
import { renderPlot, type RenderedPlot } from '../../src/report/vega.js';
import { resolveStatsConfig } from '../../src/landscape/stats/config.js';
import { writeReport } from '../../src/studies/scenario/write.js';
import { executeScenario } from '../../src/studies/scenario/execute.js';
import { resolveScenario } from '../../src/studies/scenario/resolve.js';
import { runStats } from '../../src/studies/stats/runner.js';

const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'report-html');

/** Deterministic synthetic data (a tiny LCG): loss curves decaying to a plateau, noisy at small d. */
function synthetic(): Promise<RenderedPlot[]> {
  let state = 12345;
  const uniform = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const curves: LossCurvePoint[] = [];
  for (const d of [100, 400, 1600]) {
    for (let seed = 0; seed < 3; seed++) {
      for (let i = 0; i <= 60; i++) {
        const t = 0.1 * 10 ** (i / 20);
        const theory = 0.3 * Math.exp(-t / 8) + 1e-4 * (seed + 1);
        curves.push({ t, loss: theory, source: 'theory', seed, d });
        curves.push({ t, loss: theory * (1 + ((uniform() - 0.5) * 4) / Math.sqrt(d)), source: 'network', seed, d });
      }
    }
  }
  const K = 3;
  const Q = Float64Array.from([1.02, 0.1, -0.3, 0.1, 0.97, 0.05, -0.3, 0.05, 1.1]);
  const R = Float64Array.from([0.02, 0.98, 0.01, -0.9, 0.03, 0.1, 0.0, 0.05, 1.01]);
  const labels = (p: string) => Array.from({ length: K }, (_, i) => `${p}${i + 1}`);
  const ds = [100, 400, 1600];
  const sd = ds.map((d) => 0.02 / Math.sqrt(d));
  // A d → ∞ reference for the largest d only: the legend must list it, and it must be drawn.
  const reference = curves
    .filter((p) => p.d === 1600 && p.source === 'theory')
    .map((p) => ({ ...p, source: 'reference', loss: p.loss * 1.1 }));
  const readouts = [0, 1].flatMap((seed) =>
    Array.from({ length: 40 }, (_, i) => 0.1 * 10 ** (i / 15)).flatMap((t) =>
      [0, 1, 2].flatMap((k) =>
        ['network', 'theory'].map((source) => ({
          t,
          k,
          seed,
          d: 400,
          source,
          value: 1 + (0.2 * (k - 1) * t) / (1 + t) + (source === 'network' ? 1e-3 : 0),
        })),
      ),
    ),
  );
  // Levels closer than a label width (0.0234 / 0.0248 / 0.0252, 0.0471 / 0.0475): labels must not overlap.
  const crowded = [0.0128, 0.0234, 0.0248, 0.0252, 0.0362, 0.0471, 0.0475];
  const landscapeRuns = crowded.flatMap((loss, i) =>
    Array.from({ length: 40 - 5 * i }, () => ({ loss: loss * (1 + (uniform() - 0.5) * 1e-4), group: 'spurious' })),
  );
  return Promise.all([
    renderPlot(lossCurvesPlot('loss-sgd', 'sgd: loss vs t', [...curves, ...reference])),
    renderPlot(readoutCurvesPlot('readouts', 'gd2l: readouts', readouts)),
    renderPlot(
      overlapHeatmapPlot('q-end', 'Q at t = 50 (network)', 'Student–student overlaps.', Q, labels('s'), labels('s')),
    ),
    renderPlot(
      overlapHeatmapPlot('r-end', 'R at t = 50 (network)', 'Student–teacher overlaps.', R, labels('s'), labels('t')),
    ),
    renderPlot(
      deviationVsDPlot('dev-d', 'spread vs d', 'Spread of the final loss against d.', [
        {
          metric: 'sd of final loss',
          points: ds.map((d, i) => ({ d, value: sd[i], lo: sd[i] * 0.8, hi: sd[i] * 1.2 })),
          fit: { slope: -0.5, slopeSE: 0.05, intercept: Math.log(0.02) },
        },
        { metric: 'max |ΔQ|', points: ds.map((d) => ({ d, value: 0.05 / Math.sqrt(d) })) },
      ]),
    ),
    renderPlot(
      finalLossHistogramPlot(
        'hist',
        'final loss',
        'Final losses per seed; dashed: theory levels.',
        ds.map((d) => ({
          d,
          losses: Array.from(
            { length: 20 },
            () => (uniform() < 0.3 ? 0.05 : 1e-6) * (1 + ((uniform() - 0.5) * 10) / Math.sqrt(d)),
          ),
        })),
        [
          { label: 'global', loss: 1e-6 },
          { label: 'k1 = 1', loss: 0.05 },
          { label: 'k1 = 2 (7)', loss: 0.052 },
          { label: 'not-converged (3)', loss: 0.055 },
        ],
      ),
    ),
    renderPlot(
      landscapeHistogramPlot('landscape', 'stats: final loss', 'Crowded levels.', {
        runs: [...landscapeRuns, { loss: 0.03, group: 'not-converged' }, { loss: 0.2, group: 'not-converged' }],
        groups: ['spurious', 'saddle', 'not-converged'],
        global: { count: 700, total: 1000, below: 1e-5 },
        levels: crowded.map((loss, i) => ({ label: `k1=${i + 1}: ${loss}`, loss })),
        xMax: 0.055,
      }),
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
        {
          heading: 'Loss',
          plots: plots.slice(0, 2),
          tables: [{ caption: 'figures', header: ['name', 'value'], rows: [['a', 1]] }],
        },
        { heading: 'Overlaps', plots: plots.slice(2, 4) },
        { heading: 'Broadening', plots: plots.slice(4), paragraphs: ['slope −0.50 ± 0.05'] },
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
    const html = renderReportHtml({
      title: 't',
      subtitle: '',
      verdict: { state: 'fail', text: 'tolerances violated' },
      command: 'c',
      sections: [{ heading: 'h', plots }],
      footer: [],
    });
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
        // The DOM is not in this project's TypeScript libs: elements are `any` in here.
        const svg: any = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const rect = (e: any) => {
          const r = e.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
        };
        // Drawn data marks: items of a mark container (lines, rects, rules, points, text) with Vega's "field: value; …" description.
        const marks: any[] = svg
          ? Array.from(svg.querySelectorAll('.role-mark [role="graphics-symbol"][aria-label]'))
          : [];
        const visible = marks.filter((m) => {
          const r = m.getBoundingClientRect();
          return (r.width > 0 || r.height > 0) && m.getAttribute('opacity') !== '0';
        });
        const values = new Set(
          visible.flatMap((m) =>
            (m.getAttribute('aria-label') ?? '').split('; ').map((pair: string) => pair.slice(pair.indexOf(': ') + 2)),
          ),
        );
        // Symbol legends (the heat maps' gradient legends have no entries): each entry's label.
        const legendEntries: string[] = svg
          ? (Array.from(svg.querySelectorAll('g.role-legend')) as any[])
              .filter((g) => (g.getAttribute('aria-label') ?? '').startsWith('Symbol legend'))
              .flatMap((g) =>
                (Array.from(g.querySelectorAll('.role-legend-label text')) as any[]).map((t) =>
                  String(t.textContent ?? ''),
                ),
              )
          : [];
        const sourceOrder = marks
          .map((m) => /source: (\w+)/.exec(m.getAttribute('aria-label') ?? '')?.[1])
          .filter((source): source is string => source !== undefined);
        return {
          id: f.id,
          expected: [Number(f.getAttribute('data-width')), Number(f.getAttribute('data-height'))],
          size: box ? [Math.round(box.width), Math.round(box.height)] : [0, 0],
          marks: svg ? svg.querySelectorAll('.role-mark path, .role-mark line, .role-mark text').length : 0,
          legendEntries,
          undrawnLegendEntries: legendEntries.filter((label) => !values.has(label)),
          sourceOrder,
          svgBox: box ? rect(svg) : null,
          // The plot area (inside axes, legend and title): the root group's background.
          area: svg?.querySelector('.role-frame.root > g > path.background')
            ? rect(svg.querySelector('.role-frame.root > g > path.background'))
            : null,
          levelLabels: svg
            ? (
                Array.from(svg.querySelectorAll('.level_labels_marks text, .level_labels_right_marks text')) as any[]
              ).map((t) => ({ text: String(t.textContent ?? ''), ...rect(t) }))
            : [],
          bars: svg ? (Array.from(svg.querySelectorAll('.mark-rect.role-mark path')) as any[]).map(rect) : [],
        };
      }),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
    expect(statSync(screenshot).size, `${screenshot} written`).toBeGreaterThan(0);
    return { drawn, errors, requests };
  }

  type Box = { left: number; right: number; top: number; bottom: number };
  type Drawn = Awaited<ReturnType<typeof inspect>>['drawn'][number];
  const intersect = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

  /**
   * Every plot: drawn at its size with marks; every legend entry has drawn marks of its series (a mark
   * whose description carries that value); the theory and reference curves come after (on top of) the
   * network curves; level labels lie inside the figure and intersect neither each other nor a bar.
   */
  function expectDrawn(drawn: Drawn[]): void {
    for (const plot of drawn) {
      expect(plot.size, plot.id).toEqual(plot.expected);
      expect(plot.marks, `${plot.id} has drawn marks`).toBeGreaterThan(2);
      expect(plot.undrawnLegendEntries, `${plot.id}: legend entries without drawn marks`).toEqual([]);
      const firstOther = plot.sourceOrder.findIndex((s) => s !== 'network');
      if (firstOther >= 0)
        expect(
          plot.sourceOrder.lastIndexOf('network'),
          `${plot.id}: every network curve drawn before (under) the theory and reference curves`,
        ).toBeLessThan(firstOther);
      const labels = plot.levelLabels;
      // The label layout assumes at least this plot area (positions only move apart in a larger one).
      if (labels.length > 0)
        expect(plot.area?.width ?? 0, `${plot.id}: plot area width`).toBeGreaterThanOrEqual(WIDE_PLOT_AREA.width);
      for (let i = 0; i < labels.length; i++) {
        const svg = plot.svgBox as Box;
        expect(
          labels[i].left >= svg.left && labels[i].right <= svg.right && labels[i].top >= svg.top,
          `${plot.id}: "${labels[i].text}" inside the figure`,
        ).toBe(true);
        for (let j = i + 1; j < labels.length; j++)
          expect(intersect(labels[i], labels[j]), `${plot.id}: "${labels[i].text}" overlaps "${labels[j].text}"`).toBe(
            false,
          );
        for (const bar of plot.bars)
          expect(intersect(labels[i], bar), `${plot.id}: "${labels[i].text}" overlaps a bar`).toBe(false);
      }
    }
  }

  it('draws every plot of a synthetic page at its size, with no console errors and no network requests', async () => {
    const { drawn, errors, requests } = await inspect(htmlPath, join(OUT, 'synthetic.png'));
    expect(drawn.map((p) => p.id)).toEqual(plots.map((p) => p.id));
    expectDrawn(drawn);
    const byId = new Map(drawn.map((p) => [p.id, p]));
    // The checks have something to check: crowded labels, all seven of them; a reference curve in the legend.
    expect(byId.get('landscape')?.levelLabels).toHaveLength(7);
    expect(byId.get('hist')?.levelLabels).toHaveLength(4);
    expect(byId.get('loss-sgd')?.legendEntries).toEqual(['100', '400', '1600', 'network', 'theory', 'reference']);
    expect(byId.get('readouts')?.legendEntries).toEqual(['400', 'network', 'theory']);
    expect(new Set(byId.get('loss-sgd')?.sourceOrder)).toEqual(new Set(['network', 'theory', 'reference']));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws the report of a real (small) scenario run', async () => {
    const scenario = resolveScenario({
      name: 'html-test',
      model: { K: 2, M: 2 },
      runs: [
        {
          id: 'gd',
          optimizer: 'gd',
          lr: 1,
          dt: 0.05,
          d: [20, 40],
          seeds: [0, 1],
          tMax: 2,
          record: 'log:20',
          tolerances: { maxLossDeviation: 1e-2 },
        },
        {
          id: 'sgd',
          optimizer: 'sgd',
          lr: 0.5,
          d: [50, 100],
          seeds: [0, 1, 2],
          tMax: 1,
          record: 'log:20',
          tolerances: { spreadSlope: { max: 10 } },
        },
        { id: 'gd2l', optimizer: 'gd2l', lr: 1, dt: 0.05, d: [20, 40], seeds: [0, 1], tMax: 2, record: 'log:20' },
      ],
      perturbation: { k1: [1], sigmas: [0.01, 0.1], d: 20, tRelax: 50, repetitions: 2 },
    });
    const result = await executeScenario(scenario, { progress: false });
    const dir = join(OUT, 'scenario');
    await writeReport(result, dir, 'scm-harness run html-test.json');
    const { drawn, errors, requests } = await inspect(join(dir, 'report.html'), join(OUT, 'report.png'));
    // Per run: loss curves, readouts (gd2l trains them), final-loss histogram, 4 heat maps (Q, R of network
    // and theory), deviation vs d; then the perturbation study's distance plot.
    const plotsOf = (r: string) => [
      `${r}-loss`,
      ...(r === 'gd2l' ? [`${r}-readouts`] : []),
      `${r}-final-loss`,
      `${r}-Q-network`,
      `${r}-R-network`,
      `${r}-Q-theory`,
      `${r}-R-theory`,
      `${r}-broadening`,
    ];
    expect(drawn.map((p) => p.id)).toEqual([...['gd', 'sgd', 'gd2l'].flatMap(plotsOf), 'perturbation-distance']);
    expectDrawn(drawn);
    // An orthonormal teacher: no separate reference run, so no "reference" in any legend.
    expect(drawn.find((p) => p.id === 'gd-loss')?.legendEntries).toEqual(['20', '40', 'network', 'theory']);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws a stats page: no tolerances, a linear axis, stable levels labelled without overlap, every legend entry drawn', async () => {
    const dir = join(OUT, 'stats');
    rmSync(dir, { recursive: true, force: true });
    await runStats(resolveStatsConfig({ K: 8, M: 8, inits: 40 }), dir, { workers: 1 });
    const { drawn, errors, requests } = await inspect(join(dir, 'histogram.html'), join(OUT, 'stats.png'));
    expect(drawn.map((p) => p.id)).toEqual(['final-loss']);
    expectDrawn(drawn);
    // K = M = 8: the runs that miss the global minimum land on the stable k1 = 1 family.
    expect(drawn[0].levelLabels.map((l) => l.text)).toEqual(['k1=1: 0.0215']);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const page = await browser.newPage();
    await page.goto(`file://${join(dir, 'histogram.html')}`);
    expect(await page.textContent('.badge')).toBe('no tolerances in this study');
    expect(await page.getAttribute('g[aria-roledescription="axis"][aria-label^="X-axis"]', 'aria-label')).toMatch(
      /final loss \(linear\)' for a linear scale/,
    );
    await page.close();
  });
});
