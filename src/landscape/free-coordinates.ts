import type { Flow } from '../theory/flow.js';

/**
 * The unknowns of the fixed-point problem F(x) = Flow.rhs(x) = 0 (docs/theory.md §6). The constrained
 * flows keep some coordinates fixed by construction: ngd has dQ_kk ≡ 0 (Q_kk = 1, §4.4) and ongd has
 * dQ ≡ 0 (Q = I, §4.5). Those rhs entries vanish identically, so keeping them as unknowns would add
 * zero rows and columns to the Jacobian and make it singular: they are dropped here and held at the
 * values of a base state.
 */
export class FreeCoordinates {
  /** Packed indices of the free coordinates, increasing. */
  readonly indices: Int32Array;
  readonly size: number;
  private readonly full: Float64Array;
  private readonly fullRhs: Float64Array;

  constructor(
    readonly flow: Flow,
    base: Float64Array,
  ) {
    this.full = Float64Array.from(base);
    this.fullRhs = new Float64Array(flow.layout.dim);
    this.indices = Int32Array.from(freeIndices(flow));
    this.size = this.indices.length;
  }

  /** The free coordinates of a packed state. */
  restrict(x: Float64Array, out: Float64Array = new Float64Array(this.size)): Float64Array {
    for (let i = 0; i < this.size; i++) out[i] = x[this.indices[i]];
    return out;
  }

  /** The packed state with free coordinates y and constrained ones from the base state. */
  embed(y: Float64Array, out: Float64Array = Float64Array.from(this.full)): Float64Array {
    for (let i = 0; i < this.size; i++) out[this.indices[i]] = y[i];
    return out;
  }

  /** F restricted to the free coordinates, evaluated at embed(y). */
  residual(y: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.size; i++) this.full[this.indices[i]] = y[i];
    this.flow.rhs(this.full, this.fullRhs);
    for (let i = 0; i < this.size; i++) out[i] = this.fullRhs[this.indices[i]];
  }
}

/** Packed indices whose rhs is not identically zero for this flow (see FreeCoordinates). */
export function freeIndices(flow: Flow): number[] {
  const L = flow.layout;
  const fixed = new Set<number>();
  if (flow.definition.constraint === 'sphere') for (let k = 0; k < L.K; k++) fixed.add(L.q(k, k));
  if (flow.definition.constraint === 'stiefel') for (let i = 0; i < L.nQ; i++) fixed.add(i);
  const out: number[] = [];
  for (let i = 0; i < L.dim; i++) if (!fixed.has(i)) out.push(i);
  return out;
}
