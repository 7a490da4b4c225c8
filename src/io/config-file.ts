import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import { writeFileAtomic } from './atomic.js';
import { provenance } from './provenance.js';

/**
 * config.json, one shape for every command: `{command, version, commit, ...resolved, provenance}` —
 * the command, the package version and git commit first, then the command's fully resolved
 * configuration (and outcome) at the top level, then the rest of the provenance (runtime, time, argv).
 */
const HEADER_KEYS = ['command', 'version', 'commit', 'provenance'] as const;

export function configDocument(command: string, resolved: object): Record<string, unknown> {
  const p = provenance();
  return { command, version: p.version, commit: p.gitCommit, ...resolved, provenance: p };
}

export function configJson(command: string, resolved: object): string {
  return `${JSON.stringify(configDocument(command, resolved), null, 2)}\n`;
}

export function writeConfigJson(dir: string, command: string, resolved: object): void {
  writeFileAtomic(join(dir, 'config.json'), configJson(command, resolved));
}

/**
 * Read a config.json back: its command and the resolved configuration without the header. Unreadable,
 * non-JSON or foreign files are InputErrors naming `where` (the flag or directory that led here).
 */
export function readConfigJson(
  dir: string,
  where: string,
): { command: string; resolved: Record<string, unknown> } | null {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(
      where,
      `${path} is not valid JSON (${(err as Error).message}); use a new directory or repair it`,
    );
  }
  if (
    typeof doc !== 'object' ||
    doc === null ||
    Array.isArray(doc) ||
    typeof (doc as { command?: unknown }).command !== 'string'
  ) {
    throw new InputError(where, `${path} is not a scm-harness config.json (no "command")`);
  }
  const rest = { ...(doc as Record<string, unknown>) };
  for (const key of HEADER_KEYS) delete rest[key];
  return { command: (doc as { command: string }).command, resolved: rest };
}
