import { InputError } from '../model/errors.js';
import { NormalSampler } from '../random/normal.js';
import type { Flow } from '../theory/flow.js';
import { overlapsFromWeights } from '../theory/init.js';
import { type Overlaps, fieldCovariance } from '../model/overlaps.js';
import { symmetricEigen } from '../theory/linalg/eigen.js';
import { solve } from '../theory/solvers/solve.js';

/**
 * Weights realising given overlaps at dimension d: the joint Gram matrix Ω = [[Q, R], [Rᵀ, T]] is
 * factored as Ω = UUᵀ/d with U = √d·V√Λ (eigendecomposition, tiny negative round-off eigenvalues
 * clipped to 0), padded with zero columns to d. Rows 0..K−1 of U are the students W, the rest the
 * teachers W*. Requires d ≥ K + M.
 */
export function realiseWeights(o: Overlaps, d: number): { W: Float64Array; Wstar: Float64Array } {
  const { K, M } = o;
  const n = K + M;
  if (!(Number.isInteger(d) && d >= n))
    throw new InputError('--perturb-d', `must be an integer >= K + M = ${n}, got ${d}`);
  const { values, vectors: V } = symmetricEigen(fieldCovariance(o), n);
  const scale = values.map((l) => Math.sqrt(Math.max(l, 0) * d));
  const U = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let c = 0; c < n; c++) U[i * d + c] = V.get(i, c) * scale[c];
  return { W: U.slice(0, K * d), Wstar: U.slice(K * d) };
}

/**
 * The K = M point embedded into K + 1 units with an extra zero unit (docs/theory.md §6, §7.2): Q gets a
 * zero row and column, R a zero row. In (Q, R) coordinates this point is singular (Q_kk = 0), which is
 * why its stability is probed in weight space (perturbationStudy).
 */
export function embedWithZeroUnit(o: Overlaps): Overlaps {
  const K = o.K + 1;
  const { M } = o;
  const Q = new Float64Array(K * K);
  for (let i = 0; i < o.K; i++) for (let j = 0; j < o.K; j++) Q[i * K + j] = o.Q[i * o.K + j];
  const R = new Float64Array(K * M);
  R.set(o.R);
  const a = new Float64Array(K).fill(1);
  a.set(o.a);
  return { K, M, Q, R, T: o.T.slice(), a, v: o.v.slice() };
}

/**
 * Overlaps of the realised weights after W ← W + σξ, ξ ~ N(0, 1) entrywise (seeded); the teacher and
 * its exact T are kept. Realisable by construction.
 */
export function perturbedOverlaps(
  point: Overlaps,
  weights: { W: Float64Array; Wstar: Float64Array },
  d: number,
  sigma: number,
  seed: number,
): Overlaps {
  const sampler = new NormalSampler(seed);
  const noisy = Float64Array.from(weights.W, (w) => w + sigma * sampler.next());
  const start = overlapsFromWeights(noisy, weights.Wstar, point.K, point.M, d);
  start.T = point.T.slice();
  return start;
}

export interface PerturbationOptions {
  /** Perturbation strengths σ (weights W ← W + σξ, ξ ~ N(0, 1) entrywise; paper App. D, Eq. 45). */
  sigmas: number[];
  /** Realisation dimension d (≥ K + M). */
  d: number;
  /** Relaxation time of the gradient flow after the perturbation. */
  tRelax: number;
  /** Perturbations per σ, seeded seed, seed + 1, ... */
  repetitions: number;
  seed: number;
}

export const PERTURBATION_DEFAULTS = { d: 200, tRelax: 500, repetitions: 10, seed: 0 } as const;

export interface PerturbationRow {
  sigma: number;
  repetitions: number;
  /** L(t_relax) − L(fixed point): ≈ 0 when the flow returns, clearly negative when it escapes. */
  lossGapMean: number;
  lossGapSd: number;
  /** ‖(Q, R)(t_relax) − (Q, R)*‖_F: ≈ 0 when the flow returns. */
  distanceMean: number;
  distanceSd: number;
  /** ‖(Q, R)(0) − (Q, R)*‖_F right after the perturbation, for scale. */
  initialDistanceMean: number;
}

function frobeniusDistance(a: Overlaps, b: Overlaps): number {
  let s = 0;
  for (let i = 0; i < a.Q.length; i++) s += (a.Q[i] - b.Q[i]) ** 2;
  for (let i = 0; i < a.R.length; i++) s += (a.R[i] - b.R[i]) ** 2;
  return Math.sqrt(s);
}

function meanSd(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return [mean, Math.sqrt(variance)];
}

/**
 * The weight-space perturbation protocol of the paper's Appendix D (docs/theory.md §6 "Realisability"):
 * realise the fixed point as weights at dimension d, add N(0, σ²) noise to the student weights (the
 * teacher stays), map back to (Q, R) — which is realisable by construction, unlike a perturbation of
 * (Q, R) itself — relax with the flow (gd: the ODE is exact at any d, §5) for tRelax, and report the
 * loss gap and the return distance, mean ± sd over the repetitions.
 */
export function perturbationStudy(flow: Flow, point: Overlaps, options: PerturbationOptions): PerturbationRow[] {
  if (flow.name !== 'gd')
    throw new InputError(
      '--optimizer',
      `the perturbation protocol relaxes with plain gradient flow (gd), got ${flow.name}`,
    );
  const { d } = options;
  const weights = realiseWeights(point, d);
  const lossStar = flow.loss(flow.pack(point));
  return options.sigmas.map((sigma) => {
    const gaps: number[] = [];
    const distances: number[] = [];
    const initial: number[] = [];
    for (let r = 0; r < options.repetitions; r++) {
      const start = perturbedOverlaps(point, weights, d, sigma, options.seed + r);
      const result = solve(flow, flow.pack(start), {
        method: 'dopri5',
        tMax: options.tRelax,
        saveTimes: [options.tRelax],
      });
      const end = flow.unpack(result.xFinal);
      gaps.push(flow.loss(result.xFinal) - lossStar);
      distances.push(frobeniusDistance(end, point));
      initial.push(frobeniusDistance(start, point));
    }
    const [lossGapMean, lossGapSd] = meanSd(gaps);
    const [distanceMean, distanceSd] = meanSd(distances);
    return {
      sigma,
      repetitions: options.repetitions,
      lossGapMean,
      lossGapSd,
      distanceMean,
      distanceSd,
      initialDistanceMean: meanSd(initial)[0],
    };
  });
}
