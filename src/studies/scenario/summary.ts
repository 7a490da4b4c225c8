import { violationLine } from '../../compare/tolerances.js';
import { markdownTable } from '../../io/markdown.js';
import type { StudyReport } from '../study.js';
import { type ScenarioResult, allVerdicts, headline } from './execute.js';

/**
 * summary.md: a short Markdown report that reads well as a GitHub job summary: the verdict, the command
 * that reproduces the run, each study's blocks (key figures, fitted slopes, …), each tolerance with its
 * worst observation, and the violations in the same one-line form `check` prints.
 */
export function summaryMarkdown(
  result: ScenarioResult,
  reports: StudyReport[],
  command: string,
  files: string[],
): string {
  const { scenario } = result;
  const verdicts = allVerdicts(result);
  const passed = result.violations.length === 0;
  // PASS only when something was checked: a scenario without tolerances says so instead.
  const verdict = !passed ? 'FAIL' : verdicts.length === 0 ? 'NO TOLERANCES' : 'PASS';
  const parts = [
    `# scm-harness: ${scenario.name}`,
    scenario.description,
    `**${verdict}**: ${headline(result)}`,
    `Reproduce: \`${command}\``,
  ];
  for (const report of reports) parts.push(...report.summary);
  parts.push('## Tolerances');
  parts.push(
    verdicts.length === 0
      ? 'No tolerances in this scenario.'
      : markdownTable(
          ['tolerance', 'bound', 'worst observed', 'verdict'],
          verdicts.map((v) => [v.metric, v.tolerance, v.observed, v.pass ? 'pass' : '**FAIL**']),
        ),
  );
  if (!passed) {
    parts.push(
      '### Violations (`metric, observed, tolerance, seed/d`)',
      ['```', ...result.violations.map(violationLine), '```'].join('\n'),
    );
  }
  parts.push('## Files', files.map((f) => `- \`${f}\``).join('\n'));
  return `${parts.filter((p) => p !== '').join('\n\n')}\n`;
}
