import { describe, expect, it } from 'vitest';
import { csvText } from '../../src/io/csv.js';
import { histogramBins } from '../../src/report/histograms.js';
import { logTicks } from '../../src/report/plots.js';
import { createProgress } from '../../src/runtime/progress.js';
import { permuteRows, permuteSymmetric, unitOrderByTeacher } from '../../src/compare/units.js';

describe('heat-map unit order', () => {
  it('lists students by their matched teacher, anti-aligned units included, unmatched last', () => {
    // K = 4, M = 3: s1 ~ t3, s2 anti-aligned with t1, s3 ~ t2, s4 unmatched (K > M).
    const R = Float64Array.from([0.1, 0.0, 0.9, -0.8, 0.1, 0.0, 0.0, 0.95, 0.1, 0.2, 0.3, 0.1]);
    expect(unitOrderByTeacher(R, 4, 3)).toEqual([1, 2, 0, 3]);
  });

  it('permutes rows and symmetric matrices', () => {
    expect(Array.from(permuteRows(Float64Array.from([1, 2, 3, 4]), 2, [1, 0]))).toEqual([3, 4, 1, 2]);
    expect(Array.from(permuteSymmetric(Float64Array.from([1, 2, 2, 5]), [1, 0]))).toEqual([5, 2, 2, 1]);
  });
});

describe('axes and bins', () => {
  it('log ticks: decades, with 2× and 5× over a short range, every other decade over a long one', () => {
    expect(logTicks([0.003, 0.5])).toEqual([0.001, 0.01, 0.1, 1]);
    expect(logTicks([0.012, 0.02])).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5]);
    expect(logTicks([1e-9, 10])).toEqual([1e-9, 1e-7, 1e-5, 0.001, 0.1, 10]);
  });

  it('histogram bins are linear for a narrow distribution and logarithmic across decades', () => {
    const narrow = histogramBins([0.018, 0.019, 0.02]);
    expect(narrow.log).toBe(false);
    expect(narrow.edges[0]).toBeLessThan(0.018);
    expect(narrow.edges[narrow.edges.length - 1]).toBeGreaterThan(0.02);
    // Equal widths.
    expect(narrow.edges[2] - narrow.edges[1]).toBeCloseTo(narrow.edges[1] - narrow.edges[0], 12);
    const wide = histogramBins([1e-10, 1e-6, 0.05]);
    expect(wide.log).toBe(true);
    expect(Math.log(wide.edges[2] / wide.edges[1])).toBeCloseTo(Math.log(wide.edges[1] / wide.edges[0]), 10);
  });
});

describe('csv', () => {
  it('quotes as needed and keeps full float64 precision', () => {
    expect(
      csvText(
        ['a', 'b'],
        [
          ['x,y', 0.1 + 0.2],
          [null, true],
        ],
      ),
    ).toBe('a,b\n"x,y",0.30000000000000004\n,true\n');
  });
});

describe('progress without a terminal', () => {
  it('prints plain lines, at most one per interval, and one at 100%', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const progress = createProgress('study', 100, { stream, intervalSeconds: 3600 });
    for (let done = 1; done <= 100; done++) progress.update(done, `(${done})`);
    progress.done();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^study: 100% \(100\), \d+\.\d s\n$/);
  });
});
