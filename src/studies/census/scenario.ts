import { z } from 'zod';
import { InputError } from '../../model/errors.js';
import { readJsonFile } from '../../io/read-json.js';
import { type CensusConfig, CensusConfigSchema, resolveCensusConfig } from './config.js';

/**
 * A census scenario (scenarios/hidden-minima.json): a named census configuration. Its own small schema,
 * like the stats scenarios (src/studies/stats/scenario.ts), not a section of the network-vs-theory
 * scenario schema: a census has no network runs. `census --scenario FILE` runs it; `--inits` overrides
 * the file (to run it small).
 */
export const CensusScenarioSchema = CensusConfigSchema.extend({
  $schema: z.string().optional(),
  kind: z.literal('census').describe('Marks a census scenario (scenarios/ also holds other kinds).'),
  name: z.string().min(1),
  description: z.string().default(''),
});

export interface CensusScenario {
  name: string;
  description: string;
  config: CensusConfig;
}

export function loadCensusScenario(path: string, overrides: { inits?: number }): CensusScenario {
  const json = readJsonFile(path, '--scenario');
  const parsed = CensusScenarioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`--scenario ${path}: ${issue.path.join('.') || '(root)'}`, issue.message);
  }
  const { $schema: _, kind: __, name, description, ...fields } = parsed.data;
  const config = resolveCensusConfig({ ...fields, ...overrides }, `--scenario ${path}`);
  return { name, description, config };
}
