/**
 * Packed ODE state (docs/theory.md §6): x = (Q upper triangle incl. diagonal, row-major; R row-major;
 * a when the second layer is trained). Evolving only the upper triangle keeps Q exactly symmetric,
 * which §7.3 requires (the antisymmetric round-off mode is unstable near the global minimum).
 */
export class StateLayout {
  readonly K: number;
  readonly M: number;
  readonly withReadouts: boolean;
  /** Number of Q entries (K(K+1)/2). */
  readonly nQ: number;
  /** Offset of R (= nQ) and of a (= nQ + KM). */
  readonly rOffset: number;
  readonly aOffset: number;
  readonly dim: number;
  /** qIndex[i*K + j] = packed index of Q_ij (= Q_ji). */
  private readonly qIdx: Int32Array;

  constructor(K: number, M: number, withReadouts = false) {
    this.K = K;
    this.M = M;
    this.withReadouts = withReadouts;
    this.nQ = (K * (K + 1)) / 2;
    this.rOffset = this.nQ;
    this.aOffset = this.nQ + K * M;
    this.dim = this.aOffset + (withReadouts ? K : 0);
    this.qIdx = new Int32Array(K * K);
    let p = 0;
    for (let i = 0; i < K; i++) {
      for (let j = i; j < K; j++) {
        this.qIdx[i * K + j] = p;
        this.qIdx[j * K + i] = p;
        p++;
      }
    }
  }

  q(i: number, j: number): number {
    return this.qIdx[i * this.K + j];
  }

  r(k: number, m: number): number {
    return this.rOffset + k * this.M + m;
  }

  a(k: number): number {
    return this.aOffset + k;
  }

  /** Column names in packed order, 1-based as in the CSV contract: Q_i_j (i ≤ j), R_i_m, a_i. */
  columnNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.K; i++) for (let j = i; j < this.K; j++) names.push(`Q_${i + 1}_${j + 1}`);
    for (let k = 0; k < this.K; k++) for (let m = 0; m < this.M; m++) names.push(`R_${k + 1}_${m + 1}`);
    if (this.withReadouts) for (let k = 0; k < this.K; k++) names.push(`a_${k + 1}`);
    return names;
  }
}
