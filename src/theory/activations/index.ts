import type { Activation, ActivationName } from './activation.js';
import { erf } from './erf.js';
import { leakyRelu } from './leaky-relu.js';
import { relu } from './relu.js';

export type { Activation, ActivationName } from './activation.js';
export const ACTIVATION_NAMES: readonly ActivationName[] = ['relu', 'leaky-relu', 'erf'];
/** Default leaky slope (the paper's Appendix E uses a small positive slope). */
export const DEFAULT_LEAKY_ALPHA = 0.1;

export function activationByName(name: ActivationName, alpha = DEFAULT_LEAKY_ALPHA): Activation {
  switch (name) {
    case 'relu':
      return relu;
    case 'leaky-relu':
      return leakyRelu(alpha);
    case 'erf':
      return erf;
  }
}
