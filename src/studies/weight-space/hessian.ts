import { join } from 'node:path';
import { overlapsToJSON } from '../../model/overlaps.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeConfigJson } from '../../io/config-file.js';
import { csvText } from '../../io/csv.js';
import {
  CRITICAL_GRADIENT,
  type HessianAnalysis,
  type HessianMethod,
  analyseHessian,
  predictedZeroModes,
} from '../../theory/hessian/analysis.js';
import { FD_HESSIAN_STEP } from '../../theory/hessian/relu-hessian.js';
import type { WeightPoint } from './point.js';

/** The typed configuration of `hessian`: a realised point, the method and the spectrum tolerances (absolute path `out`). */
export interface HessianConfig extends WeightPoint {
  method: HessianMethod;
  /** Relative tolerances: |λ| ≤ zeroTol·max|λ| is zero; sorted eigenvalues closer than clusterTol·max|λ| are one group. */
  zeroTol: number;
  clusterTol: number;
  out: string;
}

/** summary.json: the spectrum in numbers, with every tolerance stated and the zero modes explained (docs/hessian.md). */
function hessianSummary(r: WeightPoint & { method: HessianMethod }, a: HessianAnalysis): Record<string, unknown> {
  const { point, rank, teacherRank, droppedMax } = r.realisation;
  const predicted = predictedZeroModes(point.d, rank, teacherRank, point.K, r.readouts);
  const critical = a.gradientNorm <= CRITICAL_GRADIENT;
  const unexplained = a.counts.zero - predicted.total;
  let note: string;
  if (unexplained === 0) note = 'every zero eigenvalue is a predicted symmetry mode';
  else if (!critical)
    note = `|∇L| = ${a.gradientNorm.toExponential(2)}: not a critical point, so the symmetry directions need not be zero modes (H(Av) = A∇L ≠ 0)`;
  else if (unexplained > 0)
    note = `${unexplained} zero modes beyond the symmetry orbit (e.g. coincident students that can be split, a flat family of critical points)`;
  else
    note = `${-unexplained} predicted zero modes are not below the zero tolerance (raise --zero-tol, or the point is only approximately critical)`;
  return {
    activation: 'relu',
    normalisation: 'V = W/√d, L = ½E[(f − f*)²] (docs/theory.md §17)',
    optimizer: r.optimizer,
    parameters: r.readouts ? 'V (K·d, row-major) then a (K)' : 'V (K·d, row-major)',
    method: r.method,
    ...(r.method === 'fd' ? { fdStep: `${FD_HESSIAN_STEP}·|v_k| (|a_k| for a readout)` } : {}),
    K: point.K,
    M: point.M,
    d: point.d,
    rank,
    teacherRank,
    size: a.size,
    realisationError: droppedMax,
    loss: a.loss,
    gradientNorm: a.gradientNorm,
    critical,
    criticalThreshold: CRITICAL_GRADIENT,
    min: a.eigenvalues[0],
    max: a.eigenvalues[a.eigenvalues.length - 1],
    counts: a.counts,
    tolerances: {
      scale: a.scale,
      zero: { relative: a.zeroTolerance / a.scale, absolute: a.zeroTolerance, rule: '|λ| ≤ absolute counts as zero' },
      cluster: {
        relative: a.clusterTolerance / a.scale,
        absolute: a.clusterTolerance,
        rule: 'sorted eigenvalues closer than absolute are one group (value = mean)',
      },
    },
    zeroModes: {
      measured: a.counts.zero,
      predicted,
      formula:
        'rotations (d − r)(r − r*) + (r − r*)(r − r* − 1)/2 with r = rank Ω, r* = rank T; + K readout rescalings with gd2l (docs/hessian.md "Zero modes")',
      explained: unexplained === 0,
      note,
    },
    contacts: a.contacts.map((c) => ({ kind: c.kind, label: c.label, angle: Number.isNaN(c.angle) ? null : c.angle })),
    contactNote:
      a.contacts.length === 0
        ? 'no zero or (anti)parallel vectors: L is smooth here'
        : 'at (anti)parallel pairs L is C² but not C³: the exact Hessian is the continuous limit, central differences are only O(h) accurate (docs/hessian.md "Regularity")',
    spectrum: a.groups,
  };
}

/**
 * The weight-space Hessian of the ReLU loss at a realised point (docs/theory.md §17, docs/hessian.md):
 * writes eigenvalues.csv, spectrum.csv, summary.json and config.json into config.out and returns the
 * lines of the console summary.
 */
export function runHessianAnalysis(config: HessianConfig): string[] {
  const r = config;
  const started = performance.now();
  const a = analyseHessian(r.realisation.point, {
    readouts: r.readouts,
    method: r.method,
    zero: r.zeroTol,
    cluster: r.clusterTol,
  });
  const summary = hessianSummary(r, a);
  const wallSeconds = (performance.now() - started) / 1000;
  writeFileAtomic(
    join(r.out, 'eigenvalues.csv'),
    csvText(
      ['eigenvalue'],
      a.eigenvalues.map((l) => [l]),
    ),
  );
  writeFileAtomic(
    join(r.out, 'spectrum.csv'),
    csvText(
      ['eigenvalue', 'multiplicity'],
      a.groups.map((g) => [g.value, g.multiplicity]),
    ),
  );
  writeFileAtomic(join(r.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeConfigJson(r.out, 'hessian', {
    activation: 'relu',
    from: r.from,
    optimizer: r.optimizer,
    method: r.method,
    d: r.realisation.point.d,
    dRequested: r.dRequested,
    zeroTol: r.zeroTol,
    clusterTol: r.clusterTol,
    fdStep: r.method === 'fd' ? FD_HESSIAN_STEP : null,
    out: r.out,
    overlaps: overlapsToJSON(r.overlaps),
    result: {
      size: a.size,
      min: summary.min,
      max: summary.max,
      counts: a.counts,
      loss: a.loss,
      gradientNorm: a.gradientNorm,
      wallSeconds,
    },
  });
  const { point, rank } = r.realisation;
  const fmt = (x: number) => x.toPrecision(10);
  return [
    `hessian (relu, ${r.optimizer}, ${r.method}): K=${point.K} M=${point.M} d=${point.d} rank=${rank}, ${a.size} eigenvalues; loss ${a.loss.toExponential(6)}, |∇L| ${a.gradientNorm.toExponential(2)}`,
    `  min ${fmt(a.eigenvalues[0])}, max ${fmt(a.eigenvalues[a.size - 1])}; negative ${a.counts.negative}, zero ${a.counts.zero} (|λ| ≤ ${a.zeroTolerance.toExponential(1)}), positive ${a.counts.positive}`,
    `  spectrum (groups within ${a.clusterTolerance.toExponential(1)}):`,
    ...a.groups.map((g) => `    ${fmt(g.value)} ×${g.multiplicity}`),
    `  wrote ${join(r.out, '{eigenvalues.csv,spectrum.csv,summary.json,config.json}')}`,
  ];
}
