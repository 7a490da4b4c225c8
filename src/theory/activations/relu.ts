import { reluSteinCoefficients } from '../integrals/relu-stein.js';
import { reluSecondMoment } from '../integrals/relu-sgd/second-moment.js';
import { type Activation, type ActivationDefinition, VARIANCE_FLOOR, clipCorrelation, orthant2 } from './activation.js';
import { reluI4 } from '../integrals/relu-i4.js';

const TWO_PI = 2 * Math.PI;

/** E[relu(u) relu(v)]: arc-cosine kernel (docs/theory.md §1.1). */
export function reluI2(c11: number, c12: number, c22: number): number {
  const prod = c11 * c22;
  if (prod <= 0) return 0;
  const rho = clipCorrelation(c12 / Math.sqrt(prod));
  return c12 / 4 + (c12 * Math.asin(rho) + Math.sqrt(Math.max(0, prod - c12 * c12))) / TWO_PI;
}

/** E[θ(u) θ(v)] = P2(ρ12) (§1.1). */
export function reluJ2(c11: number, c12: number, c22: number): number {
  const prod = c11 * c22;
  return prod <= 0 ? 0.25 : orthant2(c12 / Math.sqrt(prod));
}

/** E[δ(u) relu(w)] = √(c11c33 − c13²)/(2π c11): the first Stein term of §1.1 I3. */
export function reluD2(c11: number, c13: number, c33: number): number {
  return Math.sqrt(Math.max(0, c11 * c33 - c13 * c13)) / (TWO_PI * Math.max(c11, VARIANCE_FLOOR));
}

export function reluI3(c11: number, c12: number, c13: number, c23: number, c33: number): number {
  return c12 * reluD2(c11, c13, c33) + c23 * reluJ2(c11, c13, c33);
}

export const relu: Activation = {
  name: 'relu',
  alpha: 0,
  g: (x) => (x > 0 ? x : 0),
  dg: (x) => (x > 0 ? 1 : 0),
  I2: reluI2,
  I3: reluI3,
  J2: reluJ2,
  D2: reluD2,
  I4: (C) => reluI4(C, 0),
  steinCoefficients: (omega, c, K, n, out) => reluSteinCoefficients(0, omega, c, K, n, out),
  sgdSecondMoment: (omega, c, K, n, out) => reluSecondMoment(0, omega, c, K, n, out),
  // θ(λ) = step(g): relu(λ) > 0 exactly when λ > 0 (θ(0) = 0), so g′ reuses g.
  device: { g: (ops, lambda) => ops.relu(lambda), dg: (ops, _lambda, g) => ops.step(g) },
};

export const reluDefinition: ActivationDefinition = {
  name: 'relu',
  description: 'g(x) = max(0, x) (docs/theory.md §1.1)',
  parameters: [],
  create: () => relu,
};
