import type { Overlaps } from '../model/overlaps.js';

/**
 * Fixed points that differ only by a relabelling of the student units (and, for K = M, of the
 * teachers with them) are one point of the landscape. A permutation-invariant signature: the loss, the
 * sorted diagonal of Q, the sorted off-diagonal entries of Q, and the sorted entries of R. Two points
 * are the same when every signature entry agrees within `tolerance` (Newton solves to |F| ~ 1e-12, so
 * 1e-7 separates distinct roots, whose overlaps differ at O(1e-3) or more, from copies).
 */
export const DISTINCT_TOLERANCE = 1e-7;

export function permutationSignature(o: Overlaps, loss: number): number[] {
  const { K, M } = o;
  const diag: number[] = [];
  const off: number[] = [];
  for (let k = 0; k < K; k++) {
    diag.push(o.Q[k * K + k]);
    for (let l = k + 1; l < K; l++) off.push(o.Q[k * K + l]);
  }
  const r = Array.from(o.R.subarray(0, K * M));
  const sorted = (v: number[]) => v.sort((a, b) => a - b);
  return [loss, ...sorted(diag), ...sorted(off), ...sorted(r)];
}

export function sameSignature(a: number[], b: number[], tolerance = DISTINCT_TOLERANCE): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tolerance * Math.max(1, Math.abs(v)));
}

/** Group items into distinct points (first occurrence represents its group), preserving order. */
export function groupDistinct<T>(
  items: readonly T[],
  signature: (item: T) => number[],
  tolerance = DISTINCT_TOLERANCE,
): T[][] {
  const groups: { signature: number[]; members: T[] }[] = [];
  for (const item of items) {
    const s = signature(item);
    const group = groups.find((g) => sameSignature(g.signature, s, tolerance));
    if (group) group.members.push(item);
    else groups.push({ signature: s, members: [item] });
  }
  return groups.map((g) => g.members);
}
