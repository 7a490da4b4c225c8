import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import { withOutputDirectory } from '../../io/output-dir.js';
import { checkStoredStatsConfig } from './stats.js';

/** `merge DIR... --out DIR`: combine the shards of a stats run (stats-merge.ts). */
async function runMergeCommand(dirs: string[], f: { out?: string }): Promise<void> {
  if (f.out === undefined) throw new InputError('--out', 'is required (the output directory)');
  const out = resolve(f.out);
  if (dirs.some((d) => resolve(d) === out))
    throw new InputError('--out', 'must differ from the directories being merged');
  // A shard directory (with runs.csv) must hold a complete stats configuration; other directories are named by mergeStats.
  for (const dir of dirs) if (existsSync(join(dir, 'runs.csv'))) checkStoredStatsConfig(dir, dir);
  // Loaded on use, like the stats study (issue 11).
  const { mergeStats } = await import('../../studies/stats/merge.js');
  const result = await withOutputDirectory(out, '--out', () => mergeStats(dirs, out));
  const global = result.table.find((r) => r.group === 'paper' && r.category === 'global');
  process.stdout.write(
    `merge: ${result.records.length} of ${result.expected} runs from shards ${result.shards.join(', ')}; global ${global ? (100 * global.fraction).toFixed(2) : '–'}%\n`,
  );
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description(
      'Combine the shard directories of one stats run into one runs.csv, table and histogram; refuses shards with differing configurations',
    )
    .argument('<dirs...>', 'stats output directories (one per --shard i/n)')
    .option('--out <dir>', 'output directory (required)')
    .action((dirs: string[], flags: { out?: string }) => runMergeCommand(dirs, flags));
}
