import { InputError } from '../model/errors.js';
import type { FlowConfig, ModelConfig } from '../model/config.js';
import { type Overlaps, teacherOnlyOverlaps } from '../model/overlaps.js';
import { activationByName, resolveActivationChoice } from './activations/index.js';
import { Flow } from './flow.js';
import { type FlowDefinition, flowDefinition } from './flows/index.js';

/**
 * Resolution of the configuration vocabulary (src/model/config.ts) against the registries: names must
 * be registered, activation parameters valid, flow options must apply to the flow. `where(field)` names
 * the flag or JSON path of a field in error messages. The single place that builds a Flow from a
 * configuration (`makeFlow`).
 */
export type FieldPath = (field: string) => string;

export function resolveModelConfig(model: ModelConfig, where: FieldPath): ModelConfig {
  const { activation, alpha } = resolveActivationChoice(model.activation, model.alpha, {
    activation: where('activation'),
    alpha: where('alpha'),
  });
  return { ...model, activation, alpha };
}

/** Fill the flow's defaults (η_a = η, σ = 0) and reject options that do not apply to it. */
export function resolveFlowConfig(
  flow: FlowConfig,
  where: FieldPath,
  allowed: (d: FlowDefinition) => boolean = () => true,
): FlowConfig {
  const definition = flowDefinition(flow.name, where('name'));
  if (!allowed(definition)) throw new InputError(where('name'), `${flow.name} is not available here`);
  if (!definition.trainsReadouts && flow.lrReadout !== null)
    throw new InputError(where('lrReadout'), `only applies to flows that train the readouts (${flow.name} does not)`);
  if (!definition.stochastic && flow.labelNoise !== null)
    throw new InputError(where('labelNoise'), `only applies to stochastic flows (${flow.name} is a gradient flow)`);
  if (!definition.stochastic && flow.batch !== 1)
    throw new InputError(where('batch'), `only applies to stochastic flows (${flow.name} is a gradient flow)`);
  return {
    ...flow,
    lrReadout: definition.trainsReadouts ? (flow.lrReadout ?? flow.lr) : null,
    labelNoise: definition.stochastic ? (flow.labelNoise ?? 0) : null,
  };
}

/**
 * The Flow of a resolved model and flow configuration; `fixed` holds T and v (and a unless trained) —
 * by default the teacher-only overlaps T = I, a = v = 1 of the landscape tools.
 */
export function makeFlow(
  model: Pick<ModelConfig, 'K' | 'M' | 'activation' | 'alpha'>,
  flow: Pick<FlowConfig, 'name' | 'lr'> & Partial<FlowConfig>,
  fixed?: Overlaps,
): Flow {
  return new Flow(
    flow.name,
    activationByName(model.activation, model.alpha),
    fixed ?? teacherOnlyOverlaps(model.K, model.M),
    {
      lr: flow.lr,
      ...(flow.lrReadout !== undefined && flow.lrReadout !== null ? { lrReadout: flow.lrReadout } : {}),
      ...(flow.labelNoise !== undefined && flow.labelNoise !== null ? { labelNoise: flow.labelNoise } : {}),
      ...(flow.batch !== undefined ? { batch: flow.batch } : {}),
    },
  );
}
