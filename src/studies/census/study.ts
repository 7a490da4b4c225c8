import type { Study } from '../study.js';
import type { CensusConfig } from './config.js';
import { type CensusResult, computeCensus } from './compute.js';
import { censusReport } from './report.js';

function headline(result: CensusResult): string {
  const points = result.shapes.reduce((n, s) => n + s.points.length, 0);
  return `census of ${result.shapes.length} shape(s): ${points} points, ${result.config.inits} initialisations per shape`;
}

/**
 * Census of minima (docs/hessian.md "Census of minima"): every k1-ansatz fixed point and every end state
 * random initialisations reach, with stability, reach counts and exact bounds, and weight-space Hessians.
 * Driven by its own command (`scm-harness census`, census scenario files ./scenario.ts), so configOf is
 * null. It measures; it checks no tolerance.
 */
export const censusStudy: Study<CensusConfig, CensusResult> = {
  kind: 'census',
  title: 'Census of minima',
  configOf: () => null,
  run: (config, ctx) => computeCensus(config, ctx),
  report: (result, ctx) => censusReport(result, ctx.provenance),
  verdicts: () => [],
  violations: () => [],
  headline,
};
