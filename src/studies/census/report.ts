import type { Provenance } from '../../io/provenance.js';
import { csvText } from '../../io/csv.js';
import { markdownTable } from '../../io/markdown.js';
import { type HtmlTable, type ReportSection, renderReportHtml, provenanceFooter } from '../../report/html.js';
import { renderPlot } from '../../report/vega.js';
import type { StudyReport } from '../study.js';
import { CENSUS_UPPER_CONFIDENCE } from './binomial.js';
import { MATCH_TOLERANCE, type CensusResult, type ShapeCensus } from './compute.js';
import { type FamilyFit, familyFits } from './fit.js';
import { hessianUnavailable } from './hessian.js';
import { type SpectrumSeries, familyFitPlot, hessianSpectraPlot, lossVsKPlot } from './plots.js';
import {
  CENSUS_COLUMNS,
  type CensusRow,
  censusCells,
  censusMarkdownTable,
  censusRows,
  pointJSON,
  shownInSummary,
} from './rows.js';

const shapeName = (s: { K: number; M: number }) => `K = ${s.K}, M = ${s.M}`;
const percent = (x: number) => `${(100 * x).toFixed(2)} %`;

/** The method, stated once for census.md and the page (docs/hessian.md "Census of minima"). */
export function methodLines(result: CensusResult): string[] {
  const c = result.config;
  const s = c.shapes[0].stats;
  const initDs = [...new Set(result.shapes.map((x) => x.initD))];
  const two = Math.round(200 * CENSUS_UPPER_CONFIDENCE - 100);
  return [
    `Fixed points: every root of the k1 block ansatz for k1 = 0…M (docs/theory.md §12), polished by Newton and deduplicated up to unit permutations (landscape/catalogue.ts); stable / saddle by the realisable spectrum of the ${c.optimizer} flow's Jacobian (§14), max Re λ in units of η = ${c.lr}.`,
    `Initialisations: ${c.inits} per shape, seeds ${c.seed}…${c.seed + c.inits - 1} (initialisation i uses seed ${c.seed} + i), random weights at init-d = ${c.initD === null ? `K (${initDs.join(', ')})` : c.initD} (§15), ${c.optimizer} flow (${c.activation}${c.alpha === null ? '' : `, α = ${c.alpha}`}), integrated as by \`stats\` (§13: dopri5 then rkc to t ≤ ${s.solver.tMax}, ${s.finish} finish, stability ${s.stability}: every non-global rest point is checked and saddles are left); global when L < ${s.thresholds.globalLoss}.`,
    `Clustering: an end state is a row's point when their permutation signatures (loss, sorted diagonal and off-diagonal Q, sorted R; landscape/distinct.ts) agree within ${MATCH_TOLERANCE} (relative); end states matching no ansatz point get their own rows (solution "reached").`,
    `Reach bound: reach_upper95 is the upper end of the two-sided ${two} % Clopper–Pearson interval (one-sided confidence ${CENSUS_UPPER_CONFIDENCE}); 0 of n gives 1 − ${(1 - CENSUS_UPPER_CONFIDENCE).toFixed(3)}^(1/n), 0.00368 at n = 1000 (the one-sided 95 % bound would be 0.00299, ≈ the rule of three 3/n). hidden = stable and reach_count = 0.`,
    `Hessian: ${hessianUnavailable(c) ?? 'closed-form ReLU Hessian in V = W/√d (docs/theory.md §17) of each point realised at d = rank of its joint Gram matrix [[Q, R], [Rᵀ, T]]; hessian_min/max are its extreme eigenvalues (at d = rank it cannot see out-of-span escape directions, docs/hessian.md)'}.`,
  ];
}

/** Per shape: stable points, reached points, global fraction and unconverged runs, in one line. */
function shapeLine(shape: ShapeCensus, rows: CensusRow[]): string {
  const global = rows.find((r) => r.point.fixedPoint.stability.verdict === 'global-minimum');
  const stable = rows.filter((r) => r.stable && r !== global);
  const hidden = stable.filter((r) => r.hidden);
  return `${shapeName(shape)}: ${rows.length} points (${stable.length} stable non-global, ${hidden.length} hidden: ${hidden.map((r) => `k1 = ${r.point.k1}`).join(', ') || 'none'}); global reached by ${global ? percent(global.reachFraction) : '–'} of ${shape.inits}; ${shape.unconverged} run(s) not converged; catalogue ${shape.catalogueSeconds.toFixed(1)} s, runs ${shape.runSeconds.toFixed(1)} s.`;
}

function fitRows(fits: FamilyFit[]): (string | number)[][] {
  return fits.map((f) => [
    f.family,
    f.overparam === 0 ? 'K = M' : `K = M + ${f.overparam}`,
    f.points.map((p) => p.K).join(', '),
    `${f.lInf.toPrecision(4)} ± ${f.lInfSE.toPrecision(2)}`,
    `${f.c.toPrecision(4)} ± ${f.cSE.toPrecision(2)}`,
    `[${(f.lInf - f.lInfHalfWidth).toPrecision(3)}, ${(f.lInf + f.lInfHalfWidth).toPrecision(3)}]`,
    f.verdict,
  ]);
}

const FIT_HEADER = ['family', 'shape', 'K', 'L∞ ± SE', 'c ± SE', 'L∞ 95 % interval', 'extrapolation'];

/** Hessian spectra of one shape's global, reached and hidden minima (those that have one). */
function spectra(rows: CensusRow[]): SpectrumSeries[] {
  return rows
    .filter((r) => r.stable && r.point.hessian.eigenvalues !== null)
    .map((r) => {
      const p = r.point;
      const kind =
        p.fixedPoint.stability.verdict === 'global-minimum'
          ? 'global'
          : r.hidden
            ? 'hidden'
            : `found, ${percent(r.reachFraction)}`;
      return {
        label: `k1 = ${p.k1}${p.solution === 0 ? '' : ` (${p.solution})`} ${kind}: min ${(p.hessian.min as number).toPrecision(3)}`,
        eigenvalues: p.hessian.eigenvalues as number[],
      };
    });
}

export async function censusReport(result: CensusResult, prov: Provenance): Promise<StudyReport> {
  const perShape = result.shapes.map((shape) => ({ shape, rows: censusRows(shape) }));
  const rows = perShape.flatMap((s) => s.rows);
  const fits = familyFits(rows);
  const method = methodLines(result);
  const markdown = [
    '# Census of minima',
    '',
    ...method.map((l) => `- ${l}`),
    '',
    ...perShape.flatMap(({ shape, rows: r }) => [
      `## ${shapeName(shape)}`,
      '',
      shapeLine(shape, r),
      '',
      'Stable and reached points (every point, saddles included, is in census.csv):',
      '',
      censusMarkdownTable(r.filter(shownInSummary)).trimEnd(),
      '',
    ]),
    ...(fits.length === 0
      ? []
      : [
          '## Loss vs K (extrapolation)',
          '',
          'Least squares L(K) = L∞ + c/K over the swept K for the lowest stable point of each family; the 95 % interval uses Student t with n − 2 degrees of freedom. An extrapolation beyond the measured K.',
          '',
          markdownTable(FIT_HEADER, fitRows(fits)).trimEnd(),
          '',
        ]),
  ].join('\n');

  const lossPlot = await renderPlot(lossVsKPlot(rows));
  const spectraPlots = await Promise.all(
    perShape
      .map(({ shape, rows: r }) => ({ shape, series: spectra(r) }))
      .filter((s) => s.series.length > 0)
      .map(({ shape, series }) =>
        renderPlot(
          hessianSpectraPlot(`hessian-K${shape.K}-M${shape.M}`, `Hessian spectra, ${shapeName(shape)}`, series),
        ),
      ),
  );
  const tables: HtmlTable[] = perShape.map(({ shape, rows: r }) => ({
    caption: shapeLine(shape, r),
    header: ['k1', 'solution', 'loss', 'verdict', 'max Re λ', 'H min', 'H max', 'reached', 'upper 95 %', 'hidden'],
    rows: r.filter(shownInSummary).map((row) => {
      const p = row.point;
      const n = (v: number | null, d = 4) => (v === null || !Number.isFinite(v) ? '–' : v.toPrecision(d));
      return [
        p.k1,
        String(p.solution),
        n(p.fixedPoint.loss, 8),
        p.fixedPoint.stability.verdict,
        n(p.fixedPoint.stability.maxRealEigenvalue),
        n(p.hessian.min),
        n(p.hessian.max),
        `${p.reachCount}/${row.inits}`,
        row.reachUpper.toPrecision(3),
        row.hidden ? 'hidden' : '',
      ];
    }),
  }));
  const sections: ReportSection[] = [
    { heading: 'Census', paragraphs: method, tables, plots: [lossPlot] },
    ...(spectraPlots.length > 0 ? [{ heading: 'Hessian spectra of the minima', plots: spectraPlots }] : []),
    ...(fits.length > 0
      ? [
          {
            heading: 'Loss vs K: fits (extrapolation)',
            tables: [{ caption: 'L(K) = L∞ + c/K, least squares', header: FIT_HEADER, rows: fitRows(fits) }],
            plots: [await renderPlot(familyFitPlot(fits))],
          },
        ]
      : []),
  ];
  const page = renderReportHtml({
    title: `scm-harness census: ${result.shapes.map(shapeName).join('; ')}`,
    subtitle: `${result.config.inits} initialisations per shape, ${result.config.optimizer} ${result.config.activation}`,
    verdict: { state: 'none', text: 'no tolerances in this study' },
    command: prov.command,
    sections,
    footer: provenanceFooter(prov),
  });
  return {
    files: [
      ['census.csv', csvText([...CENSUS_COLUMNS], rows.map(censusCells))],
      ['census.md', `${markdown.trimEnd()}\n`],
      ['census.html', page],
      ...rows.map((r): [string, string] => [r.point.file, pointJSON(r.point)]),
    ],
    overviewTables: [],
    sections,
    summary: [markdown.trimEnd()],
  };
}
