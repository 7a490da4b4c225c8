import type { Flow } from '../../theory/flow.js';
import { analyseStability } from '../stability.js';
import { analyseStabilityKrylov } from '../stability-krylov.js';
import type { StabilityMethod } from './config.js';

/**
 * What a fixed point is for the run: `saddle` (a realisable eigenvalue with Re λ > 1e-6·η, the
 * stability.ts tolerance), `marginal` (no unstable one, but the largest realisable Re λ above
 * −marginalEigenvalue: it decays more slowly than the time budget can resolve), `minimum` otherwise.
 */
export interface PointStability {
  kind: 'minimum' | 'marginal' | 'saddle';
  maxRealEigenvalue: number;
  /** Realisable unstable directions found (a lower bound for Krylov when eigenvalues are multiple). */
  nUnstable: number;
  /** Unit direction (packed state) to leave a saddle along; null for minima and dense saddles. */
  escape: Float64Array | null;
}

/**
 * Stability checks of one thread's runs. Runs land on the same few minima up to a permutation of units,
 * so non-saddle verdicts are cached under a permutation-invariant key — the loss (10 digits) and the
 * sorted diagonal of Q (7 digits); a key split by rounding only costs a recomputation. Saddles found by
 * Krylov are recomputed: their escape direction belongs to the permuted copy at hand.
 */
export class StabilityChecker {
  private readonly cache = new Map<string, PointStability>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly flow: Flow,
    private readonly method: Exclude<StabilityMethod, 'off'>,
    private readonly marginalEigenvalue: number,
  ) {}

  check(x: Float64Array, loss: number): PointStability {
    const key = this.key(x, loss);
    const known = this.cache.get(key);
    if (known) {
      this.hits++;
      return known;
    }
    this.misses++;
    const result = this.method === 'krylov' ? this.krylov(x) : this.dense(x);
    if (result.escape === null) this.cache.set(key, result);
    return result;
  }

  private krylov(x: Float64Array): PointStability {
    const report = analyseStabilityKrylov(this.flow, x);
    if (report.verdict === 'undetermined') return this.dense(x);
    return this.verdict(
      report.verdict === 'saddle',
      report.maxRealEigenvalue,
      report.nUnstable,
      report.escape?.direction ?? null,
    );
  }

  private dense(x: Float64Array): PointStability {
    const report = analyseStability(this.flow, x);
    return this.verdict(report.verdict === 'saddle', report.maxRealEigenvalue, report.nUnstable, null);
  }

  private verdict(saddle: boolean, maxReal: number, nUnstable: number, escape: Float64Array | null): PointStability {
    if (saddle) return { kind: 'saddle', maxRealEigenvalue: maxReal, nUnstable, escape };
    const kind = maxReal > -this.marginalEigenvalue ? 'marginal' : 'minimum';
    return { kind, maxRealEigenvalue: maxReal, nUnstable: 0, escape: null };
  }

  private key(x: Float64Array, loss: number): string {
    const { K } = this.flow.layout;
    const diag = Array.from({ length: K }, (_, k) => x[this.flow.layout.q(k, k)]).sort((a, b) => a - b);
    return `${loss.toPrecision(10)}|${diag.map((v) => v.toPrecision(7)).join(',')}`;
  }
}
