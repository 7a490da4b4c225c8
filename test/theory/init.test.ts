import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { NormalSampler } from '../../src/random/normal.js';
import { orthonormalTeacher, overlapsFromWeights, randomOverlaps } from '../../src/theory/init.js';
import { identity } from '../../src/model/overlaps.js';
import { validateOverlaps } from '../../src/theory/overlaps.js';

describe('random initial overlaps (finite-d weights)', () => {
  it('are the overlaps of N(0,1) students (drawn first) and an orthonormal teacher (drawn next), T = I exactly', () => {
    const [K, M, d, seed] = [3, 2, 6, 9];
    const o = randomOverlaps(K, M, d, seed);
    const s = new NormalSampler(seed);
    const W = s.fill(new Float64Array(K * d));
    const Wstar = orthonormalTeacher(M, d, s);
    const direct = overlapsFromWeights(W, Wstar, K, M, d);
    expect(o.Q).toEqual(direct.Q);
    expect(o.R).toEqual(direct.R);
    expect(o.T).toEqual(identity(M));
    // Orthonormalised in float64: the computed T differs from I only by round-off.
    for (let i = 0; i < M * M; i++) expect(Math.abs(direct.T[i] - o.T[i])).toBeLessThan(1e-14);
    expect(Array.from(o.a)).toEqual([1, 1, 1]);
    expect(Array.from(o.v)).toEqual([1, 1]);
    expect(() => validateOverlaps(o)).not.toThrow();
    expect(randomOverlaps(K, M, d, seed)).toEqual(o);
    expect(randomOverlaps(K, M, d, seed + 1).Q).not.toEqual(o.Q);
  });

  it('at d = K the joint Gram matrix is singular but valid, and off the symmetric manifold Q = I, R = 0', () => {
    const o = randomOverlaps(4, 4, 4, 1);
    expect(() => validateOverlaps(o)).not.toThrow();
    expect(Math.max(...Array.from(o.R, Math.abs))).toBeGreaterThan(0.05);
  });

  it('M > d (and K > d for Stiefel students) is an InputError naming --init-d', () => {
    expect(() => randomOverlaps(2, 3, 2, 1)).toThrow(InputError);
    expect(() => randomOverlaps(2, 3, 2, 1)).toThrow(/--init-d/);
    expect(() => randomOverlaps(3, 2, 2, 1, '--init-d', 'stiefel')).toThrow(/--init-d/);
  });

  it('sphere students have Q_kk = 1 and Stiefel students Q = I, from the same draws', () => {
    const free = randomOverlaps(3, 2, 5, 4);
    const sphere = randomOverlaps(3, 2, 5, 4, '--init-d', 'sphere');
    const stiefel = randomOverlaps(3, 2, 5, 4, '--init-d', 'stiefel');
    expect([sphere.Q[0], sphere.Q[4], sphere.Q[8]]).toEqual([1, 1, 1]);
    expect(stiefel.Q).toEqual(identity(3));
    // Normalising rows rescales Q_kl by 1/√(Q_kk Q_ll) and R_km by 1/√Q_kk (same weights, same teacher).
    expect(Math.abs(sphere.Q[1] - free.Q[1] / Math.sqrt(free.Q[0] * free.Q[4]))).toBeLessThan(1e-14);
    expect(Math.abs(sphere.R[0] - free.R[0] / Math.sqrt(free.Q[0]))).toBeLessThan(1e-14);
    // Stiefel students: the first row is the normalised first row (Gram–Schmidt), the rest are rotated.
    expect(Math.abs(stiefel.R[0] - sphere.R[0])).toBeLessThan(1e-14);
    expect(() => validateOverlaps(stiefel)).not.toThrow();
  });
});
