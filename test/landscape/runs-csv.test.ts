import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_COLUMNS, countRecordedRuns, openRuns, parseRuns } from '../../src/landscape/stats/runs-csv.js';

const work = mkdtempSync(join(tmpdir(), 'scm-runs-csv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HEADER = RUN_COLUMNS.join(',');
const line = (seed: number, loss = 1e-7) => `${seed},${loss},global,0,100,0.01,50,1e-10,loss,0,`;

describe('runs.csv: a seed recorded twice is refused, naming the line', () => {
  it('parseRuns names the second line and the first', () => {
    const text = [HEADER, line(0), line(1), line(2), line(1, 2e-7), ''].join('\n');
    expect(() => parseRuns(text, 'out/runs.csv')).toThrow('out/runs.csv:5: seed 1 is recorded twice (also on line 3)');
  });

  it('a resume (openRuns) refuses the file instead of counting the seed twice', () => {
    const path = join(work, 'runs.csv');
    writeFileSync(path, [HEADER, line(0), line(0), ''].join('\n'));
    expect(() => openRuns(path)).toThrow(/runs\.csv:3: seed 0 is recorded twice/);
    expect(countRecordedRuns(path)).toBe(0);
  });

  it('distinct seeds parse as before', () => {
    const path = join(work, 'ok.csv');
    writeFileSync(path, [HEADER, line(3), line(1), ''].join('\n'));
    expect(openRuns(path).map((r) => r.seed)).toEqual([3, 1]);
    expect(countRecordedRuns(path)).toBe(2);
  });
});
