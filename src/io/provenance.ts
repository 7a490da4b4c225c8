import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Provenance {
  package: string;
  version: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  node: string;
  platform: string;
  createdAt: string;
  command: string;
}

let cached: Omit<Provenance, 'createdAt' | 'command'> | undefined;
let cachedPackage: { name: string; version: string } | undefined;

/** name and version from package.json, without asking git (the CLI's --version; start-up time, issue 11). */
export function packageInfo(): { name: string; version: string } {
  if (!cachedPackage) {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    cachedPackage = { name: pkg.name, version: pkg.version };
  }
  return cachedPackage;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** What every config.json records next to its outputs: package version, git commit, runtime. */
export function provenance(): Provenance {
  if (!cached) {
    const pkg = packageInfo();
    // Only this package's own checkout: installed under another project's node_modules, git would walk
    // up and report the consumer's commit.
    // One git call for both (each call is a process start: CLI start-up, issue 11).
    const [top, head] = git(['rev-parse', '--show-toplevel', 'HEAD'])?.split('\n') ?? [];
    const own = top !== undefined && realpathSync(top) === realpathSync(packageRoot);
    const commit = own && head !== undefined ? head : null;
    const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
    cached = {
      package: pkg.name,
      version: pkg.version,
      gitCommit: commit,
      gitDirty: status === null ? null : status.length > 0,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
  }
  return { ...cached, createdAt: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
}
