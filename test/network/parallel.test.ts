import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, root } from '../helpers/built.js';

/**
 * Worker threads load the compiled worker script (dist/network/worker.js), so these tests run the built
 * package: `npx tsc -p .` first. They fail (rather than skip) when dist/ is missing or older than src/.
 */
const work = mkdtempSync(join(tmpdir(), 'scm-network-parallel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('seeds split over worker threads', () => {
  it('trainEnsembleParallel gives exactly the single-thread result', async () => {
    assertBuilt(['network', 'cli/commands']);
    const { resolveTrainConfig } = await import(join(root, 'dist/network/config.js'));
    const { trainEnsemble } = await import(join(root, 'dist/network/train.js'));
    const { trainEnsembleParallel } = await import(join(root, 'dist/network/parallel.js'));
    const config = resolveTrainConfig({
      optimizer: 'sgd',
      activation: 'relu',
      K: 3,
      M: 2,
      d: 40,
      lr: 0.5,
      tMax: 1,
      seeds: [0, 1, 2, 3, 4],
      record: 'log:10',
    });
    const single = await trainEnsemble(config);
    const split = await trainEnsembleParallel(config, 2);
    expect(split.seeds.map((r: { seed: number }) => r.seed)).toEqual([0, 1, 2, 3, 4]);
    split.seeds.forEach(
      (
        r: { trajectory: { states: Float64Array[]; layout: { columnNames(): string[] } }; status: string },
        i: number,
      ) => {
        expect(r.trajectory.states).toEqual(single.seeds[i].trajectory.states);
        expect(r.status).toBe(single.seeds[i].status);
        expect(r.trajectory.layout.columnNames()).toEqual(single.seeds[i].trajectory.layout.columnNames());
      },
    );
  });

  it('`train --workers 2` writes the same CSVs as one thread', () => {
    assertBuilt(['network', 'cli/commands']);
    const args = [
      'train',
      '--optimizer',
      'sgd',
      '--activation',
      'relu',
      '--K',
      '2',
      '--M',
      '2',
      '--d',
      '30',
      '--lr',
      '0.5',
      '--t-max',
      '1',
      '--seeds',
      '0..3',
    ];
    const run = (dir: string, ...extra: string[]) =>
      execFileSync(join(root, 'bin', 'scm-harness'), [...args, ...extra, '--out', dir], { stdio: 'pipe' });
    run(join(work, 'one'));
    run(join(work, 'two'), '--workers', '2');
    for (const file of ['trajectories.csv', 'final.csv']) {
      expect(readFileSync(join(work, 'two', file))).toEqual(readFileSync(join(work, 'one', file)));
    }
    expect(JSON.parse(readFileSync(join(work, 'two', 'config.json'), 'utf8')).workers).toBe(2);
  });
});
