import type { Verdict, Violation } from '../../compare/tolerances.js';
import type { Study } from '../study.js';
import { type StatsResult, type StatsStudyConfig, computeStats } from './compute.js';
import { PAPER_Z_LIMIT, paperAgrees } from './paper.js';
import { statsReport } from './report.js';

/** The run is complete, and (for a table row) every paper column is within 3 binomial SE of Appendix G. */
function verdicts(result: StatsResult): Verdict[] {
  const { records, expected, paper } = result;
  const n = records.length;
  const out: Verdict[] = [
    { metric: 'stats.runs', tolerance: `${expected} initialisations`, observed: String(n), pass: n === expected },
  ];
  if (paper) {
    const pass = paperAgrees(records, paper);
    out.push({
      metric: 'stats.paper',
      tolerance: `every published cell within |z| ≤ ${PAPER_Z_LIMIT} (two-proportion)`,
      observed: pass ? 'within' : 'outside',
      pass,
    });
  }
  return out;
}

function headline({ records, expected, paper }: StatsResult): string {
  return `${records.length} of ${expected} initialisations${paper ? '; published cells within |z| ≤ 3' : ''}`;
}

/**
 * Landscape statistics: the ODE from many random initialisations, end states classified (global /
 * spurious k1 / saddle / not-converged) into a table of fractions and a final-loss histogram. Driven by
 * its own command and scenario kind (`scm-harness stats`, `"kind": "stats"` files, ./scenario.ts), so
 * configOf is null; `stats` and `merge` call its run and report (./runner.ts, ./merge.ts).
 */
export const statsStudy: Study<StatsStudyConfig, StatsResult> = {
  kind: 'stats',
  title: 'Landscape statistics',
  configOf: () => null,
  run: (config, ctx) => computeStats(config, ctx),
  report: (result, ctx) =>
    statsReport(
      result,
      verdicts(result).every((v) => v.pass),
      headline(result),
      ctx.provenance,
    ),
  verdicts,
  violations: (result): Violation[] =>
    verdicts(result)
      .filter((v) => !v.pass)
      .map((v) => ({
        metric: v.metric,
        observed: v.observed,
        tolerance: v.tolerance,
        where: `K ${result.config.K} / M ${result.config.M}`,
      })),
  headline,
};
