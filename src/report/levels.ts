import { WIDE } from './plots.js';

/**
 * Predicted loss levels on histograms: dashed rules with labels laid out so that they never overlap
 * (in rows above the bars), and the count axis that leaves room for them. Pixel sizes are lower bounds
 * on what Vega's `fit` autosize gives the plot area; the browser test (test/report/html.test.ts)
 * checks the drawn labels.
 */

export interface LossLevel {
  label: string;
  loss: number;
  /** Draw the label next to the rule (default true). */
  labelled?: boolean;
}

/**
 * Lower bounds on the plot area (inside the axes and the legend) of a WIDE figure, which Vega's `fit`
 * autosize decides at render time: the y axis with its title takes ≤ 70 px, a legend ≤ 150 px, the x
 * axis ≤ 50 px. Level labels are laid out with these, so in the real (larger) area they only move apart.
 */
export const WIDE_PLOT_AREA = { width: WIDE.width - 16 - 70 - 150, height: WIDE.height - 16 - 50 };
/** Upper bound on the width of one character of a 10 px Helvetica label, the row pitch and the gaps (px). */
const LABEL_CHAR_PX = 6.2;
const LABEL_ROW_PX = 13;
const LABEL_GAP_PX = 8;
const LABEL_OFFSET_PX = 3;
const LABEL_TOP_PX = 2;

export interface PlacedLabel {
  /** Row from the top (0 = highest). */
  row: number;
  /** Left: the text starts right of the rule; right: it ends left of it (levels near the right edge). */
  align: 'left' | 'right';
}

/**
 * Level labels that never overlap: each label sits beside its rule (left-aligned, or right-aligned when
 * it would run past the right edge) in the first row from the top where it clears every label already
 * placed there by LABEL_GAP_PX. `x` are pixel positions in a plot area `width` px wide that is a lower
 * bound on the real one: positions scale up with the area, so labels that clear here clear there.
 */
export function placeLevelLabels(labels: { x: number; text: string }[], width: number): PlacedLabel[] {
  const boxes = labels.map((l) => {
    const w = l.text.length * LABEL_CHAR_PX;
    const align: PlacedLabel['align'] = l.x + LABEL_OFFSET_PX + w > width ? 'right' : 'left';
    const left = align === 'left' ? l.x + LABEL_OFFSET_PX : l.x - LABEL_OFFSET_PX - w;
    return { left, right: left + w, align };
  });
  const rowEnds: number[] = [];
  const placed = new Array<PlacedLabel>(labels.length);
  for (const i of boxes.map((_, i) => i).sort((a, b) => boxes[a].left - boxes[b].left)) {
    let row = rowEnds.findIndex((end) => boxes[i].left >= end + LABEL_GAP_PX);
    if (row < 0) row = rowEnds.push(boxes[i].right) - 1;
    else rowEnds[row] = boxes[i].right;
    placed[i] = { row, align: boxes[i].align };
  }
  return placed;
}

type LevelAxis = { type: 'linear' | 'log'; domain: [number, number] };

/**
 * The level layers of a histogram: dashed rules from below the label strip to the x axis, and the
 * labels in rows in the strip above the bars (placeLevelLabels). Text marks are named `level_labels`
 * (SVG class level_labels_marks), which the browser test reads back to check that none overlap.
 * Returns the rules, the label layers and the strip's height in px, which the bars must leave free.
 */
export function levelLayers(
  levels: LossLevel[],
  axis: LevelAxis,
  x: Record<string, unknown>,
): { rules: unknown; labels: unknown[]; stripPx: number } {
  const [d0, d1] = axis.domain;
  const to = axis.type === 'log' ? Math.log10 : (v: number) => v;
  const pixel = (v: number) => ((to(v) - to(d0)) / (to(d1) - to(d0))) * WIDE_PLOT_AREA.width;
  const inside = levels.filter((l) => l.loss >= d0 && l.loss <= d1);
  const labelled = inside.filter((l) => l.labelled !== false);
  const placed = placeLevelLabels(
    labelled.map((l) => ({ x: pixel(l.loss), text: l.label })),
    WIDE_PLOT_AREA.width,
  );
  const rows = placed.reduce((m, p) => Math.max(m, p.row + 1), 0);
  const stripPx = rows === 0 ? 0 : LABEL_TOP_PX + rows * LABEL_ROW_PX + 2;
  const text = (align: 'left' | 'right') => ({
    name: align === 'left' ? 'level_labels' : 'level_labels_right',
    data: {
      values: labelled
        .map((l, i) => ({ loss: l.loss, label: l.label, y: LABEL_TOP_PX + placed[i].row * LABEL_ROW_PX }))
        .filter((_, i) => placed[i].align === align),
    },
    mark: {
      type: 'text',
      align,
      baseline: 'top',
      dx: align === 'left' ? LABEL_OFFSET_PX : -LABEL_OFFSET_PX,
      fontSize: 10,
      color: '#222',
    },
    encoding: {
      x: { field: 'loss', ...x },
      y: { field: 'y', type: 'quantitative', scale: null },
      text: { field: 'label' },
    },
  });
  const rules = {
    data: { values: inside.map((l) => ({ loss: l.loss, label: l.label })) },
    mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.3, color: '#222' },
    encoding: { x: { field: 'loss', ...x }, y: { value: stripPx }, y2: { value: { expr: 'height' } } },
  };
  return { rules, labels: (['left', 'right'] as const).map(text).filter((t) => t.data.values.length > 0), stripPx };
}

/** Bars at least this wide (px) keep their colour beside a 1.3 px rule drawn over them; narrower ones are drawn over the rules. */
const BAR_UNDER_RULE_PX = 4;

/**
 * The layers of a histogram in drawing order: the level rules over the bars when the bars are wide enough
 * to show beside them (runs often sit right on a level), else under them; the labels last.
 */
export function histogramLayers(bars: unknown, levels: { rules: unknown; labels: unknown[] }, bins: number): unknown[] {
  const over = WIDE_PLOT_AREA.width / Math.max(bins, 1) >= BAR_UNDER_RULE_PX;
  return [...(over ? [bars, levels.rules] : [levels.rules, bars]), ...levels.labels];
}

/** The y (count) axis of a histogram whose tallest stack is `maxCount`, leaving `stripPx` free at the top. */
export function countAxis(
  maxCount: number,
  stripPx: number,
  title: string,
  plotHeight: number = WIDE_PLOT_AREA.height,
) {
  const yMax = Math.max(1, maxCount);
  // At most ~8 ticks, at 1, 2 or 5 × 10^n.
  const yStep =
    [1, 2, 5]
      .flatMap((m) => [0, 1, 2, 3, 4, 5, 6].map((e) => m * 10 ** e))
      .sort((a, b) => a - b)
      .find((step) => yMax / step <= 8) ?? Math.ceil(yMax / 8);
  const values = Array.from({ length: Math.floor(yMax / yStep) + 1 }, (_, i) => i * yStep);
  // Bars reach `yMax` at (1 − strip/height) of the real plot height, at least strip px below the top.
  const top = yMax / (1 - stripPx / plotHeight);
  return {
    field: 'y1',
    type: 'quantitative' as const,
    scale: { domain: [0, top], nice: false },
    axis: { title, values, format: 'd' },
  };
}
