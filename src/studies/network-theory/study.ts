import { csvText } from '../../io/csv.js';
import { markdownTable } from '../../io/markdown.js';
import type { Study, StudyReport } from '../study.js';
import { type NetworkTheoryResult, runNetworkTheory } from './execute.js';
import { FIT_HEADER, KEY_FIGURE_HEADER, fitCells, keyFigureCells, keyFigures, runsHeadline } from './figures.js';
import type { NetworkTheoryConfig } from './schema.js';
import { runSection } from './sections.js';
import {
  BROADENING_COLUMNS,
  COMPARISON_COLUMNS,
  FIT_COLUMNS,
  broadeningRows,
  comparisonRows,
  fitRows,
  trajectoriesCsv,
} from './tables.js';

/**
 * Network vs theory: real finite-d networks of each run at each d and seed, the mean-field theory from
 * each seed's own initial overlaps, their deviations, the broadening of the spread with d, and the
 * tolerances of each run. Embedded in scenarios by their `runs` (./schema.ts).
 */
export const networkTheoryStudy: Study<NetworkTheoryConfig, NetworkTheoryResult> = {
  kind: 'network-theory',
  title: 'Network vs theory',

  configOf(scenario) {
    if (scenario.runs.length === 0) return null;
    const { name, model, theory, comparison, classification, runs } = scenario;
    return { name, model, theory, comparison, classification, runs };
  },

  run: (config, ctx) => runNetworkTheory(config, ctx),

  async report({ runs }): Promise<StudyReport> {
    const keyFigureRows = runs.flatMap((r) => keyFigures(r).map(keyFigureCells));
    const fits = fitCells(runs);
    const sections = [];
    for (const r of runs) sections.push(await runSection(r));
    return {
      files: [
        ['trajectories.csv', trajectoriesCsv(runs)],
        ['comparison.csv', csvText(COMPARISON_COLUMNS, comparisonRows(runs))],
        ['broadening.csv', csvText(['run', ...BROADENING_COLUMNS], broadeningRows(runs))],
        ['broadening-fits.csv', csvText(FIT_COLUMNS, fitRows(runs))],
      ],
      overviewTables: [
        {
          caption: 'Network vs theory from the same initial overlaps (worst over seeds and recorded times)',
          header: KEY_FIGURE_HEADER,
          rows: keyFigureRows,
        },
        ...(fits.length > 0
          ? [{ caption: 'Broadening with d: fitted log–log slopes', header: FIT_HEADER, rows: fits }]
          : []),
      ],
      sections,
      summary: [
        '## Network vs theory (same initial overlaps)',
        'Deviations are maxima over recorded times, seeds and matrix entries; the prediction is the d → ∞ theory of each seed (T = I). End states at t_max: global (loss below classification.globalLoss), spurious with k1 anti-aligned units (max|F| below classification.convergedRhs), or not-converged.',
        markdownTable(KEY_FIGURE_HEADER, keyFigureRows),
        ...(fits.length > 0
          ? [
              '## Broadening with d (log–log slopes)',
              'Online-SGD fluctuations are expected near slope −1/2.',
              markdownTable(FIT_HEADER, fits),
            ]
          : []),
      ],
    };
  },

  verdicts: ({ runs }) => runs.flatMap((r) => r.verdicts),
  violations: ({ runs }) => runs.flatMap((r) => r.violations),
  headline: ({ runs }) => runsHeadline(runs),
  configFields: ({ runs }) => ({ backends: runs.map((r) => ({ run: r.run.id, backend: r.jobs[0].backend })) }),
};
