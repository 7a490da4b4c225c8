import { describe, expect, it } from 'vitest';
import { finalLossHistogramPlot, landscapeBins, landscapeHistogramPlot } from '../../src/report/histograms.js';
import { placeLevelLabels } from '../../src/report/levels.js';
import { deviationVsDPlot, lossCurvesPlot, readoutCurvesPlot, type LossCurvePoint } from '../../src/report/plots.js';
import type { PlotSpec } from '../../src/report/vega.js';

/** The layers of a layered spec, loosely typed for inspection. */
type Layer = {
  name?: string;
  data?: { values: Record<string, unknown>[] };
  mark: { type: string; strokeDash?: number[]; filled?: boolean };
  encoding: Record<string, { scale?: { domain?: unknown[]; type?: string } }>;
};
const layers = (plot: PlotSpec) => (plot.spec as unknown as { layer: Layer[] }).layer;
const rectLayer = (plot: PlotSpec) => layers(plot).find((l) => l.mark.type === 'rect') as Layer;
const rects = (plot: PlotSpec) => rectLayer(plot).data?.values ?? [];

describe('level labels', () => {
  it('labels of close levels go to different rows; in one row no two labels overlap', () => {
    const labels = [
      { x: 100, text: 'k1=2: 0.0248' },
      { x: 96, text: 'k1=3: 0.0234' },
      { x: 150, text: 'k1=3: 0.0362' },
      { x: 10, text: 'k1=1: 0.0128' },
    ];
    const placed = placeLevelLabels(labels, 330);
    expect(placed[0].row).not.toBe(placed[1].row);
    // Boxes as the layout sees them (6.2 px per character, 3 px from the rule).
    const box = (i: number) => {
      const w = labels[i].text.length * 6.2;
      const left = placed[i].align === 'left' ? labels[i].x + 3 : labels[i].x - 3 - w;
      return [left, left + w];
    };
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        if (placed[i].row !== placed[j].row) continue;
        const [a, b] = [box(i), box(j)];
        expect(a[1] <= b[0] || b[1] <= a[0], `${labels[i].text} vs ${labels[j].text}`).toBe(true);
      }
    }
  });

  it('a label that would run past the right edge is right-aligned; far-apart labels share the top row', () => {
    const placed = placeLevelLabels(
      [
        { x: 20, text: 'global (8)' },
        { x: 320, text: 'k1=1 (3)' },
      ],
      330,
    );
    expect(placed).toEqual([
      { row: 0, align: 'left' },
      { row: 0, align: 'right' },
    ]);
  });
});

describe('final-loss histogram of a network ensemble', () => {
  it('distinct population-GD losses at 3e-11…5e-11 (below the loss plots’ 1e-10 floor) fill more than one bar', () => {
    const losses = [3.3e-11, 3.9e-11, 4.0e-11, 4.2e-11, 4.5e-11, 5.1e-11];
    const plot = finalLossHistogramPlot('h', 'h', 'c', [{ d: 50, losses }], [{ label: 'global (6)', loss: 4e-11 }]);
    expect(rects(plot).length).toBeGreaterThan(1);
    const seeds = rects(plot).reduce((n, r) => n + (r.y1 as number) - (r.y0 as number), 0);
    expect(seeds).toBe(losses.length);
  });

  it('losses ≤ 0 (round-off) are drawn at the left edge and said so', () => {
    const plot = finalLossHistogramPlot('h', 'h', 'c', [{ d: 50, losses: [-5e-10, 2e-10, 4e-10] }], []);
    expect(rects(plot).reduce((n, r) => n + (r.y1 as number) - (r.y0 as number), 0)).toBe(3);
    expect(plot.caption).toMatch(/Losses ≤ 0 \(round-off\) are drawn at 1e-10/);
  });
});

describe('landscape histogram (stats)', () => {
  const levels = [
    { label: 'k1=1: 0.0128', loss: 0.0128 },
    { label: 'k1=2: 0.0248', loss: 0.0248 },
    { label: 'k1=3: 0.0362', loss: 0.0362 },
  ];
  const runs = [
    ...Array.from({ length: 50 }, () => ({ loss: 0.0128, group: 'spurious' })),
    ...Array.from({ length: 60 }, () => ({ loss: 0.0248, group: 'spurious' })),
    ...Array.from({ length: 7 }, () => ({ loss: 0.0234, group: 'spurious' })),
    ...Array.from({ length: 30 }, () => ({ loss: 0.0362, group: 'spurious' })),
    { loss: 0.5, group: 'not-converged' },
  ];
  const plot = landscapeHistogramPlot('s', 's', 'c', {
    runs,
    groups: ['spurious', 'saddle', 'not-converged'],
    global: { count: 852, total: 1000, below: 1e-5 },
    levels,
    xMax: 0.045,
  });

  it('uses a linear loss axis from 0 and bins that separate neighbouring levels (0.0234 vs 0.0248)', () => {
    const x = rectLayer(plot).encoding.x;
    expect(x.scale?.type).toBe('linear');
    expect(x.scale?.domain).toEqual([0, 0.045]);
    const binOf = (loss: number) => rects(plot).find((r) => (r.lo as number) <= loss && loss < (r.hi as number));
    expect(binOf(0.0234)).toBeDefined();
    expect(binOf(0.0234)).not.toBe(binOf(0.0248));
    expect(binOf(0.0234)?.y1).toBe(7);
    const edges = landscapeBins(
      0.045,
      levels.map((l) => l.loss),
    );
    expect(edges[1] - edges[0]).toBeLessThanOrEqual((0.0362 - 0.0248) / 6 + 1e-15);
  });

  it('counts the global runs and the runs beyond the axis in the title instead of drawing them', () => {
    const title = (plot.spec as unknown as { title: { text: string[] } }).title.text;
    expect(title).toEqual([
      'global minimum (loss < 1e-5), not drawn:',
      '852 of 1000 runs (85.2 %)',
      'not drawn: 1 run(s) with loss > 0.045',
    ]);
    expect(rects(plot).some((r) => r.class === 'not-converged')).toBe(false);
  });

  it('the legend lists only classes with bars', () => {
    expect(rectLayer(plot).encoding.color.scale?.domain).toEqual(['spurious']);
  });
});

describe('curves against time', () => {
  const points: LossCurvePoint[] = [1, 2, 3].flatMap((t) => [
    { t, loss: 1 / t, source: 'network', seed: 0, d: 10 },
    { t, loss: 1 / t, source: 'theory', seed: 0, d: 10 },
  ]);

  it('draws the theory after (on top of) the network, dashed, and lists only sources that have curves', () => {
    // Layers in drawing order, one per source present.
    const plot = lossCurvesPlot('l', 'l', points);
    const drawn = layers(plot).map((l) => l.data?.values[0]?.source);
    expect(drawn).toEqual(['network', 'theory']);
    expect(layers(plot)[0].encoding.strokeDash.scale?.domain).toEqual(['network', 'theory']);
    expect(plot.caption).not.toContain('reference');
    const withReference = lossCurvesPlot('l', 'l', [
      ...points,
      { t: 1, loss: 1, source: 'reference', seed: 0, d: 10 },
      { t: 2, loss: 0.5, source: 'reference', seed: 0, d: 10 },
    ]);
    expect(layers(withReference).map((l) => l.data?.values[0]?.source)).toEqual(['network', 'theory', 'reference']);
    expect(withReference.caption).toContain('reference');
  });

  it('readouts: one line per (source, seed, d, unit)', () => {
    const plot = readoutCurvesPlot(
      'a',
      'a',
      [0, 1].flatMap((k) =>
        [1, 2].flatMap((t) =>
          ['network', 'theory'].map((source) => ({ t, k, value: 1 + k / 10, source, seed: 0, d: 20 })),
        ),
      ),
    );
    const lines = new Set(layers(plot).flatMap((l) => l.data?.values.map((v) => v.line)));
    expect(lines.size).toBe(4);
  });
});

describe('deviation vs d', () => {
  it('a muted series (round-off) says so in its legend label and is drawn hollow and dashed', () => {
    const plot = deviationVsDPlot('b', 'b', 'c', [
      {
        metric: 'max |ΔQ|',
        points: [
          { d: 50, value: 1e-5 },
          { d: 400, value: 2e-5 },
        ],
        fit: { slope: 0.3, slopeSE: 0.2, intercept: -12 },
        muted: 'round-off (not a finding)',
      },
      {
        metric: 'sd',
        points: [
          { d: 50, value: 1e-2 },
          { d: 400, value: 4e-3 },
        ],
        fit: { slope: -0.5, slopeSE: 0.1, intercept: -2 },
      },
    ]);
    const hollow = layers(plot).find((l) => l.mark.type === 'point' && l.mark.filled === false);
    expect(hollow?.data?.values.map((v) => v.metric)).toEqual([
      'max |ΔQ|: slope 0.30 ± 0.20 — round-off (not a finding)',
      'max |ΔQ|: slope 0.30 ± 0.20 — round-off (not a finding)',
    ]);
    const dashed = layers(plot).find((l) => l.mark.type === 'line' && l.mark.strokeDash);
    expect(dashed?.data?.values.every((v) => String(v.metric).endsWith('round-off (not a finding)'))).toBe(true);
    const filled = layers(plot).find((l) => l.mark.type === 'point' && l.mark.filled === true);
    expect(filled?.data?.values.every((v) => String(v.metric).startsWith('sd:'))).toBe(true);
  });
});
