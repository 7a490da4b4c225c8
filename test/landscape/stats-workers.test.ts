import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, root } from '../helpers/built.js';
import { readCsv } from '../helpers/cli.js';

/**
 * Worker threads load the compiled worker (dist/landscape/stats/worker.js), so this test runs the built
 * CLI: `npx tsc -p .` first. It fails (rather than skips) when dist/ is missing or older than src/.
 */
const work = mkdtempSync(join(tmpdir(), 'scm-stats-workers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const rows = (dir: string) =>
  readCsv(readFileSync(join(dir, 'runs.csv'), 'utf8')).map(({ wall_time_s: _, ...rest }) => rest);

describe('stats on worker threads', () => {
  it('`--workers 2` records exactly the runs of one thread (K = M = 7, spurious end states included)', () => {
    assertBuilt(['landscape', 'cli/commands']);
    const args = ['stats', '--K', '7', '--M', '7', '--inits', '30', '--seed', '7'];
    const run = (dir: string, ...extra: string[]) =>
      execFileSync(join(root, 'bin', 'scm-harness'), [...args, ...extra, '--out', dir], { stdio: 'pipe' });
    run(join(work, 'one'));
    run(join(work, 'two'), '--workers', '2');
    const one = rows(join(work, 'one'));
    expect(one).toHaveLength(30);
    expect(rows(join(work, 'two'))).toEqual(one);
    expect(readFileSync(join(work, 'two', 'table.csv'), 'utf8')).toBe(
      readFileSync(join(work, 'one', 'table.csv'), 'utf8'),
    );
  });
});
