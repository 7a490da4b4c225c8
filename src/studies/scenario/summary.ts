import { violationLine } from '../../compare/tolerances.js';
import { markdownTable } from '../../io/markdown.js';
import type { ScenarioResult } from './execute.js';
import { FIT_HEADER, KEY_FIGURE_HEADER, PERTURBATION_HEADER, allVerdicts, fitCells, headline, keyFigureCells, keyFigures, perturbationCells } from '../network-theory/figures.js';

/**
 * summary.md: a short Markdown report that reads well as a GitHub job summary: the verdict, the command
 * that reproduces the run, key figures per (run, d), the fitted slopes, each tolerance with its worst
 * observation, and the violations in the same one-line form `check` prints.
 */
export function summaryMarkdown(result: ScenarioResult, command: string, files: string[]): string {
  const { scenario } = result;
  const verdicts = allVerdicts(result);
  const passed = result.violations.length === 0;
  const parts = [`# scm-harness: ${scenario.name}`, scenario.description, `**${passed ? 'PASS' : 'FAIL'}**: ${headline(result)}`, `Reproduce: \`${command}\``];
  if (result.runs.length > 0) {
    parts.push(
      '## Network vs theory (same initial overlaps)',
      'Deviations are maxima over recorded times, seeds and matrix entries; the prediction is the d → ∞ theory of each seed (T = I). End states at t_max: global (loss below classification.globalLoss), spurious with k1 anti-aligned units (max|F| below classification.convergedRhs), or not-converged.',
      markdownTable(KEY_FIGURE_HEADER, result.runs.flatMap((r) => keyFigures(r).map(keyFigureCells))),
    );
  }
  const fits = fitCells(result);
  if (fits.length > 0) {
    parts.push('## Broadening with d (log–log slopes)', 'Online-SGD fluctuations are expected near slope −1/2.', markdownTable(FIT_HEADER, fits));
  }
  if (result.perturbation) {
    parts.push(
      '## Perturbation of fixed points (paper App. D)',
      'Weights realising each fixed point get N(0, σ²) noise, then relax under the gd flow; ratio = distance after relaxing / initial distance (≪ 1: returns, ≫ 1: escapes).',
      markdownTable(PERTURBATION_HEADER, perturbationCells(result)),
    );
  }
  parts.push('## Tolerances');
  parts.push(
    verdicts.length === 0
      ? 'No tolerances in this scenario.'
      : markdownTable(['tolerance', 'bound', 'worst observed', 'verdict'], verdicts.map((v) => [v.metric, v.tolerance, v.observed, v.pass ? 'pass' : '**FAIL**'])),
  );
  if (!passed) {
    parts.push('### Violations (`metric, observed, tolerance, seed/d`)', ['```', ...result.violations.map(violationLine), '```'].join('\n'));
  }
  parts.push('## Files', files.map((f) => `- \`${f}\``).join('\n'));
  return `${parts.filter((p) => p !== '').join('\n\n')}\n`;
}
