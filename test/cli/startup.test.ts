import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, root } from '../helpers/built.js';

/**
 * Start-up time (issue 11): the commands load TensorFlow.js (src/network) and Vega (src/report) only in the
 * actions that use them. Checked on the real binary by logging every module Node resolves (a loader hook),
 * which, unlike a timing, does not depend on the machine's load (`npm run bench startup` measures the time).
 */
const work = mkdtempSync(join(tmpdir(), 'scm-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hook = join(work, 'hook.mjs');
writeFileSync(
  hook,
  'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(`resolved ${r.url}\\n`); return r; }\n',
);
const register = join(work, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
);

/** Packages the process resolved while running `scm-harness ...args`. */
function loadedPackages(args: string[]): Set<string> {
  const r = spawnSync(process.execPath, ['--import', register, join(root, 'bin', 'scm-harness'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const packages = [...r.stderr.matchAll(/^resolved .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]);
  return new Set(packages);
}

const HEAVY = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  'vega',
  'vega-lite',
];

describe('start-up: heavy modules are loaded on use (issue 11)', () => {
  it('`ode --help` and a small `ode` load neither TensorFlow.js nor Vega', () => {
    assertBuilt(['cli', 'cli/commands', 'network', 'io', 'studies/weight-space']);
    for (const args of [
      ['ode', '--help'],
      ['ode', '--K', '2', '--M', '2', '--t-max', '1', '--out', join(work, 'ode')],
    ]) {
      const loaded = loadedPackages(args);
      expect(loaded.has('commander'), args.join(' ')).toBe(true);
      for (const name of HEAVY) expect(loaded.has(name), `${args.join(' ')} loaded ${name}`).toBe(false);
    }
  });

  it('`hessian` loads no Vega; `train` still loads TensorFlow.js when it trains', () => {
    const fp = join(work, 'fp');
    expect(loadedPackages(['fixed-points', '--K', '3', '--M', '3', '--k1', '0', '--out', fp]).has('vega')).toBe(false);
    const hessian = loadedPackages(['hessian', '--from', join(fp, 'k1-0-0.json'), '--out', join(work, 'h')]);
    expect(hessian.has('vega')).toBe(false);
    const train = loadedPackages([
      'train',
      '--K',
      '2',
      '--M',
      '2',
      '--d',
      '10',
      '--t-max',
      '1',
      '--out',
      join(work, 't'),
    ]);
    expect(train.has('@tensorflow/tfjs-core')).toBe(true);
  });
});
