import { erfSecondMoment } from '../integrals/erf-sgd.js';
import type { Activation, ActivationDefinition } from './activation.js';
import { erfI4 } from '../integrals/erf-i4.js';

const TWO_OVER_PI = 2 / Math.PI;
const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * erf(x) to ~1e-15 (JavaScript has no Math.erf): Maclaurin series below |x| = 2.5, Lentz's continued
 * fraction for erfc above. Short rational approximations (|error| ~ 1e-7) would bias float64 checks.
 */
export function erfScalar(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)).
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // Continued fraction for erfc (Lentz), converges fast for |x| ≥ 2.5.
  const tiny = 1e-300;
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    D = ax + an * D;
    D = D === 0 ? tiny : 1 / D;
    C = ax + an / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  const r = 1 - erfc;
  return x < 0 ? -r : r;
}

/** Saad–Solla g(x) = erf(x/√2) (docs/theory.md §1.2). */
export const erf: Activation = {
  name: 'erf',
  g: (x) => erfScalar(x / Math.SQRT2),
  dg: (x) => SQRT_TWO_OVER_PI * Math.exp(-0.5 * x * x),
  I2: (c11, c12, c22) => TWO_OVER_PI * Math.asin(c12 / Math.sqrt((1 + c11) * (1 + c22))),
  J2: (c11, c12, c22) => TWO_OVER_PI / Math.sqrt((1 + c11) * (1 + c22) - c12 * c12),
  I3: (c11, c12, c13, c23, c33) => {
    const lambda3 = (1 + c11) * (1 + c33) - c13 * c13;
    return (TWO_OVER_PI * (c23 * (1 + c11) - c12 * c13)) / ((1 + c11) * Math.sqrt(lambda3));
  },
  // g″(u) = −u g′(u), so E[g″(u) g(w)] = −I3(u, u, w): the c12 = c11 case of I3.
  D2: (c11, c13, c33) => {
    const lambda3 = (1 + c11) * (1 + c33) - c13 * c13;
    return (-TWO_OVER_PI * c13) / ((1 + c11) * Math.sqrt(lambda3));
  },
  I4: erfI4,
  sgdSecondMoment: erfSecondMoment,
  device: {
    g: (ops, lambda) => ops.erf(ops.mul(lambda, Math.SQRT1_2)),
    dg: (ops, lambda) => ops.mul(ops.exp(ops.mul(ops.square(lambda), -0.5)), SQRT_TWO_OVER_PI),
  },
};

export const erfDefinition: ActivationDefinition = {
  name: 'erf',
  description: 'Saad–Solla g(x) = erf(x/√2) (docs/theory.md §1.2)',
  parameters: [],
  create: () => erf,
};
