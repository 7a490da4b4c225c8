import type { TrajectoryDeviation } from './deviation.js';
import { type FitPoint, type PowerLawFit, fitPowerLaw } from './fit.js';
import { logVariance, mean, rms, sampleSd } from './stats.js';

/** What one network seed at one d contributes to the broadening statistics. */
export interface SeedOutcome {
  d: number;
  seed: number;
  /** False for seeds that diverged: they are counted but left out of the statistics. */
  finite: boolean;
  /** Network population loss at the end. */
  finalLoss: number;
  /**
   * The d → ∞ prediction of this seed's final loss: the ODE from the seed's own initial overlaps with the
   * teacher overlap idealised to T = I (the reference run; with an orthonormal teacher T = I already, so
   * it is the same-init theory run).
   */
  predictedFinalLoss: number;
  /**
   * max over entries of |Q_network − Q_predicted| and |R_network − R_predicted| at the end, after the
   * best relabelling of the network's student units against the prediction (matching.ts
   * relabelEndState; as labelled when that is not a label switch).
   */
  finalQDeviation: number;
  finalRDeviation: number;
  /** The same as labelled (no relabelling). */
  finalQDeviationRaw: number;
  finalRDeviationRaw: number;
  /** Deviation along the whole trajectory from the same-init theory, after the seed's relabelling (matching.ts matchedComparison). */
  trajectory: TrajectoryDeviation;
  /** The same as labelled. */
  trajectoryRaw: TrajectoryDeviation;
  /** The network reached the theory's end state with its student units permuted (matching.ts rule). */
  labelSwitched: boolean;
}

/** Per-d statistics (one row of broadening.csv). */
export interface BroadeningRow {
  d: number;
  /** Seeds in the statistics (finite) and seeds left out (diverged). */
  n: number;
  diverged: number;
  /** Plain spread across seeds of the network's final loss. */
  finalLossMean: number;
  finalLossSd: number;
  predictedLossMean: number;
  /** Network final loss minus the seed's d → ∞ prediction: mean (bias) and rms (spread around the prediction). */
  lossDeviationMean: number;
  lossDeviationRms: number;
  /** Final overlaps around the prediction: mean and sd over seeds of max-entry |ΔQ|, |ΔR| (matched units). */
  finalQDeviationMean: number;
  finalQDeviationSd: number;
  finalRDeviationMean: number;
  finalRDeviationSd: number;
  /** Mean over seeds of the max-over-time trajectory deviation from the same-init theory (matched units; the loss is invariant). */
  trajectoryLossDeviationMean: number;
  trajectoryQDeviationMean: number;
  trajectoryRDeviationMean: number;
  /** The overlap statistics above with the units as labelled (no relabelling). */
  finalQDeviationRawMean: number;
  finalQDeviationRawSd: number;
  finalRDeviationRawMean: number;
  finalRDeviationRawSd: number;
  trajectoryQDeviationRawMean: number;
  trajectoryRDeviationRawMean: number;
  /** Seeds in the statistics that are label-switched against their theory. */
  labelSwitched: number;
}

/**
 * Spread measures fitted against d, keyed by their column in broadening.csv. The overlap deviations
 * are fitted after unit matching (the measures named like the pre-matching columns, e.g.
 * trajectoryQDeviationMean, are the matched ones); the `…Raw…` fits keep the as-labelled numbers.
 */
const BROADENING_FITS = {
  finalLossSd: 'sd of final loss across seeds',
  lossDeviationRms: 'rms of final loss − d→∞ prediction',
  finalQDeviationMean: 'mean final max|ΔQ| vs d→∞ prediction (matched units)',
  finalRDeviationMean: 'mean final max|ΔR| vs d→∞ prediction (matched units)',
  trajectoryLossDeviationMean: 'mean of max_t |Δloss| vs theory',
  trajectoryQDeviationMean: 'mean of max_t |ΔQ| vs theory (matched units)',
  trajectoryRDeviationMean: 'mean of max_t |ΔR| vs theory (matched units)',
  finalQDeviationRawMean: 'mean final max|ΔQ| vs d→∞ prediction (units as labelled)',
  finalRDeviationRawMean: 'mean final max|ΔR| vs d→∞ prediction (units as labelled)',
  trajectoryQDeviationRawMean: 'mean of max_t |ΔQ| vs theory (units as labelled)',
  trajectoryRDeviationRawMean: 'mean of max_t |ΔR| vs theory (units as labelled)',
} as const;
export type BroadeningFitKey = keyof typeof BROADENING_FITS;

export interface BroadeningFitResult {
  key: BroadeningFitKey;
  label: string;
  points: (FitPoint & { lo: number; hi: number })[];
  fit: PowerLawFit | null;
}

export interface Broadening {
  rows: BroadeningRow[];
  fits: BroadeningFitResult[];
}

function rowFor(d: number, outcomes: SeedOutcome[]): BroadeningRow {
  const ok = outcomes.filter((o) => o.finite);
  const pick = (f: (o: SeedOutcome) => number) => ok.map(f);
  const lossDeviation = pick((o) => o.finalLoss - o.predictedFinalLoss);
  const finalQ = pick((o) => o.finalQDeviation);
  const finalR = pick((o) => o.finalRDeviation);
  const finalQRaw = pick((o) => o.finalQDeviationRaw);
  const finalRRaw = pick((o) => o.finalRDeviationRaw);
  return {
    d,
    n: ok.length,
    diverged: outcomes.length - ok.length,
    finalLossMean: mean(pick((o) => o.finalLoss)),
    finalLossSd: sampleSd(pick((o) => o.finalLoss)),
    predictedLossMean: mean(pick((o) => o.predictedFinalLoss)),
    lossDeviationMean: mean(lossDeviation),
    lossDeviationRms: rms(lossDeviation),
    finalQDeviationMean: mean(finalQ),
    finalQDeviationSd: sampleSd(finalQ),
    finalRDeviationMean: mean(finalR),
    finalRDeviationSd: sampleSd(finalR),
    trajectoryLossDeviationMean: mean(pick((o) => o.trajectory.max.loss ?? NaN)),
    trajectoryQDeviationMean: mean(pick((o) => o.trajectory.max.Q ?? NaN)),
    trajectoryRDeviationMean: mean(pick((o) => o.trajectory.max.R ?? NaN)),
    finalQDeviationRawMean: mean(finalQRaw),
    finalQDeviationRawSd: sampleSd(finalQRaw),
    finalRDeviationRawMean: mean(finalRRaw),
    finalRDeviationRawSd: sampleSd(finalRRaw),
    trajectoryQDeviationRawMean: mean(pick((o) => o.trajectoryRaw.max.Q ?? NaN)),
    trajectoryRDeviationRawMean: mean(pick((o) => o.trajectoryRaw.max.R ?? NaN)),
    labelSwitched: ok.filter((o) => o.labelSwitched).length,
  };
}

/** Variance of log(statistic) for the row's statistic `key` (see stats.logVariance). */
function logVarianceOf(key: BroadeningFitKey, row: BroadeningRow, outcomes: SeedOutcome[]): number {
  const ok = outcomes.filter((o) => o.finite);
  switch (key) {
    case 'finalLossSd':
      return logVariance.sd(row.n);
    case 'lossDeviationRms':
      return logVariance.rms(row.n);
    case 'finalQDeviationMean':
      return logVariance.mean(ok.map((o) => o.finalQDeviation));
    case 'finalRDeviationMean':
      return logVariance.mean(ok.map((o) => o.finalRDeviation));
    case 'finalRDeviationRawMean':
      return logVariance.mean(ok.map((o) => o.finalRDeviationRaw));
    case 'trajectoryLossDeviationMean':
      return logVariance.mean(ok.map((o) => o.trajectory.max.loss ?? NaN));
    case 'trajectoryQDeviationMean':
      return logVariance.mean(ok.map((o) => o.trajectory.max.Q ?? NaN));
    case 'trajectoryRDeviationMean':
      return logVariance.mean(ok.map((o) => o.trajectory.max.R ?? NaN));
    case 'finalQDeviationRawMean':
      return logVariance.mean(ok.map((o) => o.finalQDeviationRaw));
    case 'trajectoryQDeviationRawMean':
      return logVariance.mean(ok.map((o) => o.trajectoryRaw.max.Q ?? NaN));
    case 'trajectoryRDeviationRawMean':
      return logVariance.mean(ok.map((o) => o.trajectoryRaw.max.R ?? NaN));
  }
}

/**
 * Finite-d broadening across the d list: per-d spread of the final loss (plainly across seeds, and around
 * each seed's d → ∞ prediction), of the final overlaps, and of the trajectory deviation; then a power-law
 * fit of each spread measure against d (fit.ts: OLS on logs with ≥ 3 values of d, delta-method error
 * with 2). Error bars are ±1 SE of the log statistic. Overlap deviations are taken after matching the
 * student units (matching.ts): a label-switched seed deviates by O(1) as labelled although it reached
 * the same state, which would otherwise swamp the O(1/√d) broadening; the raw statistics are kept.
 */
export function broadening(outcomes: SeedOutcome[]): Broadening {
  const ds = [...new Set(outcomes.map((o) => o.d))].sort((a, b) => a - b);
  const byD = new Map(ds.map((d) => [d, outcomes.filter((o) => o.d === d)]));
  const rows = ds.map((d) => rowFor(d, byD.get(d) as SeedOutcome[]));
  const fits = (Object.keys(BROADENING_FITS) as BroadeningFitKey[]).map((key) => {
    const points = rows.map((row) => {
      const y = row[key];
      const logVar = logVarianceOf(key, row, byD.get(row.d) as SeedOutcome[]);
      const half = Number.isFinite(logVar) ? Math.sqrt(logVar) : 0;
      return { x: row.d, y, logVariance: logVar, lo: y * Math.exp(-half), hi: y * Math.exp(half) };
    });
    return { key, label: BROADENING_FITS[key], points, fit: fitPowerLaw(points) };
  });
  return { rows, fits };
}
