import { InputError } from '../model/errors.js';
import type { Flow } from '../theory/flow.js';
import type { StateLayout } from '../model/state-layout.js';
import { freeIndices } from './free-coordinates.js';

/**
 * One scalar of a block-symmetric ansatz: the value shared by a set of packed state entries
 * (docs/theory.md §6 "Block-symmetric ansatz"). The first entry is the representative whose rhs gives
 * the reduced equation of the scalar.
 */
export interface AnsatzScalar {
  name: string;
  entries: number[];
}

/** A contiguous group of student units, optionally paired one-to-one with a group of teachers. */
export interface StudentGroup {
  name: string;
  size: number;
  /** Index into `teacherGroups` of the group paired unit-by-unit with this one (same size), if any. */
  pairedWith: number | null;
}

export interface BlockStructure {
  studentGroups: StudentGroup[];
  teacherGroups: { name: string; size: number }[];
  /** Scalar names: R[s][t] = [diag, offdiag] when paired, [constant] otherwise; Q[s][s'] for s ≤ s'. */
  names: (matrix: 'R' | 'Q' | 'a', s: number, t: number, part: 'diag' | 'off' | 'const') => string;
}

/**
 * A block-symmetric subspace of the packed state. Students and teachers are split into contiguous
 * groups; every R block is x I + y (J − I) between paired groups and z J otherwise, every Q block is
 * q I + q′(J − I) on the diagonal and q″ J off it, and the readouts (gd2l) are constant per group. The
 * flow commutes with the permutations within each group (permutation equivariance, T = I), so this
 * subspace is invariant and the rhs at a lifted point reads off the reduced equations at one
 * representative entry per scalar.
 */
export class BlockAnsatz {
  readonly scalars: AnsatzScalar[];
  readonly names: string[];

  constructor(
    readonly layout: StateLayout,
    readonly structure: BlockStructure,
  ) {
    this.scalars = buildScalars(layout, structure);
    this.names = this.scalars.map((s) => s.name);
    const covered = new Uint8Array(layout.dim);
    for (const s of this.scalars) for (const e of s.entries) covered[e]++;
    const bad = covered.findIndex((c) => c !== 1);
    if (bad >= 0) throw new Error(`block structure covers packed entry ${bad} ${covered[bad]} times (expected once)`);
  }

  get size(): number {
    return this.scalars.length;
  }

  /** The packed state whose entries take the scalar values s. */
  lift(s: Float64Array, out: Float64Array = new Float64Array(this.layout.dim)): Float64Array {
    this.scalars.forEach((scalar, i) => {
      for (const e of scalar.entries) out[e] = s[i];
    });
    return out;
  }

  /** Scalars of the nearest ansatz point (the mean of each block): exact on the subspace. */
  project(x: Float64Array): Float64Array {
    return Float64Array.from(
      this.scalars,
      (scalar) => scalar.entries.reduce((sum, e) => sum + x[e], 0) / scalar.entries.length,
    );
  }

  /** Largest spread of x within one scalar's entries: 0 on the subspace. */
  defect(x: Float64Array): number {
    let worst = 0;
    for (const scalar of this.scalars) {
      const first = x[scalar.entries[0]];
      for (const e of scalar.entries) worst = Math.max(worst, Math.abs(x[e] - first));
    }
    return worst;
  }
}

function qBlockEntries(
  layout: StateLayout,
  rows: [number, number],
  cols: [number, number],
  part: 'diag' | 'off' | 'const',
): number[] {
  const out: number[] = [];
  for (let i = rows[0]; i < rows[0] + rows[1]; i++) {
    for (let j = cols[0]; j < cols[0] + cols[1]; j++) {
      if (part === 'diag' && i !== j) continue;
      if (part === 'off' && (i === j || j < i)) continue;
      out.push(layout.q(i, j));
    }
  }
  return out;
}

function rBlockEntries(
  layout: StateLayout,
  rows: [number, number],
  cols: [number, number],
  part: 'diag' | 'off' | 'const',
): number[] {
  const out: number[] = [];
  for (let k = 0; k < rows[1]; k++) {
    for (let m = 0; m < cols[1]; m++) {
      if (part === 'diag' && k !== m) continue;
      if (part === 'off' && k === m) continue;
      out.push(layout.r(rows[0] + k, cols[0] + m));
    }
  }
  return out;
}

function buildScalars(layout: StateLayout, st: BlockStructure): AnsatzScalar[] {
  const starts = (sizes: number[]) => sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const sStart = starts(st.studentGroups.map((g) => g.size));
  const tStart = starts(st.teacherGroups.map((g) => g.size));
  if (st.studentGroups.reduce((a, g) => a + g.size, 0) !== layout.K) throw new Error('student groups must add up to K');
  if (st.teacherGroups.reduce((a, g) => a + g.size, 0) !== layout.M) throw new Error('teacher groups must add up to M');
  const scalars: AnsatzScalar[] = [];
  const push = (name: string, entries: number[]) => {
    if (entries.length > 0) scalars.push({ name, entries });
  };
  st.studentGroups.forEach((g, s) => {
    if (g.size === 0) return;
    const rows: [number, number] = [sStart[s], g.size];
    st.teacherGroups.forEach((tg, t) => {
      if (tg.size === 0) return;
      const cols: [number, number] = [tStart[t], tg.size];
      if (g.pairedWith === t) {
        if (tg.size !== g.size) throw new Error(`paired groups ${g.name} and ${tg.name} differ in size`);
        push(st.names('R', s, t, 'diag'), rBlockEntries(layout, rows, cols, 'diag'));
        push(st.names('R', s, t, 'off'), rBlockEntries(layout, rows, cols, 'off'));
      } else {
        push(st.names('R', s, t, 'const'), rBlockEntries(layout, rows, cols, 'const'));
      }
    });
  });
  st.studentGroups.forEach((g, s) => {
    if (g.size === 0) return;
    const rows: [number, number] = [sStart[s], g.size];
    push(st.names('Q', s, s, 'diag'), qBlockEntries(layout, rows, rows, 'diag'));
    push(st.names('Q', s, s, 'off'), qBlockEntries(layout, rows, rows, 'off'));
    st.studentGroups.forEach((h, s2) => {
      if (s2 <= s || h.size === 0) return;
      push(st.names('Q', s, s2, 'const'), qBlockEntries(layout, rows, [sStart[s2], h.size], 'const'));
    });
  });
  if (layout.withReadouts) {
    st.studentGroups.forEach((g, s) => {
      if (g.size === 0) return;
      push(
        st.names('a', s, s, 'const'),
        Array.from({ length: g.size }, (_, k) => layout.a(sStart[s] + k)),
      );
    });
  }
  return scalars;
}

/**
 * Paper names (Result 2, Eq. 7; docs/theory.md §6) for groups A = aligned (index 0), B = anti-aligned (1),
 * and E = the extra unit of the K = M + 1 ansatz (2): R_AA = x1 I + y1(J−I), R_AB = z1 J, R_BA = z2 J,
 * R_BB = x2 I + y2(J−I), Q_AA = q1 I + q2(J−I), Q_AB = q3 J, Q_BB = q4 I + q5(J−I); the extra unit has
 * R_EA = e1 J, R_EB = e2 J, Q_EE = q6, Q_AE = q7 J, Q_BE = q8 J; readouts a_A, a_B, a_E (gd2l only).
 */
function paperNames(matrix: 'R' | 'Q' | 'a', s: number, t: number, part: 'diag' | 'off' | 'const'): string {
  const groups = ['A', 'B', 'E'];
  if (matrix === 'a') return `a_${groups[s]}`;
  const table: Record<string, string> = {
    R00diag: 'x1',
    R00off: 'y1',
    R01const: 'z1',
    R10const: 'z2',
    R11diag: 'x2',
    R11off: 'y2',
    R20const: 'e1',
    R21const: 'e2',
    Q00diag: 'q1',
    Q00off: 'q2',
    Q01const: 'q3',
    Q11diag: 'q4',
    Q11off: 'q5',
    Q22diag: 'q6',
    Q02const: 'q7',
    Q12const: 'q8',
  };
  return table[`${matrix}${s}${t}${part}`];
}

/** All scalar names of the paper ansatz, in CSV column order. */
export const ANSATZ_SCALAR_NAMES = [
  'x1',
  'y1',
  'z1',
  'z2',
  'x2',
  'y2',
  'q1',
  'q2',
  'q3',
  'q4',
  'q5',
  'e1',
  'e2',
  'q6',
  'q7',
  'q8',
  'a_A',
  'a_B',
  'a_E',
] as const;

/**
 * The k1 ansatz of Result 2 at K = M (extra = 0) or its generalisation at K = M + 1 (extra = 1).
 * Units 0..K−k1−1 (group A) are aligned with teachers 0..M−k1−1, units K−k1.. (group B) anti-aligned with
 * the last k1 teachers. The generalisation adds one unpaired unit E (last index), symmetric under the
 * permutations of A and of B: it overlaps every A teacher by e1 and every B teacher by e2, and every A
 * (B) student by q7 (q8), with norm q6. e1 = e2 = q6 = q7 = q8 = 0 is the K = M point embedded with a
 * zero unit (§7.2: a singular point of the (Q, R) flow, analysed in weight space instead, perturb.ts).
 */
export function paperAnsatz(layout: StateLayout, k1: number): BlockAnsatz {
  const { K, M } = layout;
  const extra = K - M;
  if (extra !== 0 && extra !== 1)
    throw new InputError('--K', `the k1 ansatz needs K = M or K = M + 1 (K = ${K}, M = ${M})`);
  if (!Number.isInteger(k1) || k1 < 0 || k1 > M)
    throw new InputError('--k1', `must be an integer in 0..${M}, got ${k1}`);
  const structure: BlockStructure = {
    studentGroups: [
      { name: 'A', size: M - k1, pairedWith: 0 },
      { name: 'B', size: k1, pairedWith: 1 },
      { name: 'E', size: extra, pairedWith: null },
    ],
    teacherGroups: [
      { name: 'A', size: M - k1 },
      { name: 'B', size: k1 },
    ],
    names: paperNames,
  };
  return new BlockAnsatz(layout, structure);
}

/**
 * The reduced equations of an ansatz under a flow: unknowns are the scalars whose representative entry
 * is a free coordinate of the flow (ngd fixes the Q diagonal, ongd all of Q: free-coordinates.ts);
 * the others stay at `fixedValues`.
 */
export class ReducedSystem {
  readonly freeScalars: number[];
  private readonly scalarValues: Float64Array;
  private readonly x: Float64Array;
  private readonly dx: Float64Array;

  constructor(
    readonly flow: Flow,
    readonly ansatz: BlockAnsatz,
    fixedValues: Float64Array,
  ) {
    const free = new Set(freeIndices(flow));
    this.freeScalars = ansatz.scalars.flatMap((s, i) => (free.has(s.entries[0]) ? [i] : []));
    this.scalarValues = Float64Array.from(fixedValues);
    this.x = new Float64Array(flow.layout.dim);
    this.dx = new Float64Array(flow.layout.dim);
  }

  /** All scalars, with the free ones from y. */
  scalarsOf(y: Float64Array): Float64Array {
    const s = Float64Array.from(this.scalarValues);
    this.freeScalars.forEach((i, j) => (s[i] = y[j]));
    return s;
  }

  freeOf(s: Float64Array): Float64Array {
    return Float64Array.from(this.freeScalars, (i) => s[i]);
  }

  /** Reduced residual: the rhs at each free scalar's representative entry, at the lifted point. */
  residual(y: Float64Array, out: Float64Array): void {
    this.freeScalars.forEach((i, j) => (this.scalarValues[i] = y[j]));
    this.ansatz.lift(this.scalarValues, this.x);
    this.flow.rhs(this.x, this.dx);
    this.freeScalars.forEach((i, j) => (out[j] = this.dx[this.ansatz.scalars[i].entries[0]]));
  }
}
