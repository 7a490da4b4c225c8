/**
 * Dense LU factorisation with partial pivoting, P A = L U, of a row-major n×n Float64Array, in place
 * (Golub & Van Loan, Matrix Computations, Alg. 3.4.1): L (unit lower, below the diagonal) and U
 * overwrite the matrix, `pivot` records the row interchanges. All workspaces are allocated by the
 * constructor; factor and solve allocate nothing, so one instance serves every Newton iteration of a
 * size (docs/theory.md §6).
 */
export class LuFactorisation {
  /** The matrix to factor (write it, then call factor()); holds L and U afterwards. */
  readonly a: Float64Array;
  private readonly pivot: Int32Array;
  private readonly work: Float64Array;

  constructor(readonly n: number) {
    this.a = new Float64Array(n * n);
    this.pivot = new Int32Array(n);
    this.work = new Float64Array(n);
  }

  /**
   * Factor `a` in place. Returns false when a pivot is zero, non-finite, or below n·ε·max|a_ij|
   * (numerically singular: the solve would amplify round-off by more than 1/(nε)).
   */
  factor(): boolean {
    const { a, n, pivot } = this;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      const v = Math.abs(a[i]);
      if (v > scale) scale = v;
      else if (v !== v) return false;
    }
    if (!(scale > 0 && Number.isFinite(scale))) return false;
    const tiny = n * Number.EPSILON * scale;
    for (let k = 0; k < n; k++) {
      let p = k;
      let best = Math.abs(a[k * n + k]);
      for (let i = k + 1; i < n; i++) {
        const v = Math.abs(a[i * n + k]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
      pivot[k] = p;
      if (!(best > tiny)) return false;
      const rowK = k * n;
      if (p !== k) {
        const rowP = p * n;
        for (let j = 0; j < n; j++) {
          const t = a[rowK + j];
          a[rowK + j] = a[rowP + j];
          a[rowP + j] = t;
        }
      }
      const inv = 1 / a[rowK + k];
      // Rank-1 update of the trailing block, two rows per pass so each loaded a[k][j] is used twice.
      let i = k + 1;
      for (; i + 1 < n; i += 2) {
        const r0 = i * n;
        const r1 = r0 + n;
        const l0 = (a[r0 + k] *= inv);
        const l1 = (a[r1 + k] *= inv);
        for (let j = k + 1; j < n; j++) {
          const u = a[rowK + j];
          a[r0 + j] -= l0 * u;
          a[r1 + j] -= l1 * u;
        }
      }
      for (; i < n; i++) {
        const r0 = i * n;
        const l0 = (a[r0 + k] *= inv);
        for (let j = k + 1; j < n; j++) a[r0 + j] -= l0 * a[rowK + j];
      }
    }
    return true;
  }

  /** x = A⁻¹ b from the last successful factor(); b and x may be the same array. */
  solve(b: Float64Array, x: Float64Array): void {
    const { a, n, pivot, work: y } = this;
    y.set(b);
    for (let k = 0; k < n; k++) {
      const p = pivot[k];
      if (p !== k) {
        const t = y[k];
        y[k] = y[p];
        y[p] = t;
      }
    }
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let s = y[i];
      for (let j = 0; j < i; j++) s -= a[row + j] * y[j];
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      const row = i * n;
      let s = y[i];
      for (let j = i + 1; j < n; j++) s -= a[row + j] * y[j];
      y[i] = s / a[row + i];
    }
    x.set(y);
  }
}
