import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The package root (tests run the built dist/ where worker threads need compiled scripts). */
export const root = join(import.meta.dirname, '..', '..');

/**
 * Fail (rather than skip) when dist/ is missing or older than src/ for the given source folders: worker
 * threads load compiled scripts, so a stale build would test old code. `npm ci` builds it (prepare).
 */
export function assertBuilt(dirs: string[]): void {
  for (const dir of dirs) {
    for (const file of readdirSync(join(root, 'src', dir)).filter((f) => f.endsWith('.ts'))) {
      const built = join(root, 'dist', dir, file.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(root, 'src', dir, file)).mtimeMs) {
        throw new Error(`${built} is missing or older than its source: run \`npx tsc -p .\` before this test`);
      }
    }
  }
}
