import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../helpers/cli.js';

/**
 * Worker threads load the compiled worker (dist/landscape/stats-worker.js), so this test runs the built
 * CLI: `npx tsc -p .` first. It fails (rather than skips) when dist/ is missing or older than src/.
 */
const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'scm-stats-workers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function assertBuilt(): void {
  for (const dir of ['landscape', 'cli/commands']) {
    for (const file of readdirSync(join(root, 'src', dir)).filter((f) => f.endsWith('.ts'))) {
      const built = join(root, 'dist', dir, file.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(root, 'src', dir, file)).mtimeMs) {
        throw new Error(`${built} is missing or older than its source: run \`npx tsc -p .\` before this test`);
      }
    }
  }
}

const rows = (dir: string) =>
  readCsv(readFileSync(join(dir, 'runs.csv'), 'utf8')).map(({ wall_time_s: _, ...rest }) => rest);

describe('stats on worker threads', () => {
  it('`--workers 2` records exactly the runs of one thread (K = M = 7, spurious end states included)', () => {
    assertBuilt();
    const args = ['stats', '--K', '7', '--M', '7', '--inits', '30', '--seed', '7'];
    const run = (dir: string, ...extra: string[]) => execFileSync(join(root, 'bin', 'scm-harness'), [...args, ...extra, '--out', dir], { stdio: 'pipe' });
    run(join(work, 'one'));
    run(join(work, 'two'), '--workers', '2');
    const one = rows(join(work, 'one'));
    expect(one).toHaveLength(30);
    expect(rows(join(work, 'two'))).toEqual(one);
    expect(readFileSync(join(work, 'two', 'table.csv'), 'utf8')).toBe(readFileSync(join(work, 'one', 'table.csv'), 'utf8'));
  });
});
