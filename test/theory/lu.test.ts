import { describe, expect, it } from 'vitest';
import { NormalSampler } from '../../src/random/normal.js';
import { LuFactorisation } from '../../src/theory/linalg/lu.js';

function residual(A: Float64Array, x: Float64Array, b: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
    m = Math.max(m, Math.abs(s - b[i]));
  }
  return m;
}

describe('LU with partial pivoting (typed arrays, in place)', () => {
  it('solves random systems to round-off, reusing one factorisation for several right-hand sides', () => {
    const sampler = new NormalSampler(7);
    for (const n of [1, 2, 7, 60]) {
      const A = Float64Array.from({ length: n * n }, () => sampler.next());
      const lu = new LuFactorisation(n);
      lu.a.set(A);
      expect(lu.factor()).toBe(true);
      for (let r = 0; r < 3; r++) {
        const b = Float64Array.from({ length: n }, () => sampler.next());
        const x = new Float64Array(n);
        lu.solve(b, x);
        // Backward stable: |Ax − b| ~ n ε |A| |x|; Gaussian matrices are well enough conditioned here.
        expect(residual(A, x, b, n)).toBeLessThan(1e-11);
      }
    }
  });

  it('pivots past a zero leading entry and solves in place (b and x the same array)', () => {
    const lu = new LuFactorisation(2);
    lu.a.set([0, 1, 1, 0]);
    expect(lu.factor()).toBe(true);
    const b = Float64Array.from([2, 3]);
    lu.solve(b, b);
    expect(Array.from(b)).toEqual([3, 2]);
  });

  it('reports singular and non-finite matrices', () => {
    const lu = new LuFactorisation(3);
    lu.a.set([1, 2, 3, 2, 4, 6, 1, 0, 1]);
    expect(lu.factor()).toBe(false);
    lu.a.set([1, 0, 0, 0, Number.NaN, 0, 0, 0, 1]);
    expect(lu.factor()).toBe(false);
    lu.a.fill(0);
    expect(lu.factor()).toBe(false);
  });
});
