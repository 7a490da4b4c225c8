import { z } from 'zod';
import { ModelConfigSchema } from '../../model/config.js';
import { activationNames } from '../../theory/activations/index.js';
import { type ResolvedRun, identifier, runsSection, theorySections } from '../network-theory/schema.js';
import { perturbationSection } from '../perturbation/schema.js';

/**
 * The scenario file (scenarios/*.json): a model, and the sections of the studies embedded in scenarios —
 * network runs over a list of d and seeds with the theory started from each seed's own initial overlaps
 * (../network-theory/schema.ts: runs, theory, comparison, classification), the perturbation protocol
 * (../perturbation/schema.ts) — and an output directory. Every object is strict (unknown keys are
 * errors); numbers must be finite (zod 4 rejects ±Infinity, e.g. a JSON 1e999). Defaults are filled in
 * by parsing, so the resolved scenario written to config.json shows every value used. Cross-field rules
 * live in ./resolve.ts and in the studies' schema files.
 */
export const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema (for editors).'),
    name: identifier().describe('Scenario name; reports go to reports/<name>/ by default.'),
    description: z.string().default(''),
    // The registered activations as an enum, so editors complete them from the JSON Schema.
    model: ModelConfigSchema.extend({ activation: z.enum(activationNames()).default('relu') }),
    runs: runsSection,
    perturbation: perturbationSection.optional(),
    ...theorySections,
    output: z.strictObject({ dir: z.string().min(1).optional().describe('Default reports/<name>.') }).prefault({}),
  })
  .describe('scm-harness scenario: one study comparing real finite-d networks with the mean-field theory.');

export type ParsedScenario = z.output<typeof ScenarioSchema>;
export type { RunInput, Tolerances } from '../network-theory/schema.js';

/** A resolved scenario: every default filled, every cross-field rule checked (./resolve.ts). */
export interface Scenario extends Omit<ParsedScenario, 'runs' | 'output' | '$schema'> {
  runs: ResolvedRun[];
  /** Output directory (scenario output.dir, else reports/<name>); the CLI's --out overrides it. */
  outputDir: string;
}

/** The JSON Schema of scenario files (`scm-harness schema`), describing the input form (defaults optional). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
