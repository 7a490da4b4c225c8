import { THRESHOLDS } from '../model/config.js';
import type { Trajectory } from '../model/trajectory.js';
import { activationByName } from '../theory/activations/index.js';
import { type Overlaps, packOverlaps } from '../model/overlaps.js';
import { StateLayout } from '../model/state-layout.js';
import { type BackendInfo, selectBackend } from './backend.js';
import { type TrainConfig, stepTime, totalSteps } from './config.js';
import { type Measurement, NetworkEnsemble } from './ensemble.js';
import { parseRecordSpec, recordSteps } from './record.js';

/**
 * Final status of a seed (final.csv):
 * - converged: at the last step the population loss is below CONVERGED_LOSS (a global minimum) or the
 *   gradient norm is below CONVERGED_GRAD_NORM (a fixed point of the flow);
 * - running: reached t_max otherwise;
 * - diverged: the loss became non-finite or exceeded config.divergenceLoss; the seed was frozen there.
 */
export type SeedStatus = 'converged' | 'running' | 'diverged';

/** "Global" threshold of docs/theory.md §7.9. */
export const CONVERGED_LOSS = THRESHOLDS.globalLoss;
/**
 * Gradient-norm threshold (PopulationGeometry.gradientNorm, per unit learning rate). float32 weights
 * carry relative errors ~1e-7, which puts a floor of that order under the reachable gradient norm; 1e-5
 * sits well above it.
 */
export const CONVERGED_GRAD_NORM = 1e-5;

/** Where a seed ended: the last step, or the step at which its divergence was detected. */
export interface SeedEnd {
  step: number;
  t: number;
  loss: number;
  gradNorm: number;
  /** Packed overlaps (layout of the trajectory) at that step; may be non-finite for a diverged seed. */
  state: Float64Array;
}

export interface SeedResult {
  seed: number;
  status: SeedStatus;
  /** Recorded rows (source 'network'); a diverged seed's rows stop at its last finite record. */
  trajectory: Trajectory;
  /** Overlaps of the initial float32 weights, in float64: the theory's starting point (`ode --init`). */
  initial: Overlaps;
  end: SeedEnd;
}

export interface EnsembleResult {
  config: TrainConfig;
  backend: BackendInfo;
  totalSteps: number;
  /** Model time per step (dt, or 1/d for online SGD). */
  stepTime: number;
  /** One result per seed, in config.seeds order. */
  seeds: SeedResult[];
  wallSeconds: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  t: number;
  activeSeeds: number;
}

export interface TrainOptions {
  /** Called at every recording step. */
  onProgress?: (progress: TrainProgress) => void;
}

function classify(m: Measurement, divergenceLoss: number): SeedStatus {
  if (!(m.loss <= divergenceLoss)) return 'diverged';
  if (m.loss < CONVERGED_LOSS || m.gradNorm < CONVERGED_GRAD_NORM) return 'converged';
  return 'running';
}

/**
 * Train config.seeds as one batched ensemble on config.backend and record, per seed, the float64
 * overlaps, population loss and gradient norm on the `record` grid. Divergence is checked at every
 * recording step, at least once per unit of model time, and right after a step produced non-finite
 * numbers; a diverged seed is dropped from the batch and the others continue unchanged.
 * `config` must come from resolveTrainConfig.
 */
export async function trainEnsemble(config: TrainConfig, options: TrainOptions = {}): Promise<EnsembleResult> {
  const started = performance.now();
  const backend = await selectBackend(config.backend);
  const act = activationByName(config.activation, config.alpha ?? undefined);
  const total = totalSteps(config);
  const h = stepTime(config);
  const records = recordSteps(parseRecordSpec(config.record), total, h);
  const checkInterval = Math.max(1, Math.round(1 / h));
  const layout = new StateLayout(config.K, config.M, config.layers === 'both');
  const ensemble = new NetworkEnsemble(config, act);
  const results = new Map<number, SeedResult>();
  for (const seed of config.seeds) {
    const initial = ensemble.initial.get(seed) as Overlaps;
    const trajectory: Trajectory = {
      source: 'network',
      layout,
      fixed: initial,
      times: [],
      states: [],
      loss: [],
      steps: [],
      gradNorm: [],
      seed,
      d: config.d,
    };
    results.set(seed, {
      seed,
      status: 'running',
      trajectory,
      initial,
      end: { step: 0, t: 0, loss: NaN, gradNorm: NaN, state: new Float64Array(layout.dim) },
    });
  }
  try {
    let nextRecord = 0;
    for (let step = 0; ; step++) {
      const isRecord = records[nextRecord] === step;
      if (isRecord || step % checkInterval === 0 || ensemble.nonFinite.includes(1)) {
        const survivors: number[] = [];
        ensemble.measure().forEach((m, s) => {
          const result = results.get(ensemble.seeds[s]) as SeedResult;
          const end: SeedEnd = {
            step,
            t: step * h,
            loss: m.loss,
            gradNorm: m.gradNorm,
            state: packOverlaps(m.overlaps, layout),
          };
          result.status = classify(m, config.divergenceLoss);
          result.end = end;
          if (result.status === 'diverged') return;
          survivors.push(s);
          if (!isRecord) return;
          const tr = result.trajectory;
          tr.times.push(end.t);
          tr.states.push(end.state);
          tr.loss.push(end.loss);
          tr.steps?.push(step);
          tr.gradNorm?.push(end.gradNorm);
        });
        if (survivors.length < ensemble.seeds.length) ensemble.keep(survivors);
        else ensemble.nonFinite.fill(0);
        if (isRecord) {
          nextRecord++;
          options.onProgress?.({ step, totalSteps: total, t: step * h, activeSeeds: ensemble.seeds.length });
        }
      }
      if (step === total || ensemble.seeds.length === 0) break;
      ensemble.step();
    }
  } finally {
    ensemble.dispose();
  }
  return {
    config,
    backend,
    totalSteps: total,
    stepTime: h,
    seeds: config.seeds.map((seed) => results.get(seed) as SeedResult),
    wallSeconds: (performance.now() - started) / 1000,
  };
}
