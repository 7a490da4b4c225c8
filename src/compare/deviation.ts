import type { Trajectory } from '../model/trajectory.js';

/** The quantities compared along a trajectory: loss, Q entries, R entries, readouts a (when trained). */
export type DeviationQuantity = 'loss' | 'Q' | 'R' | 'a';
const DEVIATION_QUANTITIES: readonly DeviationQuantity[] = ['loss', 'Q', 'R', 'a'];

/** Thresholds for the "first time the deviation exceeds" figures. */
export type DeviationThresholds = Record<DeviationQuantity, number>;

export interface TrajectoryDeviation {
  /** max over the common recorded times of |network − theory| (max over entries for Q, R, a); null for a when not trained. */
  max: Record<DeviationQuantity, number | null>;
  /** First recorded time at which the deviation exceeds its threshold; null if never. */
  firstExceed: Record<DeviationQuantity, number | null>;
  /** Deviation at the last common time. */
  final: Record<DeviationQuantity, number | null>;
  /** Number of common recorded times compared and the last of them. */
  points: number;
  tEnd: number;
}

/** Relative tolerance when matching recorded times (the theory is saved exactly at the network's times). */
const TIME_MATCH = 1e-9;

/** max over entries from..to−1 of |x_i − y_i|; NaN if any difference is NaN. */
export function maxAbsDifference(x: Float64Array, y: Float64Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) {
    const a = Math.abs(x[i] - y[i]);
    if (!(a <= m)) m = a; // NaN propagates: a non-finite state is an infinite deviation
  }
  return m;
}

/**
 * Per-time deviations of a network trajectory from the theory started at the same initial overlaps.
 * Both are sampled at the same times (the ODE save times are the network's recorded times); a run that
 * stopped early (a diverged seed) is compared on the common prefix. Q is compared on the packed upper
 * triangle (Q is symmetric), i.e. over all entries.
 */
function deviationSeries(
  network: Trajectory,
  theory: Trajectory,
): { times: number[]; values: Record<DeviationQuantity, number[]> } {
  const L = network.layout;
  if (L.K !== theory.layout.K || L.M !== theory.layout.M || L.withReadouts !== theory.layout.withReadouts) {
    throw new Error(
      `layouts differ: network K=${L.K} M=${L.M} readouts=${L.withReadouts}, theory K=${theory.layout.K} M=${theory.layout.M} readouts=${theory.layout.withReadouts}`,
    );
  }
  const n = Math.min(network.times.length, theory.times.length);
  const times: number[] = [];
  const values: Record<DeviationQuantity, number[]> = { loss: [], Q: [], R: [], a: [] };
  for (let i = 0; i < n; i++) {
    const t = network.times[i];
    if (Math.abs(t - theory.times[i]) > TIME_MATCH * Math.max(1, Math.abs(t))) {
      throw new Error(
        `recorded times differ at index ${i}: network t=${t}, theory t=${theory.times[i]} (save the theory at the network's times)`,
      );
    }
    const x = network.states[i];
    const y = theory.states[i];
    times.push(t);
    values.loss.push(Math.abs(network.loss[i] - theory.loss[i]));
    values.Q.push(maxAbsDifference(x, y, 0, L.nQ));
    values.R.push(maxAbsDifference(x, y, L.rOffset, L.aOffset));
    if (L.withReadouts) values.a.push(maxAbsDifference(x, y, L.aOffset, L.dim));
  }
  return { times, values };
}

export function trajectoryDeviation(
  network: Trajectory,
  theory: Trajectory,
  thresholds: DeviationThresholds,
): TrajectoryDeviation {
  const { times, values } = deviationSeries(network, theory);
  const max = {} as TrajectoryDeviation['max'];
  const firstExceed = {} as TrajectoryDeviation['firstExceed'];
  const final = {} as TrajectoryDeviation['final'];
  for (const q of DEVIATION_QUANTITIES) {
    const series = values[q];
    if (series.length === 0) {
      max[q] = null;
      firstExceed[q] = null;
      final[q] = null;
      continue;
    }
    let m = 0;
    for (const v of series) if (!(v <= m)) m = v;
    max[q] = m;
    // `!(v <= threshold)` also catches NaN (a diverged state exceeds every threshold).
    const i = series.findIndex((v) => !(v <= thresholds[q]));
    firstExceed[q] = i < 0 ? null : times[i];
    final[q] = series[series.length - 1];
  }
  return { max, firstExceed, final, points: times.length, tEnd: times.length > 0 ? times[times.length - 1] : NaN };
}
