import sparticuz from '@sparticuz/chromium';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { root } from './built.js';

/**
 * Headless, no sandbox (tests may run as root) and no traffic of the browser's own (updates, sync, metrics,
 * QUIC). Deliberately not @sparticuz/chromium's `args`: they are for AWS Lambda, and their `--single-process`
 * makes the browser die when a page is closed, so a second `newPage` hangs; their `--disable-features` would
 * also replace Playwright's own list and they turn web security off.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let unpacked: Promise<string> | undefined;

/**
 * The Chromium shipped (brotli-compressed) in @sparticuz/chromium, unpacked once per package version into
 * node_modules/.cache. The package unpacks into os.tmpdir(); we point that at a fresh staging directory and
 * rename it into place, so parallel test workers never see a half-written binary and an upgrade never reuses
 * an old one.
 */
function bundledChromium(): Promise<string> {
  unpacked ??= (async () => {
    const pkg = join(
      dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')),
      '..',
      '..',
      'package.json',
    );
    const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
    const cache = join(root, 'node_modules', '.cache');
    const dir = join(cache, `sparticuz-chromium-${version}`);
    const done = join(dir, '.unpacked');
    if (!existsSync(done)) {
      mkdirSync(cache, { recursive: true });
      const staging = mkdtempSync(join(cache, 'sparticuz-chromium-staging-'));
      const tmpdir = process.env.TMPDIR;
      process.env.TMPDIR = staging;
      try {
        await sparticuz.executablePath();
      } catch (err) {
        rmSync(staging, { recursive: true, force: true });
        throw err;
      } finally {
        if (tmpdir === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmpdir;
      }
      writeFileSync(join(staging, '.unpacked'), version);
      try {
        renameSync(staging, dir);
      } catch (err) {
        // Another worker renamed its copy first (the target exists and is not empty): use that one.
        rmSync(staging, { recursive: true, force: true });
        if (!existsSync(done)) throw err;
      }
    }
    return join(dir, 'chromium');
  })();
  return unpacked;
}

/**
 * Launch headless Chromium for browser tests: the one shipped in the @sparticuz/chromium npm package (no
 * download, no system package), or a system Chromium when CHROMIUM_PATH is set.
 */
export async function launchChromium(): Promise<{ browser: Browser; executablePath: string }> {
  const system = process.env.CHROMIUM_PATH || undefined;
  if (system !== undefined && !existsSync(system)) throw new Error(`CHROMIUM_PATH=${system} does not exist`);
  const executablePath = system ?? (await bundledChromium());
  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS });
  return { browser, executablePath };
}
