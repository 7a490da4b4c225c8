import { stringify } from 'csv-stringify/sync';

export type CsvCell = string | number | boolean | null;

/**
 * A CSV table via csv-stringify (quoting as needed; the caller writes it with writeFileAtomic). Numbers
 * are written with JavaScript's shortest round-trip formatting, i.e. full float64 precision; null
 * becomes an empty cell.
 */
export function csvText(header: string[], rows: CsvCell[][]): string {
  return stringify([header, ...rows], { cast: { boolean: (b) => String(b) } });
}
