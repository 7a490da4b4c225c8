import { InputError } from '../../model/errors.js';
import type { Activation, ActivationDefinition, ActivationParameter } from './activation.js';
import { erfDefinition } from './erf.js';
import { leakyReluDefinition } from './leaky-relu.js';
import { reluDefinition } from './relu.js';

export type { Activation, ActivationDefinition, ActivationName, ActivationParameter, DeviceOps } from './activation.js';
export { DEFAULT_LEAKY_ALPHA } from './leaky-relu.js';

/**
 * The activation registry: every module asks it for names, parameters and Activations. Adding an
 * activation = one file exporting an ActivationDefinition (integrals, device form, parameters) plus one
 * line here (docs/architecture.md).
 */
const REGISTRY = new Map<string, ActivationDefinition>();

export function registerActivation(definition: ActivationDefinition): void {
  if (REGISTRY.has(definition.name)) throw new Error(`activation "${definition.name}" is registered twice`);
  REGISTRY.set(definition.name, definition);
}

registerActivation(reluDefinition);
registerActivation(leakyReluDefinition);
registerActivation(erfDefinition);

/** Registered names, in registration order (a live view: flags and schemas list what is registered). */
export function activationNames(): string[] {
  return [...REGISTRY.keys()];
}

export function activationDefinition(name: string, where = 'activation'): ActivationDefinition {
  const definition = REGISTRY.get(name);
  if (!definition) throw new InputError(where, `must be one of ${activationNames().join(', ')}, got "${name}"`);
  return definition;
}

/** Every parameter name of any registered activation (the flags and scenario keys that may carry one). */
export function activationParameterNames(): string[] {
  return [...new Set([...REGISTRY.values()].flatMap((d) => d.parameters.map((p) => p.name)))];
}

function checkParameter(p: ActivationParameter, value: number, where: string): void {
  const below = p.maxExclusive ? !(value < p.max) : !(value <= p.max);
  if (!Number.isFinite(value) || value < p.min || below) {
    throw new InputError(where, `must be in [${p.min}, ${p.max}${p.maxExclusive ? ')' : ']'}, got ${value}`);
  }
}

/**
 * The parameters of `name` with defaults filled, from a record that may hold any registered parameter
 * name: a value for a parameter `name` does not have is an error (instead of being ignored), and so is a
 * value out of range. `where(param)` names the flag or JSON path in the message.
 */
export function resolveActivationParameters(
  name: string,
  given: Readonly<Record<string, number | null | undefined>>,
  where: (param: string) => string,
): Record<string, number> {
  const definition = activationDefinition(name);
  const own = new Set(definition.parameters.map((p) => p.name));
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && value !== null && !own.has(key)) {
      throw new InputError(
        where(key),
        `does not apply to activation ${name} (it has ${own.size ? [...own].join(', ') : 'no parameters'})`,
      );
    }
  }
  const params: Record<string, number> = {};
  for (const p of definition.parameters) {
    const value = given[p.name] ?? p.default;
    checkParameter(p, value, where(p.name));
    params[p.name] = value;
  }
  return params;
}

/** The Activation `name` with these (already resolved) parameters. */
export function makeActivation(name: string, params: Readonly<Record<string, number>> = {}): Activation {
  const definition = activationDefinition(name);
  const full = Object.fromEntries(definition.parameters.map((p) => [p.name, params[p.name] ?? p.default]));
  return definition.create(full);
}

/** Shorthand for the one parameter the built-in activations have: α of leaky-relu. */
export function activationByName(name: string, alpha?: number | null): Activation {
  return makeActivation(name, alpha === undefined || alpha === null ? {} : { alpha });
}

/**
 * Activation name and slope α as the configuration carries them (model.activation, model.alpha): the
 * name checked against the registry, α validated by the activation's own parameter rule and defaulted
 * there, null for an activation without it. The one place the "α only for leaky-relu" rule lives.
 */
export function resolveActivationChoice(
  name: string,
  alpha: number | null | undefined,
  where: { activation: string; alpha: string },
): { activation: string; alpha: number | null } {
  activationDefinition(name, where.activation);
  const params = resolveActivationParameters(name, { alpha }, () => where.alpha);
  return { activation: name, alpha: params.alpha ?? null };
}
