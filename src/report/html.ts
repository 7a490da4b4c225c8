import type { Provenance } from '../io/provenance.js';
import type { RenderedPlot } from './vega.js';

/** One block of the report page: a heading, optional paragraphs and tables, and a grid of plots. */
export interface ReportSection {
  heading: string;
  paragraphs?: string[];
  tables?: HtmlTable[];
  plots: RenderedPlot[];
}

export interface HtmlTable {
  caption: string;
  header: string[];
  rows: (string | number)[][];
}

/**
 * The badge under the title: `pass` (green, every tolerance held), `fail` (red) or `none` (grey: the page
 * checks no tolerance, and says so rather than "all tolerances hold").
 */
export interface PageVerdict {
  state: 'pass' | 'fail' | 'none';
  text: string;
}

/** The badge of a page from its checked tolerances; `scope` names what was checked ("scenario", "study"). */
export function toleranceVerdict(verdicts: readonly { pass: boolean }[], scope: string): PageVerdict {
  if (verdicts.length === 0) return { state: 'none', text: `no tolerances in this ${scope}` };
  const failed = verdicts.filter((v) => !v.pass).length;
  return failed === 0
    ? { state: 'pass', text: verdicts.length === 1 ? 'the tolerance holds' : `all ${verdicts.length} tolerances hold` }
    : { state: 'fail', text: `${failed} of ${verdicts.length} tolerances violated` };
}

export interface ReportPage {
  title: string;
  /** One line under the title, e.g. the verdict. */
  subtitle: string;
  verdict: PageVerdict;
  command: string;
  sections: ReportSection[];
  /** Provenance lines shown in the footer (version, commit, node, date). */
  footer: string[];
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1240px; color: #1d1d1f; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; color: white; font-weight: bold; }
.pass { background: #2e7d32; } .fail { background: #c62828; } .none { background: #757575; }
code, pre { background: #f4f4f4; padding: 2px 6px; border-radius: 4px; font-size: 13px; }
pre { padding: 8px; overflow-x: auto; }
.plots { display: flex; flex-wrap: wrap; gap: 20px; }
figure.plot { margin: 0; border: 1px solid #e4e4e4; padding: 6px; background: white; }
figure.plot figcaption { font-size: 12px; color: #555; margin-top: 4px; }
figure.plot .plot-title { font-size: 14px; font-weight: bold; margin-bottom: 4px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
footer { margin-top: 40px; font-size: 12px; color: #777; }
`;

/** Numbers (and number-like strings such as "0.12 ± 0.03") are right-aligned; text stays left. */
function cellHtml(cell: string | number): string {
  const text = String(cell);
  const numeric = typeof cell === 'number' || /^[-+−]?[\d.]+(e[-+]?\d+)?( ± [\d.]+(e[-+]?\d+)?)?$/i.test(text);
  return `<td${numeric ? ' class="num"' : ''}>${escapeHtml(text)}</td>`;
}

function tableHtml(table: HtmlTable): string {
  const head = table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = table.rows.map((row) => `<tr>${row.map(cellHtml).join('')}</tr>`).join('\n');
  return `<table><caption>${escapeHtml(table.caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function plotHtml(plot: RenderedPlot): string {
  // The SVG is produced by vega from our own data; labels are escaped by vega's SVG renderer.
  return `<figure class="plot" id="${escapeHtml(plot.id)}" data-width="${plot.width}" data-height="${plot.height}" style="width:${plot.width}px">
<div class="plot-title">${escapeHtml(plot.title)}</div>
${plot.svg}
<figcaption>${escapeHtml(plot.caption)}</figcaption>
</figure>`;
}

function sectionHtml(section: ReportSection): string {
  const paragraphs = (section.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const tables = (section.tables ?? []).map(tableHtml).join('\n');
  const plots =
    section.plots.length > 0 ? `<div class="plots">\n${section.plots.map(plotHtml).join('\n')}\n</div>` : '';
  return `<section>\n<h2>${escapeHtml(section.heading)}</h2>\n${paragraphs}\n${tables}\n${plots}\n</section>`;
}

/**
 * The report as ONE self-contained HTML page: inline CSS and inline SVG, no scripts, no external
 * resources, so it opens offline and can be attached to a CI run as a single file.
 */
/** The page footer every report shows: package and version, commit (marked when the tree was modified), Node, time. */
export function provenanceFooter(prov: Provenance): string[] {
  return [
    `${prov.package} ${prov.version}`,
    `commit ${prov.gitCommit ?? 'unknown'}${prov.gitDirty ? ' (modified)' : ''}`,
    `node ${prov.node}`,
    prov.createdAt,
  ];
}

export function renderReportHtml(page: ReportPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p><span class="badge ${page.verdict.state}">${escapeHtml(page.verdict.text)}</span> ${escapeHtml(page.subtitle)}</p>
<p>Reproduce: <code>${escapeHtml(page.command)}</code></p>
${page.sections.map(sectionHtml).join('\n')}
<footer>${page.footer.map(escapeHtml).join(' · ')}</footer>
</body>
</html>
`;
}
