import { VARIANCE_FLOOR, clipCorrelation } from '../activations/activation.js';

const TWO_PI = 2 * Math.PI;

/** Workspace of reluSteinCoefficients: 1/√Ω_ββ (n) and the e-sums (K); grown on demand, never per call. */
let reluScratch = new Float64Array(0);

/**
 * The Stein coefficients S of docs/theory.md §4 (stein.ts steinCoefficients) in the §4 "ReLU fast form" for g = αx + (1−α)relu(x) (α = 0: ReLU; §1.3):
 *   J2(k,β) = α + (1−α)² P_kβ,  P_kβ = ¼ + asin(ρ_kβ)/(2π),  P_kk = ½,
 *   D2(k,β) = (1−α)² s_kβ/(2π Ω_kk),  s_kβ = √max(0, Ω_kkΩ_ββ − Ω_kβ²),  s_kk = 0.
 * Same values as the generic path (relu.ts / leaky-relu.ts) up to rounding, but cheaper: ρ uses
 * precomputed 1/√Ω_ββ (no division or sqrt per pair), and the student–student block is symmetric
 * (P_kj = P_jk, s_kj = s_jk), so each student pair costs one asin, not two. Correlations are clipped
 * and variances floored as in §7.1–7.2.
 */
export function reluSteinCoefficients(
  alpha: number,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  if (reluScratch.length < n + K) reluScratch = new Float64Array(n + K);
  const invSd = reluScratch;
  const eSum = reluScratch.subarray(n, n + K);
  const beta2 = (1 - alpha) * (1 - alpha);
  const pScale = beta2 / TWO_PI;
  const jBase = alpha + 0.25 * beta2;
  for (let b = 0; b < n; b++) invSd[b] = 1 / Math.sqrt(Math.max(omega[b * n + b], VARIANCE_FLOOR));
  eSum.fill(0);
  for (let k = 0; k < K; k++) {
    const rowK = k * n;
    const okk = omega[rowK + k];
    const invK = invSd[k];
    const ck = c[k];
    out[rowK + k] = ck * (alpha + 0.5 * beta2);
    let e = eSum[k];
    for (let j = k + 1; j < K; j++) {
      const okj = omega[rowK + j];
      const J = jBase + pScale * Math.asin(clipCorrelation(okj * invK * invSd[j]));
      out[rowK + j] = c[j] * J;
      out[j * n + k] = ck * J;
      const s = Math.sqrt(Math.max(0, okk * omega[j * n + j] - okj * okj));
      e += c[j] * s;
      eSum[j] += ck * s;
    }
    for (let b = K; b < n; b++) {
      const okb = omega[rowK + b];
      out[rowK + b] = c[b] * (jBase + pScale * Math.asin(clipCorrelation(okb * invK * invSd[b])));
      e += c[b] * Math.sqrt(Math.max(0, okk * omega[b * n + b] - okb * okb));
    }
    eSum[k] = e;
  }
  for (let k = 0; k < K; k++) out[k * n + k] += (pScale * eSum[k]) / Math.max(omega[k * n + k], VARIANCE_FLOOR);
}
