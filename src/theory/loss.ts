import type { Activation } from './activations/activation.js';
import { type Overlaps, fieldCovariance, signedCoefficients } from '../model/overlaps.js';

/** L = ½ Σ_{α,β} c_α c_β I2(α,β) on the field covariance Ω (docs/theory.md §2; note the ½, §0). */
export function lossFromField(act: Activation, omega: Float64Array, c: Float64Array, n: number): number {
  let sum = 0;
  for (let a = 0; a < n; a++) {
    const caa = omega[a * n + a];
    sum += 0.5 * c[a] * c[a] * act.I2(caa, caa, caa);
    for (let b = a + 1; b < n; b++) sum += c[a] * c[b] * act.I2(caa, omega[a * n + b], omega[b * n + b]);
  }
  return sum;
}

/** Population loss L(Q, R, T, a, v) in closed form (docs/theory.md §2). */
export function populationLoss(act: Activation, o: Overlaps): number {
  return lossFromField(act, fieldCovariance(o), signedCoefficients(o), o.K + o.M);
}

/** ∂L/∂a_k = Σ_β c_β I2(k,β) (docs/theory.md §4.3), written into out (length K). */
export function readoutGradient(
  act: Activation,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  for (let k = 0; k < K; k++) {
    const ckk = omega[k * n + k];
    let sum = 0;
    for (let b = 0; b < n; b++) sum += c[b] * act.I2(ckk, omega[k * n + b], omega[b * n + b]);
    out[k] = sum;
  }
}
