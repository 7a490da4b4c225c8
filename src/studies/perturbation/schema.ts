import { z } from 'zod';
import type { ModelConfig } from '../../model/config.js';
import { InputError } from '../../model/errors.js';
import { identifier } from '../network-theory/schema.js';

/**
 * The perturbation study's section of the scenario file (`perturbation`, composed into the whole file by
 * ../scenario/schema.ts) and its cross-field rules.
 */

const positive = () => z.number().positive();
const positiveInt = () => z.int().min(1);

export const perturbationSection = z
  .strictObject({
    id: identifier().default('perturbation'),
    k1: z
      .array(z.int().min(0))
      .min(1)
      .describe('Fixed-point families of the K = M block ansatz (k1 anti-aligned units, paper Result 2) to perturb.'),
    embed: z
      .boolean()
      .default(true)
      .describe('Also perturb each family embedded into K = M + 1 with an extra zero unit.'),
    lr: positive().default(1).describe('Learning rate of the relaxing gradient flow (gd).'),
    sigmas: z
      .array(positive())
      .min(1)
      .describe('Perturbation strengths σ: student weights W ← W + σξ, ξ ~ N(0, 1) entrywise.'),
    d: positiveInt().default(200).describe('Dimension at which the fixed point is realised as weights (≥ K + M + 1).'),
    tRelax: positive().default(500).describe('Relaxation time after the perturbation.'),
    repetitions: positiveInt().default(10).describe('Perturbations per σ (seeds seed, seed + 1, …).'),
    seed: z.int().min(0).default(0),
    tolerances: z
      .strictObject({
        maxReturnRatio: positive()
          .optional()
          .describe(
            'K = M: mean return distance / mean initial distance must stay below this at every σ (the family is stable).',
          ),
        minEscapeRatio: positive()
          .optional()
          .describe(
            'K = M + 1: mean distance after relaxing / initial distance must exceed this at every σ (the embedding is a saddle).',
          ),
      })
      .prefault({}),
  })
  .describe(
    "The weight-space perturbation protocol of the paper's Appendix D (src/landscape/perturb.ts), relaxed with the gd flow.",
  );

export type PerturbationSpec = z.output<typeof perturbationSection>;

/** What the perturbation study reads of a scenario. */
export interface PerturbationConfig {
  model: ModelConfig;
  spec: PerturbationSpec;
}

/** The perturbation protocol starts from K = M ansatz families and embeds them into K = M + 1. */
export function checkPerturbationSection(
  scenario: { model: ModelConfig; perturbation?: PerturbationSpec },
  ids: Set<string>,
): void {
  const p = scenario.perturbation;
  if (!p) return;
  const { K, M } = scenario.model;
  if (ids.has(p.id)) throw new InputError('perturbation.id', `"${p.id}" is also a run id`);
  if (K !== M)
    throw new InputError(
      'perturbation',
      `the k1 families are the K = M block ansatz; the model has K = ${K}, M = ${M}`,
    );
  p.k1.forEach((k1, i) => {
    if (k1 > K) throw new InputError(`perturbation.k1[${i}]`, `k1 = ${k1} anti-aligned units exceeds K = ${K}`);
    if (p.k1.indexOf(k1) !== i) throw new InputError(`perturbation.k1[${i}]`, `k1 = ${k1} is listed twice`);
  });
  const needed = K + M + (p.embed ? 1 : 0);
  if (p.d < needed)
    throw new InputError('perturbation.d', `realising the fixed point as weights needs d >= ${needed}, got ${p.d}`);
  if (scenario.model.teacher !== 'orthonormal')
    throw new InputError('model.teacher', 'the perturbation protocol uses the T = I families (orthonormal teacher)');
  if (p.tolerances.minEscapeRatio !== undefined && !p.embed) {
    throw new InputError(
      'perturbation.tolerances.minEscapeRatio',
      'the escape is measured on the K = M + 1 embedding: set embed to true',
    );
  }
}
