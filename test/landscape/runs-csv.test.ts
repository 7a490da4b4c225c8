import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_COLUMNS, countRecordedRuns, openRuns, parseRuns, runLine } from '../../src/landscape/stats/runs-csv.js';
import { openStates, stateLine, statesJsonl } from '../../src/landscape/stats/states-jsonl.js';
import type { RunRecord } from '../../src/landscape/stats/run.js';

const work = mkdtempSync(join(tmpdir(), 'scm-runs-csv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HEADER = RUN_COLUMNS.join(',');
const line = (seed: number, loss = 1e-7) => `${seed},${loss},global,0,100,0.01,50,1e-10,loss,0,,,0,,0`;

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

describe('runs.csv issue-9 columns and states.jsonl', () => {
  const record: RunRecord = {
    seed: 7,
    finalLoss: 0.024766428031046978,
    class: 'spurious',
    k1: 2,
    k1Argmax: 3,
    steps: 10,
    wallTime: 0.5,
    tFinal: 3026.4,
    maxRhs: 5e-10,
    finish: 'newton',
    newtonIterations: 5,
    nUnstable: 0,
    maxRealEigenvalue: -0.0397,
    saddles: [
      { loss: 0.046045444188486634, index: 4 },
      { loss: 0.03, index: 1 },
    ],
    endState: { Q: [[1]], R: [[-0.5]], T: [[1]] },
  };

  it('saddle path, max real eigenvalue and k1_argmax survive a round trip', () => {
    const [parsed] = parseRuns(`${HEADER}\n${runLine(record)}\n`, 'runs.csv');
    const { endState: _, ...rest } = record;
    expect(parsed).toEqual(rest);
  });

  it('a saddles_passed count that disagrees with saddle_path is refused, naming the line', () => {
    const bad = runLine(record).replace(',2,0.046', ',3,0.046');
    expect(() => parseRuns(`${HEADER}\n${bad}\n`, 'runs.csv')).toThrow(/runs\.csv:2: saddles_passed is 3/);
  });

  it('openStates keeps the lines of recorded runs only and drops a torn last line', () => {
    const path = join(work, 'states.jsonl');
    const keep = stateLine(record) as string;
    const orphan = stateLine({ ...record, seed: 8 }) as string;
    writeFileSync(path, `${keep}\n${orphan}\n{"seed":9,"Q":[[1`);
    const kept = openStates(path, new Set([7]));
    expect([...kept.keys()]).toEqual([7]);
    expect(JSON.parse(kept.get(7) as string)).toMatchObject({
      seed: 7,
      class: 'spurious',
      k1: 2,
      k1_argmax: 3,
      R: [[-0.5]],
    });
    expect(readFileSync(path, 'utf8')).toBe(statesJsonl(kept));
    expect(stateLine({ ...record, class: 'global', endState: undefined })).toBeNull();
  });
});
