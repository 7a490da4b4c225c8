import { existsSync, readFileSync } from 'node:fs';
import { readConfigJson, writeConfigJson } from '../../io/config-file.js';
import { join, resolve } from 'node:path';
import { InputError } from '../../model/errors.js';
import { type StatsConfig, firstDifference, statsIdentity } from '../../landscape/stats/config.js';
import { parseRuns } from '../../landscape/stats/runs-csv.js';
import { STATES_FILE, readStates } from '../../landscape/stats/states-jsonl.js';
import { statsResult } from './compute.js';
import { writeStatsReport } from './runner.js';
import type { RunRecord } from '../../landscape/stats/run.js';
import type { TableRow } from '../../landscape/stats/table.js';

interface Shard {
  dir: string;
  config: StatsConfig;
  records: RunRecord[];
  states: Map<number, string>;
}

function readShard(dir: string): Shard {
  const runsPath = join(dir, 'runs.csv');
  const doc = readConfigJson(dir, dir);
  if (!doc || !existsSync(runsPath))
    throw new InputError(dir, 'is not a stats output directory (config.json and runs.csv expected)');
  if (doc.command !== 'stats') throw new InputError(join(dir, 'config.json'), 'is not the config.json of a stats run');
  const text = readFileSync(runsPath, 'utf8');
  // A shard that is still running (or was killed) may end in an unterminated line: use complete lines,
  // and only the states of the runs they record.
  const records = parseRuns(text.slice(0, text.lastIndexOf('\n') + 1), runsPath);
  const seeds = new Set(records.map((r) => r.seed));
  const states = [...readStates(join(dir, STATES_FILE))].filter(([seed]) => seeds.has(seed));
  return { dir, config: doc.resolved as unknown as StatsConfig, records, states: new Map(states) };
}

export interface MergeResult {
  records: RunRecord[];
  table: TableRow[];
  shards: number[];
  expected: number;
}

/**
 * `merge`: combine the runs.csv of the shards of one stats run (`--shard i/n`) into one table. Shards
 * must share every configuration field but the shard index (statsIdentity), cover distinct indices
 * and distinct seeds; anything else is refused, naming the directory and the first differing field.
 */
export async function mergeStats(dirs: string[], out: string): Promise<MergeResult> {
  if (dirs.length === 0) throw new InputError('DIR', 'give at least one stats output directory to merge');
  const outDir = resolve(out);
  if (dirs.some((d) => resolve(d) === outDir))
    throw new InputError('--out', 'must differ from the directories being merged');
  const shards = dirs.map(readShard);
  const reference = statsIdentity(shards[0].config);
  const indices = new Set<number>();
  const seen = new Map<number, string>();
  for (const shard of shards) {
    const diff = firstDifference(reference, statsIdentity(shard.config));
    if (diff !== null) throw new InputError(shard.dir, `configuration differs from ${shards[0].dir} in ${diff}`);
    if (indices.has(shard.config.shard.index))
      throw new InputError(shard.dir, `shard ${shard.config.shard.index}/${shard.config.shard.count} is given twice`);
    indices.add(shard.config.shard.index);
    for (const r of shard.records) {
      const other = seen.get(r.seed);
      if (other !== undefined) throw new InputError(shard.dir, `seed ${r.seed} is also recorded in ${other}`);
      seen.set(r.seed, shard.dir);
    }
  }
  const records = shards.flatMap((s) => s.records);
  const config: StatsConfig = { ...shards[0].config, shard: { index: 0, count: 1 } };
  const expected = shards[0].config.inits;
  const shardList = [...indices].sort((a, b) => a - b);
  const states = new Map(shards.flatMap((s) => [...s.states]));
  const result = statsResult(config, records, expected, { states });
  await writeStatsReport(outDir, result);
  writeConfigJson(outDir, 'merge', {
    ...reference,
    shards: shardList,
    sources: dirs.map((d) => resolve(d)),
    runs: records.length,
    expected,
  });
  return { records, table: result.table, shards: shardList, expected };
}
