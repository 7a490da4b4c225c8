import { describe, expect, it } from 'vitest';
import { NormalSampler } from '../../src/random/normal.js';

describe('NormalSampler (seeded ziggurat on Alea)', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new NormalSampler(42).fill(new Float64Array(1000));
    const b = new NormalSampler(42).fill(new Float64Array(1000));
    const c = new NormalSampler(43).fill(new Float64Array(1000));
    expect(a).toEqual(b);
    expect(a.some((v, i) => v !== c[i])).toBe(true);
    // next() and fill() read the same stream.
    const s = new NormalSampler(42);
    expect([s.next(), s.next()]).toEqual([a[0], a[1]]);
  });

  it('fills Float32Array with the float32 rounding of the same draws, with mean and std', () => {
    const f64 = new NormalSampler(7).fill(new Float64Array(100), 1, 2);
    const f32 = new NormalSampler(7).fill(new Float32Array(100), 1, 2);
    expect(Array.from(f32)).toEqual(Array.from(f64, Math.fround));
  });

  it('has standard-normal moments and tails (N = 2e6, each within 5 standard errors)', () => {
    const N = 2_000_000;
    const x = new NormalSampler(1).fill(new Float64Array(N));
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    let beyond3 = 0;
    let beyondTail = 0;
    for (const v of x) {
      m1 += v;
      m2 += v * v;
      m4 += v ** 4;
      if (Math.abs(v) > 3) beyond3++;
      // Beyond the ziggurat base edge R = 3.4426: only the exact tail method produces these.
      if (Math.abs(v) > 3.6) beyondTail++;
    }
    // Standard errors: mean 1/√N, E[x²] √(2/N), E[x⁴] √(96/N) (Var x⁴ = 105 − 9), proportions √(p(1−p)/N).
    expect(Math.abs(m1 / N)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(m2 / N - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(m4 / N - 3)).toBeLessThan(5 * Math.sqrt(96 / N));
    // Two-sided tail probabilities 2Φ(−z) = erfc(z/√2), evaluated with Python's math.erfc.
    const p3 = 0.0026997960632601913;
    const p36 = 0.000318217180315068;
    expect(Math.abs(beyond3 / N - p3)).toBeLessThan(5 * Math.sqrt(p3 / N));
    expect(Math.abs(beyondTail / N - p36)).toBeLessThan(5 * Math.sqrt(p36 / N));
  });
});
