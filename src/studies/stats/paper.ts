import { z } from 'zod';
import { markdownTable } from '../../io/markdown.js';
import type { RunRecord } from '../../landscape/stats/run.js';
import { isLocal } from '../../landscape/stats/table.js';

const PercentSchema = z.number().min(0).max(100);

/**
 * What a paper published for one configuration (percent of its initialisations): the Appendix G columns
 * (local / global / none), the main text's k1 distribution (Table 1: k1 = 0 is the global minimum), or
 * only an outcome without numbers (Table 2: "no convergence"). `inits` is the paper's sample size
 * (10⁴ throughout Huang et al. 2026), which enters the comparison (paperCells).
 */
export const PaperRowSchema = z.strictObject({
  local: PercentSchema.optional(),
  global: PercentSchema.optional(),
  none: PercentSchema.optional(),
  k1: z.record(z.string().regex(/^\d+$/), PercentSchema).optional().describe('Percent of runs at rest with this k1.'),
  outcome: z
    .literal('no-convergence')
    .optional()
    .describe('A published outcome without numbers; reported beside the observed fractions, not checked.'),
  inits: z.int().min(1).default(10_000).describe('Initialisations behind the published percentages.'),
});
export type PaperRow = z.input<typeof PaperRowSchema>;

/** One published number against the observed fraction. */
export interface PaperCell {
  /** `local`, `global`, `none` or `k1=j`. */
  cell: string;
  observed: number;
  published: number;
  /** Two-proportion z (pooled), see paperCells. */
  z: number;
  pass: boolean;
}

/** |z| above this fails a cell (`stats --scenario … --check`). */
export const PAPER_Z_LIMIT = 3;

/**
 * Observed vs published fraction for every number of `paper`. Both are binomial estimates — ours from n
 * runs, the paper's from `inits` — so the comparison is the two-proportion z-test with the pooled rate
 * p̄: z = (p̂ − p)/√(p̄(1 − p̄)(1/n + 1/N)). Against the published rate alone a published 0.00 % would
 * make a single observed run infinitely significant, although 0 of 10⁴ only says p ≲ 3e-4. z = 0 when
 * both are 0 % or both 100 %; z = NaN (the cell fails) when there are no runs (n = 0). Observed categories: local = spurious + marginal + saddle, global, none =
 * not-converged (table.ts); k1 = j counts the runs at rest (global or local) with k1 = j.
 */
export function paperCells(records: readonly RunRecord[], paper: PaperRow): PaperCell[] {
  const n = records.length;
  const N = paper.inits ?? 10_000;
  const fraction = (pred: (r: RunRecord) => boolean) => records.filter(pred).length / n;
  const observed: [string, number | undefined, number][] = [
    ['local', paper.local, fraction(isLocal)],
    ['global', paper.global, fraction((r) => r.class === 'global')],
    ['none', paper.none, fraction((r) => r.class === 'not-converged')],
    ...Object.entries(paper.k1 ?? {}).map(([k1, p]): [string, number, number] => [
      `k1=${k1}`,
      p,
      fraction((r) => r.k1 === Number(k1) && (r.class === 'global' || isLocal(r))),
    ]),
  ];
  return observed
    .filter((c): c is [string, number, number] => c[1] !== undefined)
    .map(([cell, percent, obs]) => {
      const p = percent / 100;
      const pooled = (obs * n + p * N) / (n + N);
      const se = Math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / N));
      // No runs (an empty shard, a row cut to nothing) measure nothing: NaN, which fails the cell.
      const z = n === 0 ? Number.NaN : se > 0 ? (obs - p) / se : 0;
      return { cell, observed: obs, published: p, z, pass: Math.abs(z) <= PAPER_Z_LIMIT };
    });
}

/** Every published number of the row within PAPER_Z_LIMIT. */
export function paperAgrees(records: readonly RunRecord[], paper: PaperRow): boolean {
  return paperCells(records, paper).every((c) => c.pass);
}

const pct = (x: number) => (100 * x).toFixed(2);

/** Markdown section: observed, published and z of every published number (plus an outcome note). */
export function paperCellsMarkdown(records: readonly RunRecord[], paper: PaperRow): string {
  const cells = paperCells(records, paper);
  const lines = [`## Against the paper (${paper.inits ?? 10_000} published initialisations)`, ''];
  if (paper.outcome) lines.push(`Published outcome: ${paper.outcome} (not checked).`, '');
  if (cells.length > 0)
    lines.push(
      markdownTable(
        ['cell', 'observed %', 'published %', 'z', `|z| ≤ ${PAPER_Z_LIMIT}`],
        cells.map((c) => [c.cell, pct(c.observed), pct(c.published), c.z.toFixed(2), c.pass ? 'yes' : 'NO']),
        ['left', 'right', 'right', 'right', 'left'],
      ),
      '',
    );
  return lines.join('\n');
}
