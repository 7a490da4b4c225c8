/** Column alignment of a Markdown table: numbers read best right-aligned. */
export type Align = 'left' | 'right';

/**
 * A GitHub-flavoured Markdown table (summary.md, stats tables, bench tables); `|` inside cells is
 * escaped so a value can never break the layout.
 */
export function markdownTable(header: string[], rows: (string | number)[][], align: Align[] = []): string {
  const escape = (c: string | number) => String(c).replace(/\|/g, '\\|');
  const rule = header.map((_, i) => (align[i] === 'right' ? '---:' : '---'));
  return [
    `| ${header.map(escape).join(' | ')} |`,
    `|${rule.join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}
