/**
 * Rightmost (or largest-magnitude) eigenvalues of a real nonsymmetric linear operator given only as a
 * matrix–vector product, by the Krylov–Schur method (Stewart, SIAM J. Matrix Anal. Appl. 23 (2001)
 * 601–614). Self-contained: typed arrays only, no dependencies.
 *
 * Why Krylov–Schur and not implicitly restarted Arnoldi (IRA, ARPACK): both keep a Krylov
 * decomposition A V_k = V_k B_k + v_{k+1} bᵀ and restart with the same implicit polynomial filter when
 * exact shifts are used (the two are mathematically equivalent). IRA applies the m − p unwanted Ritz
 * values one by one as implicit QR shifts (double shifts for complex pairs); with many shifts close to
 * wanted eigenvalues this chase is forward-unstable ("shift blurring") and locking/purging of
 * converged vectors needs extra machinery. Krylov–Schur instead reorders the real Schur form of the
 * small projected matrix, so that the wanted Ritz values come first, and truncates: the restart is a
 * sequence of orthogonal transformations of a small matrix, deflation (locking) is setting entries
 * of bᵀ to zero, and complex pairs are kept together automatically as 2×2 blocks. The small dense
 * pieces (Householder Hessenberg reduction and Francis double-shift QR: hessenberg-qr.ts; block swaps:
 * schur-reorder.ts; quasi-triangular eigenvectors: schur-blocks.ts) cost O(m³) per restart, ≈ 1–2 ms
 * at m = 40 in V8 — about what the restart's products cost at K = M = 17 (a product there is two
 * right-hand sides, ≈ 0.1 ms), so m stays ≲ 60.
 * Multiple eigenvalues: one start vector spans one direction of each eigenspace; restartFresh()
 * deflates the converged part and continues from a fresh random vector to pick up further copies.
 *
 * Orthogonalisation is classical Gram–Schmidt applied twice (CGS2: "twice is enough", orthogonality to
 * O(ε)), which reads each basis vector contiguously. All work arrays are allocated once per solver;
 * the expansion loop (product + CGS2) allocates nothing.
 *
 * Convergence: a Ritz pair (θ, y), ‖y‖ = 1, has residual ‖A V y − θ V y‖ = |bᵀ Z y| (Z the Schur vectors
 * of the projected matrix) without any extra product. A pair counts as converged when this is at most
 * tol · ‖A‖_est, ‖A‖_est the largest |Ritz value| seen so far (an estimate of the spectral radius, ≈
 * ‖A‖ for the nearly normal operators of interest). The default tol = 1e-10 is ~10⁶ ε: products that
 * are exact to rounding converge far below it; an operator with noise δ per product (finite-difference
 * Jacobians: δ ≈ 1e-10 relative) needs tol ≳ δ, or the residual stagnates at the noise floor
 * (callers pass their own). For a non-defective eigenvalue the error of θ is at most the residual
 * times the eigenvalue's condition number.
 */

import { gaussianStream } from './gaussian-stream.js';
import { francisSchur, hessenbergReduce } from './hessenberg-qr.js';
import { ritzPairs, schurBlocks } from './ritz.js';
import { blockSize, schurEigenvector } from './schur-blocks.js';
import { SwapWork, sortSchur } from './schur-reorder.js';
import type { KrylovSchurOptions, KrylovSchurResult, MatVec, Which } from './types.js';

/**
 * A Krylov–Schur solver for one operator. solve(nev) may be called repeatedly with growing nev: it
 * continues from the current Krylov decomposition (the converged part is kept), so asking for more
 * eigenvalues costs only the additional products.
 */
export class KrylovSchur {
  readonly n: number;
  readonly m: number;
  readonly tol: number;
  readonly which: Which;
  products = 0;
  restarts = 0;
  normEstimate = 0;
  /** Basis V (n × (m+1)), column j at j·n. */
  private V: Float64Array;
  private Vnext: Float64Array;
  /** The two basis buffers (V and Vnext swap at each restart) and their column views. */
  private readonly buffers: Float64Array[];
  private readonly columns: Float64Array[][];
  /** Projected matrix B ((m+1) × m, row-major, ld m): A V_k = V_{k+1} B. */
  private readonly B: Float64Array;
  /** Schur work: S (m×m) and Z (m×m), ld m. */
  private readonly S: Float64Array;
  private readonly Z: Float64Array;
  private readonly bt: Float64Array;
  /** Ritz residual of each locked block at the time it was locked, by its first Schur column. */
  private readonly lockResidual: Float64Array;
  private readonly h: Float64Array;
  private readonly w: Float64Array;
  private readonly yr: Float64Array;
  private readonly yi: Float64Array;
  private readonly ev = new Float64Array(2);
  private readonly swap = new SwapWork();
  private readonly hwork: Float64Array;
  private readonly normal: () => number;
  /** Current size k of the decomposition, and the number of locked (deflated) leading columns. */
  private k = 0;
  private nlock = 0;
  private started = false;
  /** Columns holding the wanted blocks after the last solve() (all leading), and whether it converged. */
  private wantedEnd = 0;
  private lastConverged = false;

  constructor(
    private readonly op: MatVec,
    n: number,
    private readonly options: KrylovSchurOptions = {},
  ) {
    this.n = n;
    const maxNev = options.maxNev ?? 8;
    this.m = Math.min(n, options.ncv ?? Math.max(2 * maxNev + 8, 24));
    this.tol = options.tol ?? 1e-10;
    this.which = options.which ?? 'largest-real';
    const m = this.m;
    this.V = new Float64Array(n * (m + 1));
    this.Vnext = new Float64Array(n * (m + 1));
    this.buffers = [this.V, this.Vnext];
    this.columns = this.buffers.map((buf) => Array.from({ length: m + 1 }, (_, j) => buf.subarray(j * n, (j + 1) * n)));
    this.B = new Float64Array((m + 1) * m);
    this.S = new Float64Array(m * m);
    this.Z = new Float64Array(m * m);
    this.bt = new Float64Array(m);
    this.lockResidual = new Float64Array(m);
    this.h = new Float64Array(m + 1);
    this.w = new Float64Array(n);
    this.yr = new Float64Array(m);
    this.yi = new Float64Array(m);
    this.hwork = new Float64Array(m);
    this.normal = gaussianStream(options.seed ?? 1);
  }

  /**
   * Orthogonalise w against V columns 0..j (CGS2), coefficients added into h[0..j]; returns ‖w‖.
   */
  private orthogonalise(w: Float64Array, j: number, h: Float64Array): number {
    const { V, n } = this;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) {
        let s = 0;
        const off = i * n;
        for (let r = 0; r < n; r++) s += V[off + r] * w[r];
        this.hwork[i] = s;
      }
      for (let i = 0; i <= j; i++) {
        const s = this.hwork[i];
        h[i] += s;
        const off = i * n;
        for (let r = 0; r < n; r++) w[r] -= s * V[off + r];
      }
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += w[r] * w[r];
    return Math.sqrt(norm);
  }

  /** A fresh random unit vector orthogonal to V columns 0..j, into column j+1 (j = −1: the start). */
  private randomColumn(j: number): void {
    const { V, n, w } = this;
    for (let attempt = 0; attempt < 5; attempt++) {
      for (let r = 0; r < n; r++) w[r] = this.normal();
      let norm0 = 0;
      for (let r = 0; r < n; r++) norm0 += w[r] * w[r];
      norm0 = Math.sqrt(norm0);
      this.h.fill(0);
      const norm = j >= 0 ? this.orthogonalise(w, j, this.h) : norm0;
      if (norm > 1e-8 * norm0) {
        const off = (j + 1) * n;
        for (let r = 0; r < n; r++) V[off + r] = w[r] / norm;
        return;
      }
    }
    throw new Error('KrylovSchur: could not draw a vector outside the current basis');
  }

  private start(): void {
    const { V, n } = this;
    const s = this.options.start;
    if (s !== undefined) {
      let norm = 0;
      for (let r = 0; r < n; r++) norm += s[r] * s[r];
      norm = Math.sqrt(norm);
      if (norm > 0 && Number.isFinite(norm)) {
        for (let r = 0; r < n; r++) V[r] = s[r] / norm;
        return;
      }
    }
    this.randomColumn(-1);
  }

  /** Arnoldi expansion of the decomposition from size k to m. */
  private expand(): void {
    const { B, n, m, w, h } = this;
    const V = this.V;
    const columns = V === this.buffers[0] ? this.columns[0] : this.columns[1];
    for (let j = this.k; j < m; j++) {
      this.op(columns[j], w);
      this.products++;
      h.fill(0, 0, j + 1);
      let wnorm0 = 0;
      for (let r = 0; r < n; r++) wnorm0 += w[r] * w[r];
      wnorm0 = Math.sqrt(wnorm0);
      const beta = this.orthogonalise(w, j, h);
      for (let i = 0; i <= j; i++) B[i * m + j] = h[i];
      for (let i = j + 1; i <= m; i++) B[i * m + j] = 0;
      if (j + 1 >= n) {
        // The whole space is spanned: the decomposition is exact (zero residual).
        this.k = m;
        V.fill(0, (j + 1) * n, (j + 2) * n);
        return;
      }
      if (beta <= 1e-12 * Math.max(wnorm0, this.normEstimate, Number.MIN_VALUE)) {
        // Invariant subspace: continue from a fresh random direction with a zero coupling.
        B[(j + 1) * m + j] = 0;
        this.randomColumn(j);
      } else {
        B[(j + 1) * m + j] = beta;
        const off = (j + 1) * n;
        for (let r = 0; r < n; r++) V[off + r] = w[r] / beta;
      }
    }
    this.k = m;
  }

  /**
   * Run until the nev wanted Ritz values (best first by `which`, a complex pair counted twice) have
   * converged or `maxProducts` products have been used in total.
   */
  solve(nev: number, maxProducts = 100 * this.n): KrylovSchurResult {
    const { n, m, B, S, Z, bt } = this;
    nev = Math.min(nev, n);
    if (nev > m - 2 && m < n) throw new RangeError(`KrylovSchur: nev = ${nev} needs ncv ≥ nev + 2 (ncv = ${m})`);
    if (!this.started) {
      this.start();
      this.started = true;
    }
    for (;;) {
      if (this.k < m) this.expand();
      // Schur form of the projected matrix; the locked leading block is already triangular.
      if (!this.schur(200) && !this.schur(20000))
        throw new Error('KrylovSchur: QR iteration on the projected matrix did not converge');
      sortSchur(S, m, m, this.nlock, Z, this.which, this.swap);
      // Residual row in the Schur basis: btᵀ = bᵀ Z, b = row m of B.
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += B[m * m + i] * Z[i * m + j];
        bt[j] = s;
      }
      // Blocks, their keys and the scale of the test.
      const blocks = schurBlocks(S, m, this.which, this.ev);
      for (const b of blocks) this.normEstimate = Math.max(this.normEstimate, Math.hypot(b.re, b.im));
      const threshold = this.tol * this.normEstimate;
      // The wanted blocks: best nev by key over all blocks (locked ones included).
      const order = blocks.map((_, i) => i).sort((a, b) => blocks[b].key - blocks[a].key || a - b);
      const wanted: number[] = [];
      let count = 0;
      for (const i of order) {
        if (count >= nev) break;
        wanted.push(i);
        count += blocks[i].size;
      }
      let allConverged = true;
      for (const i of wanted) {
        const b = blocks[i];
        // A locked block's residual entries were zeroed; report the residual it was locked at.
        b.residual = b.start < this.nlock ? this.lockResidual[b.start] : this.ritzResidual(b.start, m);
        if (!(b.residual <= threshold)) allConverged = false;
      }
      const done = allConverged || this.products >= maxProducts;
      // Lock leading active blocks that are wanted and whose Schur residual entries are negligible.
      const wantedSet = new Set(wanted);
      for (let bi = 0; bi < blocks.length; bi++) {
        const b = blocks[bi];
        if (b.start < this.nlock) continue;
        if (b.start !== this.nlock || !wantedSet.has(bi)) break;
        let small = true;
        for (let c = b.start; c < b.start + b.size; c++) if (!(Math.abs(bt[c]) <= threshold)) small = false;
        if (!small) break;
        this.lockResidual[b.start] = this.ritzResidual(b.start, m);
        for (let c = b.start; c < b.start + b.size; c++) bt[c] = 0;
        this.nlock += b.size;
      }
      // Truncate to p columns: everything wanted, the locked part, and half of the rest as a buffer.
      let wantedEnd = this.nlock;
      for (const i of wanted) wantedEnd = Math.max(wantedEnd, blocks[i].start + blocks[i].size);
      let p = Math.min(m - 1, Math.max(wantedEnd + 1, Math.floor((m + wantedEnd) / 2)));
      // Never split a 2×2 block; p < m so that the next expansion adds at least one vector.
      if (p > 0 && S[p * m + p - 1] !== 0) p = p - 1 >= wantedEnd ? p - 1 : p + 1;
      if (m >= n || p >= m) p = m;
      const stalled = !done && p >= m && m < n;
      this.truncate(p);
      this.wantedEnd = wantedEnd;
      this.lastConverged = allConverged;
      if (done || stalled) {
        return {
          pairs: ritzPairs(
            wanted.map((i) => blocks[i]),
            S,
            m,
            p,
            this.V,
            n,
            this.which,
            this.tol * this.normEstimate,
            this.yr,
            this.yi,
          ),
          status: allConverged ? 'converged' : stalled ? 'stalled' : 'max-products',
          products: this.products,
          restarts: this.restarts,
          normEstimate: this.normEstimate,
        };
      }
      if (m >= n) throw new Error('KrylovSchur: full space spanned but not converged');
      this.restarts++;
    }
  }

  /**
   * Deflated restart from a fresh random vector: after a converged solve(), lock the wanted part (an
   * invariant subspace to within the tolerance) and continue the Krylov sequence from a random vector
   * orthogonal to it. A single start vector sees one direction per eigenspace (further copies of a
   * multiple eigenvalue enter only through rounding), so each such round can add one more copy of
   * every multiple wanted eigenvalue. Call solve() with a larger nev afterwards. Dropping the residual
   * coupling of the kept Schur vectors is a backward error of the size of their Ritz residuals (≤ the
   * tolerance, for nearly normal blocks). A no-op unless the last solve() converged and there is room.
   */
  restartFresh(): void {
    const { m, B } = this;
    const p = this.wantedEnd;
    if (!this.lastConverged || p === 0 || p >= Math.min(m, this.n) - 1) return;
    for (let j = this.nlock; j < p;) {
      const size = blockSize(this.S, m, p, j);
      this.lockResidual[j] = this.ritzResidual(j, m);
      j += size;
    }
    for (let i = p; i <= m; i++) for (let j = 0; j < m; j++) B[i * m + j] = 0;
    for (let i = 0; i < p; i++) for (let j = p; j < m; j++) B[i * m + j] = 0;
    this.nlock = p;
    this.k = p;
    this.randomColumn(p - 1);
  }

  /** Real Schur form S = Zᵀ B_m Z of the projected matrix (the locked leading block is already triangular). */
  private schur(maxIterations: number): boolean {
    const { m, B, S, Z } = this;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) S[i * m + j] = B[i * m + j];
    Z.fill(0);
    for (let i = 0; i < m; i++) Z[i * m + i] = 1;
    hessenbergReduce(S, m, m, this.nlock, Z, this.hwork);
    return francisSchur(S, m, m, this.nlock, Z, maxIterations);
  }

  /** |btᵀ y| for the unit eigenvector y of the Schur block at j (into yr, yi). */
  private ritzResidual(j: number, m: number): number {
    schurEigenvector(this.S, m, m, j, this.yr, this.yi);
    let rr = 0;
    let ri = 0;
    for (let i = 0; i < m; i++) {
      rr += this.bt[i] * this.yr[i];
      ri += this.bt[i] * this.yi[i];
    }
    return Math.hypot(rr, ri);
  }

  /** V_p ← V_m Z[:, :p], v_p ← v_m, B ← [S_p; btᵀ_p]. */
  private truncate(p: number): void {
    const { n, m, Z, S, B, bt } = this;
    const V = this.V;
    const out = this.Vnext;
    out.fill(0, 0, p * n);
    for (let j = 0; j < p; j++) {
      const o = j * n;
      for (let i = 0; i < m; i++) {
        const z = Z[i * m + j];
        if (z === 0) continue;
        const off = i * n;
        for (let r = 0; r < n; r++) out[o + r] += z * V[off + r];
      }
    }
    out.set(V.subarray(m * n, (m + 1) * n), p * n);
    this.Vnext = V;
    this.V = out;
    B.fill(0);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) B[i * m + j] = S[i * m + j];
    for (let j = 0; j < p; j++) B[p * m + j] = bt[j];
    // Keep the truncated Schur form in S (for Ritz vectors after a final truncation).
    this.k = p;
  }
}

/** One-shot convenience: the nev eigenvalues of op (size n) that are best by `which`. */
export function krylovSchur(
  op: MatVec,
  n: number,
  nev: number,
  options: KrylovSchurOptions & { maxProducts?: number } = {},
): KrylovSchurResult {
  const solver = new KrylovSchur(op, n, { ...options, maxNev: Math.max(nev, options.maxNev ?? 0) });
  return solver.solve(nev, options.maxProducts);
}
