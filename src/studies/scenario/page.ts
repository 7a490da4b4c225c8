import type { Provenance } from '../../io/provenance.js';
import {
  type ReportPage,
  type ReportSection,
  renderReportHtml,
  toleranceVerdict,
  provenanceFooter,
} from '../../report/html.js';
import type { StudyReport } from '../study.js';
import { type ScenarioResult, allVerdicts, headline } from './execute.js';

/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts): an Overview with the studies'
 * overview tables, the tolerances and the violations, then each study's sections, in study order.
 */
export function reportHtml(
  result: ScenarioResult,
  reports: StudyReport[],
  command: string,
  provenance: Provenance,
): string {
  const verdicts = allVerdicts(result);
  const overview: ReportSection = {
    heading: 'Overview',
    paragraphs: [result.scenario.description].filter((p) => p !== ''),
    tables: [
      ...reports.flatMap((r) => r.overviewTables),
      ...(verdicts.length > 0
        ? [
            {
              caption: 'Tolerances',
              header: ['tolerance', 'bound', 'worst observed', 'verdict'],
              rows: verdicts.map((v) => [v.metric, v.tolerance, v.observed, v.pass ? 'pass' : 'FAIL']),
            },
          ]
        : []),
      ...(result.violations.length > 0
        ? [
            {
              caption: 'Violations',
              header: ['metric', 'observed', 'tolerance', 'seed/d'],
              rows: result.violations.map((v) => [v.metric, v.observed, v.tolerance, v.where]),
            },
          ]
        : []),
    ],
    plots: [],
  };
  const page: ReportPage = {
    title: `scm-harness: ${result.scenario.name}`,
    subtitle: headline(result),
    // Violations and verdicts come from the same checks; a violation without a failed verdict still fails the page.
    verdict:
      result.violations.length > 0 && verdicts.every((v) => v.pass)
        ? { state: 'fail', text: 'tolerances violated' }
        : toleranceVerdict(verdicts, 'scenario'),
    command,
    sections: [overview, ...reports.flatMap((r) => r.sections)],
    footer: provenanceFooter(provenance),
  };
  return renderReportHtml(page);
}
