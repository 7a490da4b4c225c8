import type { Flow } from '../theory/flow.js';
import { type StabilityOptions, type StabilityReport, analyseStability } from './stability.js';
import { analyseStabilityKrylov } from './stability-krylov.js';

/**
 * How the stability of a catalogued or reached fixed point is computed (docs/theory.md §14): `dense` —
 * the full nonsymmetric eigendecomposition of the central-difference Jacobian (every eigenvalue);
 * `krylov` — the rightmost realisable eigenvalues by Krylov–Schur on Jacobian–vector products, with the
 * dense analysis where Krylov cannot decide; `auto` — dense up to DENSE_STABILITY_MAX_SIZE state
 * coordinates, Krylov above.
 */
export const FIXED_POINT_STABILITY_METHODS = ['auto', 'dense', 'krylov'] as const;
export type FixedPointStabilityMethod = (typeof FIXED_POINT_STABILITY_METHODS)[number];

/**
 * Largest state for which `auto` takes the dense spectrum: ~25 ns·n³ (src/runtime/cost.ts), 1.5–2 s at
 * n = 442 (K = M = 17) and 4 s at n = 610 (K = M = 20), where it was 94 % of a census catalogue; the
 * Krylov check takes 10–40 ms at K = M = 17. Up to here the catalogues keep their full spectra.
 */
export const DENSE_STABILITY_MAX_SIZE = 500;

/** Eigenvalues the Krylov path resolves at least (the fixed-point JSON records the 12 rightmost). */
const KRYLOV_NEV = 12;

export function fixedPointStability(
  flow: Flow,
  x: Float64Array,
  method: FixedPointStabilityMethod,
  options: StabilityOptions = {},
): StabilityReport {
  const krylov = method === 'krylov' || (method === 'auto' && flow.layout.dim > DENSE_STABILITY_MAX_SIZE);
  if (krylov) {
    const r = analyseStabilityKrylov(flow, x, { ...options, nev: KRYLOV_NEV });
    if (r.verdict !== 'undetermined') {
      const { verdict, loss, eigenvalues, nUnstable, nUnrealisableUnstable, nZero, maxRealEigenvalue, gramNullity } = r;
      return { verdict, loss, eigenvalues, nUnstable, nUnrealisableUnstable, nZero, maxRealEigenvalue, gramNullity };
    }
  }
  return analyseStability(flow, x, options);
}
