import { readFileSync } from 'node:fs';
import { EigenvalueDecomposition, Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { NormalSampler } from '../../src/random/normal.js';
import { francisSchur, hessenbergReduce } from '../../src/theory/linalg/krylov/hessenberg-qr.js';
import { KrylovSchur, krylovSchur } from '../../src/theory/linalg/krylov/krylov-schur.js';
import { sortSchur } from '../../src/theory/linalg/krylov/schur-reorder.js';
import type { MatVec } from '../../src/theory/linalg/krylov/types.js';

/** A = X D X⁻¹ (n × n, row-major) with X = I + 0.3·G/√n (well conditioned) and D block diagonal. */
function withSpectrum(n: number, top: [number, number][], seed: number, rest: () => number): Float64Array {
  const s = new NormalSampler(seed);
  const D = Matrix.zeros(n, n);
  let i = 0;
  for (const [re, im] of top) {
    D.set(i, i, re);
    if (im === 0) {
      i++;
      continue;
    }
    D.set(i + 1, i + 1, re);
    D.set(i, i + 1, im);
    D.set(i + 1, i, -im);
    i += 2;
  }
  for (; i < n; i++) D.set(i, i, rest());
  const X = Matrix.eye(n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) X.set(r, c, X.get(r, c) + (0.3 * s.next()) / Math.sqrt(n));
  return Float64Array.from(X.mmul(D).mmul(inverse(X)).to1DArray());
}

function matVec(A: Float64Array, n: number): MatVec {
  return (v, out) => {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += A[r * n + c] * v[c];
      out[r] = s;
    }
  };
}

/** Dense eigenvalues (ml-matrix) sorted by decreasing real part. */
function denseSpectrum(A: Float64Array, n: number): { re: number; im: number }[] {
  const e = new EigenvalueDecomposition(Matrix.from1DArray(n, n, Array.from(A)));
  return e.realEigenvalues
    .map((re, i) => ({ re, im: e.imaginaryEigenvalues[i] }))
    .sort((a, b) => b.re - a.re || b.im - a.im);
}

/**
 * ‖A y − λ y‖ / ‖y‖ for the Ritz vector of λ = re + i·im: y = vector + i·imag for im > 0, and its
 * conjugate (the same arrays) for the partner with im < 0.
 */
function trueResidual(
  op: MatVec,
  n: number,
  re: number,
  im: number,
  vector: Float64Array,
  imag: Float64Array | null,
): number {
  const ay = new Float64Array(n);
  const az = new Float64Array(n);
  op(vector, ay);
  const z = imag === null ? new Float64Array(n) : im < 0 ? imag.map((v) => -v) : imag;
  op(z, az);
  let r = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    r += (ay[i] - re * vector[i] + im * z[i]) ** 2 + (az[i] - im * vector[i] - re * z[i]) ** 2;
    norm += vector[i] ** 2 + z[i] ** 2;
  }
  return Math.sqrt(r / norm);
}

describe('small dense real Schur form', () => {
  it('A = Z T Zᵀ with Z orthogonal, T quasi-triangular and its blocks sorted by real part', () => {
    const n = 30;
    const s = new NormalSampler(4);
    const A = s.fill(new Float64Array(n * n));
    const T = Float64Array.from(A);
    const Z = new Float64Array(n * n);
    for (let i = 0; i < n; i++) Z[i * n + i] = 1;
    hessenbergReduce(T, n, n, 0, Z, new Float64Array(n));
    expect(francisSchur(T, n, n, 0, Z)).toBe(true);
    sortSchur(T, n, n, 0, Z, 'largest-real');
    const Zm = Matrix.from1DArray(n, n, Array.from(Z));
    const Tm = Matrix.from1DArray(n, n, Array.from(T));
    expect(
      Zm.mmul(Tm)
        .mmul(Zm.transpose())
        .sub(Matrix.from1DArray(n, n, Array.from(A)))
        .norm('max'),
    ).toBeLessThan(1e-12);
    expect(Zm.transpose().mmul(Zm).sub(Matrix.eye(n)).norm('max')).toBeLessThan(1e-13);
    const reals: number[] = [];
    const dense = denseSpectrum(A, n);
    for (let j = 0; j < n;) {
      for (let i = j + 2; i < n; i++) expect(T[i * n + j]).toBe(0);
      const two = j + 1 < n && T[(j + 1) * n + j] !== 0;
      if (two) {
        // A 2×2 block holds a complex pair, and never follows another one without a zero between.
        const [a, b, c, d] = [T[j * n + j], T[j * n + j + 1], T[(j + 1) * n + j], T[(j + 1) * n + j + 1]];
        expect((a - d) ** 2 / 4 + b * c).toBeLessThan(0);
        if (j + 2 < n) expect(T[(j + 2) * n + j + 1]).toBe(0);
        reals.push((a + d) / 2, (a + d) / 2);
        j += 2;
      } else {
        reals.push(T[j * n + j]);
        j += 1;
      }
    }
    for (let i = 1; i < n; i++) expect(reals[i]).toBeLessThanOrEqual(reals[i - 1] + 1e-12);
    for (let i = 0; i < n; i++) expect(Math.abs(reals[i] - dense[i].re)).toBeLessThan(1e-11);
  });

  it('converges on a Krylov projection with nearly defective pairs (plain hqr2 shifts cycle on it)', () => {
    const { n, a } = JSON.parse(
      readFileSync(new URL('./fixtures/krylov-projected-40.json', import.meta.url), 'utf8'),
    ) as { n: number; a: number[] };
    const T = Float64Array.from(a);
    const Z = new Float64Array(n * n);
    for (let i = 0; i < n; i++) Z[i * n + i] = 1;
    hessenbergReduce(T, n, n, 0, Z, new Float64Array(n));
    expect(francisSchur(T, n, n, 0, Z, 200)).toBe(true);
    const Zm = Matrix.from1DArray(n, n, Array.from(Z));
    const err = Zm.mmul(Matrix.from1DArray(n, n, Array.from(T)))
      .mmul(Zm.transpose())
      .sub(Matrix.from1DArray(n, n, a))
      .norm('max');
    expect(err).toBeLessThan(1e-13);
  });
});

describe('Krylov–Schur: rightmost eigenvalues of nonsymmetric matrices', () => {
  const n = 200;
  // The stiff shape of the Jacobians: wanted eigenvalues within 1e-2 of 0, the rest spread to −9.
  const stiff = (seed: number) => {
    const s = new NormalSampler(seed);
    return () => -0.05 - 9 * Math.min(1, Math.abs(s.next()) / 2.5) ** 2;
  };
  const top: [number, number][] = [
    [0.01, 0],
    [0.0098, 0.003],
    [0.005, 0],
    [0.0051, 0],
    [0.0052, 0],
    [-0.001, 0],
    [-0.002, 0.5],
  ];
  const A = withSpectrum(n, top, 1, stiff(2));
  const op = matVec(A, n);
  const dense = denseSpectrum(A, n);

  it('agrees with the dense eigenvalues (a complex pair, a cluster) to 1e-9, with small true residuals', () => {
    const result = krylovSchur(op, n, 9, { tol: 1e-10, seed: 3, maxNev: 10 });
    expect(result.status).toBe('converged');
    expect(result.pairs.length).toBe(9);
    for (let i = 0; i < 9; i++) {
      expect(Math.abs(result.pairs[i].re - dense[i].re)).toBeLessThan(1e-9);
      expect(Math.abs(Math.abs(result.pairs[i].im) - Math.abs(dense[i].im))).toBeLessThan(1e-9);
    }
    // The prescribed values themselves (the similarity is exact to rounding).
    expect(result.pairs[0].re).toBeCloseTo(0.01, 10);
    expect(result.pairs[1].im).toBeCloseTo(0.003, 10);
    expect(result.pairs[2].im).toBeCloseTo(-0.003, 10);
    for (const p of result.pairs) {
      expect(p.converged).toBe(true);
      expect(trueResidual(op, n, p.re, p.im, p.vector, p.imag)).toBeLessThan(1e-10 * result.normEstimate * 2);
    }
    // Far fewer products than the dimension: the point of a Krylov method.
    expect(result.products).toBeLessThan(n * 5);
  });

  it('is deterministic for a seed, and the seed does not change the answer', () => {
    const a = krylovSchur(op, n, 6, { seed: 7 });
    const b = krylovSchur(op, n, 6, { seed: 7 });
    const c = krylovSchur(op, n, 6, { seed: 8 });
    expect(b.pairs.map((p) => p.re)).toEqual(a.pairs.map((p) => p.re));
    expect(b.products).toBe(a.products);
    for (let i = 0; i < 6; i++) expect(Math.abs(c.pairs[i].re - a.pairs[i].re)).toBeLessThan(1e-9);
  });

  it('continues the same decomposition when asked for more eigenvalues', () => {
    const solver = new KrylovSchur(op, n, { maxNev: 12, seed: 5 });
    const first = solver.solve(3);
    const more = solver.solve(9);
    expect(first.pairs.length).toBe(3);
    expect(more.products).toBeGreaterThanOrEqual(first.products);
    for (let i = 0; i < 9; i++) expect(Math.abs(more.pairs[i].re - dense[i].re)).toBeLessThan(1e-9);
  });

  it('largest-magnitude finds the stiff end', () => {
    const result = krylovSchur(op, n, 2, { which: 'largest-magnitude', tol: 1e-10 });
    const byModulus = [...dense].sort((x, y) => Math.hypot(y.re, y.im) - Math.hypot(x.re, x.im));
    expect(Math.abs(result.pairs[0].re - byModulus[0].re)).toBeLessThan(1e-8);
    expect(result.pairs[0].re).toBeLessThan(-5);
  });

  it('resolves an exactly triple eigenvalue with deflated restarts from fresh vectors', () => {
    const B = withSpectrum(
      120,
      [
        [0.02, 0],
        [0.01, 0],
        [0.01, 0],
        [0.01, 0],
      ],
      9,
      stiff(10),
    );
    const opB = matVec(B, 120);
    const solver = new KrylovSchur(opB, 120, { maxNev: 10, tol: 1e-10, seed: 2 });
    const copies = (pairs: { re: number }[]) => pairs.filter((p) => Math.abs(p.re - 0.01) < 1e-8).length;
    let result = solver.solve(4);
    expect(result.pairs[0].re).toBeCloseTo(0.02, 10);
    const first = copies(result.pairs);
    expect(first).toBeGreaterThanOrEqual(1);
    for (let round = 0; round < 3 && copies(result.pairs) < 3; round++) {
      solver.restartFresh();
      result = solver.solve(result.pairs.length + 2);
    }
    expect(copies(result.pairs)).toBe(3);
  });

  it('survives an invariant start vector (Arnoldi breakdown) and small n (the whole space)', () => {
    const m = 60;
    const diag = Float64Array.from({ length: m }, (_, i) => -i / 10);
    const op: MatVec = (v, out) => {
      for (let i = 0; i < m; i++) out[i] = diag[i] * v[i];
    };
    const start = new Float64Array(m);
    start[7] = 1;
    const r = krylovSchur(op, m, 3, { start, tol: 1e-12 });
    expect(r.pairs.map((p) => p.re)).toEqual([
      expect.closeTo(0, 12),
      expect.closeTo(-0.1, 12),
      expect.closeTo(-0.2, 12),
    ]);
    const small = withSpectrum(10, [[0.3, 0.2]], 11, stiff(12));
    const exact = denseSpectrum(small, 10);
    const rs = krylovSchur(matVec(small, 10), 10, 4, { ncv: 30 });
    for (let i = 0; i < 4; i++) expect(Math.abs(rs.pairs[i].re - exact[i].re)).toBeLessThan(1e-12);
  });
});
