import { InputError } from '../../model/errors.js';
import type { Overlaps } from '../../model/overlaps.js';
import { type WeightRealisation, realiseForHessian } from '../../theory/hessian/analysis.js';

/** gd: the Hessian in V only (readouts fixed); gd2l: V and the readouts a (docs/theory.md §17, docs/hessian.md). */
export const HESSIAN_OPTIMIZERS = ['gd', 'gd2l'] as const;
export type HessianOptimizer = (typeof HESSIAN_OPTIMIZERS)[number];

/**
 * Largest number of parameters P = K·d (+K): the dense P×P eigendecomposition costs O(P³) (K = d = 20,
 * P = 400, takes well under a second; P = 1200 about half a minute).
 */
const MAX_PARAMETERS = 1200;

/** Where a point comes from: overlaps (read from the file `from`), realised in weights at dimension `dRequested`. */
export interface WeightPointSpec {
  /** Absolute path of the overlaps file (recorded in config.json). */
  from: string;
  overlaps: Overlaps;
  optimizer: HessianOptimizer;
  /** The requested dimension; null = the default, rank Ω. */
  dRequested: number | null;
}

/** What `hessian` and `arcs` share: the overlaps realised in weights at d, ReLU, gd or gd2l (docs/theory.md §17). */
export interface WeightPoint extends WeightPointSpec {
  readouts: boolean;
  realisation: WeightRealisation;
  /** Number of parameters P = K·d (+ K with the readouts). */
  size: number;
}

/**
 * Realise the overlaps in weights (realiseForHessian) and check the size of the dense problem; every
 * failure is an InputError naming `where.d` or `where.from` (the flags or JSON paths of the caller).
 */
export function realisePoint(spec: WeightPointSpec, where: { d: string; from: string }): WeightPoint {
  const realisation = realiseForHessian(spec.overlaps, spec.dRequested ?? undefined, where.d, where.from);
  const readouts = spec.optimizer === 'gd2l';
  const size = spec.overlaps.K * realisation.point.d + (readouts ? spec.overlaps.K : 0);
  if (size > MAX_PARAMETERS)
    throw new InputError(
      where.d,
      `K·d${readouts ? ' + K' : ''} = ${size} parameters exceeds ${MAX_PARAMETERS} (dense O(P³) eigendecomposition); use a smaller ${where.d}`,
    );
  return { ...spec, readouts, realisation, size };
}
