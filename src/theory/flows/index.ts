import { InputError } from '../../model/errors.js';
import type { OptimizerComposition } from '../../model/optimizer.js';
import type { FlowDefinition } from './definition.js';
import { gd } from './gd.js';
import { gd2l } from './gd2l.js';
import { ngd } from './ngd.js';
import { ongd } from './ongd.js';
import { sgd } from './sgd.js';

export type { FlowDefinition } from './definition.js';

/**
 * The flow registry: every module asks it for names, constraints, what applies to a flow and its
 * network preset (docs/architecture.md). Registration order is the order in help texts.
 */
const REGISTRY = new Map<string, FlowDefinition>();

export function registerFlow(definition: FlowDefinition): void {
  if (REGISTRY.has(definition.name)) throw new Error(`flow "${definition.name}" is registered twice`);
  REGISTRY.set(definition.name, definition);
}

registerFlow(gd);
registerFlow(gd2l);
registerFlow(ngd);
registerFlow(ongd);
registerFlow(sgd);

export function flowNames(filter: (d: FlowDefinition) => boolean = () => true): string[] {
  return [...REGISTRY.values()].filter(filter).map((d) => d.name);
}

/** The flows the landscape tools apply to (fixed points independent of η). */
export function landscapeFlowNames(): string[] {
  return flowNames((d) => d.gradientFlow);
}

export function flowDefinition(name: string, where = 'flow'): FlowDefinition {
  const definition = REGISTRY.get(name);
  if (!definition) throw new InputError(where, `must be one of ${flowNames().join(', ')}, got "${name}"`);
  return definition;
}

/**
 * The flow a network composition is the mean-field limit of, or null when the theory has none. GD-type
 * networks (population, and empirical as its finite-sample approximation) follow the gradient flows;
 * online networks the stochastic flow with the same constraint and layers.
 */
export function flowOfComposition(c: OptimizerComposition): FlowDefinition | null {
  const online = c.gradient === 'online';
  for (const d of REGISTRY.values()) {
    if (
      (d.network.gradient === 'online') === online &&
      d.network.constraint === c.constraint &&
      d.network.layers === c.layers
    )
      return d;
  }
  return null;
}
