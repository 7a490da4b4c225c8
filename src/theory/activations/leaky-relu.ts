import { reluSteinCoefficients } from '../integrals/relu-stein.js';
import { reluSecondMoment } from '../integrals/relu-sgd/second-moment.js';
import type { Activation, ActivationDefinition } from './activation.js';
import { reluD2, reluI2, reluI3, reluJ2 } from './relu.js';
import { reluI4 } from '../integrals/relu-i4.js';

/**
 * Leaky ReLU g(x) = αx + (1−α) relu(x) (docs/theory.md §1.3). Cross terms reduce with
 * E[u relu(v)] = c12/2 and E[θ(u) v w] = c23/2, so every integral is a linear term plus (1−α)² × ReLU.
 */
export function leakyRelu(alpha: number): Activation {
  if (!(alpha >= 0 && alpha < 1)) throw new RangeError(`leaky-relu slope alpha must be in [0, 1), got ${alpha}`);
  const beta2 = (1 - alpha) * (1 - alpha);
  return {
    name: 'leaky-relu',
    alpha,
    g: (x) => (x > 0 ? x : alpha * x),
    dg: (x) => (x > 0 ? 1 : alpha),
    I2: (c11, c12, c22) => alpha * c12 + beta2 * reluI2(c11, c12, c22),
    I3: (c11, c12, c13, c23, c33) => alpha * c23 + beta2 * reluI3(c11, c12, c13, c23, c33),
    J2: (c11, c12, c22) => alpha + beta2 * reluJ2(c11, c12, c22),
    // g″ = (1−α)δ and E[δ(u) w] = 0, so only the relu part of g(w) survives.
    D2: (c11, c13, c33) => beta2 * reluD2(c11, c13, c33),
    I4: (C) => reluI4(C, alpha),
    steinCoefficients: (omega, c, K, n, out) => reluSteinCoefficients(alpha, omega, c, K, n, out),
    sgdSecondMoment: (omega, c, K, n, out) => reluSecondMoment(alpha, omega, c, K, n, out),
    device: { g: (ops, lambda) => ops.leakyRelu(lambda, alpha), dg: (ops, lambda) => ops.step(lambda, alpha) },
  };
}

/** Default leaky slope (the paper's Appendix E uses a small positive slope). */
export const DEFAULT_LEAKY_ALPHA = 0.1;

export const leakyReluDefinition: ActivationDefinition = {
  name: 'leaky-relu',
  description: 'g(x) = αx + (1−α) relu(x) (docs/theory.md §1.3)',
  parameters: [
    { name: 'alpha', description: 'leaky slope α', default: DEFAULT_LEAKY_ALPHA, min: 0, max: 1, maxExclusive: true },
  ],
  create: (params) => leakyRelu(params.alpha),
};
