import { writeConfigJson } from '../../io/config-file.js';
import { provenance } from '../../io/provenance.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { type CensusConfig, censusConfigRecord } from './config.js';
import type { CensusResult } from './compute.js';
import { censusStudy } from './study.js';

export interface CensusRunOptions {
  /** Worker threads; ≤ 1 runs in this thread. Results do not depend on it. */
  workers: number;
  /** Progress on stderr (families, runs). */
  progress: boolean;
  /** Extra config.json fields (e.g. the scenario file it came from). */
  record?: Record<string, unknown>;
}

/**
 * A `census` into `dir` (already probed and locked by the caller): the census study's run, then its report
 * — census.csv, census.md, census.html, points/K<K>-M<M>/*.json — and config.json, each written atomically.
 */
export async function runCensus(config: CensusConfig, dir: string, options: CensusRunOptions): Promise<CensusResult> {
  const result = await censusStudy.run(config, { workers: options.workers, progress: options.progress });
  const report = await censusStudy.report(result, { provenance: provenance() });
  for (const [name, text] of report.files) writeFileAtomic(join(dir, name), text);
  writeConfigJson(dir, 'census', {
    ...censusConfigRecord(config),
    ...options.record,
    workers: options.workers,
    out: dir,
    result: {
      points: result.shapes.map((s) => ({ K: s.K, M: s.M, points: s.points.length, unconverged: s.unconverged })),
      wallSeconds: result.wallSeconds,
    },
  });
  return result;
}
