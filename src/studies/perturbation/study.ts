import { csvText, type CsvCell } from '../../io/csv.js';
import { markdownTable } from '../../io/markdown.js';
import { fmt } from '../../report/format.js';
import type { ReportSection } from '../../report/html.js';
import { logLogPlot } from '../../report/plots.js';
import { renderPlot } from '../../report/vega.js';
import type { Study } from '../study.js';
import { type PerturbationResult, runPerturbation } from './execute.js';
import type { PerturbationConfig } from './schema.js';

/**
 * The weight-space perturbation protocol of the paper's Appendix D at the fixed points of the k1 block
 * ansatz (./execute.ts). Embedded in scenarios by their `perturbation` section (./schema.ts).
 */
export const perturbationStudy: Study<PerturbationConfig, PerturbationResult> = {
  kind: 'perturbation',
  title: 'Perturbation of fixed points',

  configOf: (scenario) => (scenario.perturbation ? { model: scenario.model, spec: scenario.perturbation } : null),

  run: async (config) => runPerturbation(config),

  async report(result) {
    return {
      files: [['perturbation.csv', csvText(PERTURBATION_COLUMNS, perturbationRows(result))]],
      overviewTables: [],
      sections: [await perturbationSection(result)],
      summary: [
        '## Perturbation of fixed points (paper App. D)',
        'Weights realising each fixed point get N(0, σ²) noise, then relax under the gd flow; ratio = distance after relaxing / initial distance (≪ 1: returns, ≫ 1: escapes).',
        markdownTable(PERTURBATION_HEADER, perturbationCells(result)),
      ],
    };
  },

  verdicts: (result) => result.verdicts,
  violations: (result) => result.violations,
  headline: (result) => `perturbation study of ${result.cases.length} fixed point(s)`,
};

export const PERTURBATION_HEADER = [
  'case',
  'k1',
  'K',
  'fixed-point loss',
  'stability',
  'σ',
  'initial distance',
  'distance after relaxing',
  'ratio',
  'loss change',
];

/** One row per (case, σ) of the perturbation study, formatted for summary.md and report.html. */
export function perturbationCells(result: PerturbationResult): (string | number)[][] {
  return result.cases.flatMap((c) =>
    c.rows.map((r) => [
      c.case,
      c.k1,
      c.K,
      fmt(c.loss),
      c.stability ?? 'singular in (Q, R)',
      r.sigma,
      fmt(r.initialDistanceMean),
      `${fmt(r.distanceMean)} ± ${fmt(r.distanceSd, 2)}`,
      fmt(r.distanceMean / r.initialDistanceMean),
      `${fmt(r.lossGapMean)} ± ${fmt(r.lossGapSd, 2)}`,
    ]),
  );
}

export const PERTURBATION_COLUMNS = [
  'case',
  'k1',
  'K',
  'fixed_point_loss',
  'fixed_point_residual',
  'stability',
  'sigma',
  'repetitions',
  'initial_distance_mean',
  'distance_mean',
  'distance_sd',
  'loss_gap_mean',
  'loss_gap_sd',
];

/** perturbation.csv: one row per (case, k1, σ) of the Appendix D protocol. */
export function perturbationRows(result: PerturbationResult): CsvCell[][] {
  return result.cases.flatMap((c) =>
    c.rows.map((r) => [
      c.case,
      c.k1,
      c.K,
      c.loss,
      c.residual,
      c.stability,
      r.sigma,
      r.repetitions,
      r.initialDistanceMean,
      r.distanceMean,
      r.distanceSd,
      r.lossGapMean,
      r.lossGapSd,
    ]),
  );
}

/** Distance to the fixed point right after the perturbation and after relaxing, against σ. */
async function perturbationSection(p: PerturbationResult): Promise<ReportSection> {
  // The initial distance is the same for every case to within the extra unit's share: draw it once.
  const series = [
    ...p.cases.map((c) => ({
      metric: `${c.case === 'K=M' ? `K = M = ${c.K}` : `K = ${c.K} (embedded)`}, k1 = ${c.k1}: after relaxing`,
      connect: true,
      points: c.rows.map((r) => ({ x: r.sigma, value: r.distanceMean })),
    })),
    ...(p.cases.length > 0
      ? [
          {
            metric: 'right after the perturbation',
            connect: true,
            points: p.cases[0].rows.map((r) => ({ x: r.sigma, value: r.initialDistanceMean })),
          },
        ]
      : []),
  ];
  const plot = logLogPlot(
    `${p.id}-distance`,
    'Distance to the fixed point vs perturbation strength',
    'Frobenius distance of (Q, R) to the fixed point right after the weight perturbation and after relaxing with the gd flow (mean over repetitions). A stable family returns (distance falls far below the initial one); a saddle escapes.',
    { x: 'perturbation σ (log)', y: 'distance ‖(Q, R) − (Q, R)*‖ (log)' },
    series,
  );
  return {
    heading: 'Perturbation of fixed points (paper App. D)',
    paragraphs: [
      `Each K = M fixed point of the k1 block ansatz is realised as weights at d = ${p.spec.d}, its student weights perturbed by N(0, σ²) noise, and relaxed with gradient flow for t = ${p.spec.tRelax}; the K = M + 1 case embeds the same point with an extra zero unit. ${p.missing.length > 0 ? `No realisable solution for k1 = ${p.missing.join(', ')}.` : ''}`,
    ],
    tables: [
      {
        caption: 'Perturbation results (mean ± sd over repetitions)',
        header: PERTURBATION_HEADER,
        rows: perturbationCells(p),
      },
    ],
    plots: [await renderPlot(plot)],
  };
}
