import { describe, expect, it } from 'vitest';
import { ANSATZ_SCALAR_NAMES, paperAnsatz } from '../../src/landscape/ansatz.js';
import { solveFamily } from '../../src/landscape/families.js';
import { embedWithZeroUnit, perturbationStudy } from '../../src/landscape/perturb.js';
import { NormalSampler } from '../../src/random/normal.js';
import { identity } from '../../src/model/overlaps.js';
import { maxAbs, rhsOf, teacherStudentFlow } from './helpers.js';

describe('block-symmetric k1 ansatz (docs/theory.md §6, paper Result 2)', () => {
  it('has the paper scalars: 11 for 2 <= k1 <= K-2, no y2/q5 at k1 = 1, no A block at k1 = K', () => {
    const layout = teacherStudentFlow('gd', 6, 6).layout;
    expect(paperAnsatz(layout, 3).names.slice().sort()).toEqual([
      'q1',
      'q2',
      'q3',
      'q4',
      'q5',
      'x1',
      'x2',
      'y1',
      'y2',
      'z1',
      'z2',
    ]);
    expect(paperAnsatz(layout, 1).names).not.toContain('y2');
    expect(paperAnsatz(layout, 1).names).not.toContain('q5');
    expect(paperAnsatz(layout, 0).names.slice().sort()).toEqual(['q1', 'q2', 'x1', 'y1']);
    expect(paperAnsatz(layout, 6).names.slice().sort()).toEqual(['q4', 'q5', 'x2', 'y2']);
    const extra = paperAnsatz(teacherStudentFlow('gd', 7, 6).layout, 2);
    expect(extra.size).toBe(16);
    for (const name of extra.names) expect(ANSATZ_SCALAR_NAMES).toContain(name);
  });

  it.each([
    ['gd', 5, 5, 2],
    ['gd', 6, 5, 2],
    ['gd2l', 5, 5, 1],
    ['ngd', 5, 5, 3],
  ] as const)('the subspace is invariant: %s K=%i M=%i k1=%i rhs is block-constant', (name, K, M, k1) => {
    const flow = teacherStudentFlow(name, K, M);
    const ansatz = paperAnsatz(flow.layout, k1);
    // Realisable random block values: R from the scalars, Q = RRᵀ + I (Ω positive definite).
    const sampler = new NormalSampler(K * 10 + k1);
    const s = Float64Array.from(ansatz.names, (n) =>
      n.startsWith('a_') ? 1 + 0.3 * sampler.next() : 0.4 * sampler.next(),
    );
    const o = flow.unpack(ansatz.lift(s));
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        let q = i === j ? 1 : 0;
        for (let m = 0; m < M; m++) q += o.R[i * M + m] * o.R[j * M + m];
        o.Q[i * K + j] = q;
      }
    }
    if (name === 'ngd') for (let k = 0; k < K; k++) o.Q[k * K + k] = 2;
    // Snap the round-off of RRᵀ back onto the subspace so that the input is exactly block-constant.
    const x = ansatz.lift(ansatz.project(flow.pack(o)));
    expect(ansatz.defect(x)).toBe(0);
    const dx = rhsOf(flow, x);
    expect(maxAbs(dx)).toBeGreaterThan(1e-3);
    // Entries of one block are sums of the same terms in different orders: equal to round-off.
    expect(ansatz.defect(dx)).toBeLessThan(1e-13);
  });
});

describe('k1 families at K = M = 8 (gd)', () => {
  const flow = teacherStudentFlow('gd', 8, 8);
  const families = Array.from({ length: 9 }, (_, k1) => solveFamily(flow, k1));

  it('every ansatz solution is a fixed point of the full system (residual < 1e-10)', () => {
    for (const solutions of families) {
      for (const s of solutions) {
        expect(s.residual).toBeLessThan(1e-10);
        expect(maxAbs(rhsOf(flow, s.x))).toBeLessThan(1e-10);
      }
    }
    expect(families.slice(1).flat().length).toBeGreaterThan(8);
  });

  it('k1 = 0 is the global minimum Q = R = I, loss 0, without a Newton solve', () => {
    expect(families[0]).toHaveLength(1);
    const [global] = families[0];
    // The loss of Q = R = I is a sum of ~(2K)² O(1) terms that cancel exactly: round-off only.
    expect(Math.abs(global.loss)).toBeLessThan(1e-12);
    expect(global.stability.verdict).toBe('global-minimum');
    const o = flow.unpack(global.x);
    expect(Array.from(o.Q)).toEqual(Array.from(identity(8)));
    expect(Array.from(o.R)).toEqual(Array.from(identity(8)));
  });

  it('the k1 = 1 family is a stable minimum with realisable, strictly negative spectrum', () => {
    const stable = families[1].filter((s) => s.stability.verdict === 'stable');
    expect(stable).toHaveLength(1);
    const [k1] = stable;
    expect(k1.stability.nUnstable).toBe(0);
    expect(k1.stability.maxRealEigenvalue).toBeLessThan(-1e-3);
    // Students in the teacher span: Ω has rank M, a K-dimensional null space (§6 "Realisability").
    expect(k1.stability.gramNullity).toBe(8);
    // One unit anti-aligned, the others aligned (paper Fig. 7), and a non-zero loss.
    expect(k1.scalars.x2).toBeLessThan(-0.3);
    expect(k1.scalars.x1).toBeGreaterThan(0.8);
    expect(k1.loss).toBeGreaterThan(1e-3);
  });
});

describe('weight-space perturbation protocol (paper App. D)', () => {
  const flow8 = teacherStudentFlow('gd', 8, 8);
  const [k1] = solveFamily(flow8, 1).filter((s) => s.stability.verdict === 'stable');
  const point = flow8.unpack(k1.x);
  const options = { sigmas: [0.05], d: 60, tRelax: 300, repetitions: 3, seed: 1 };

  it('at K = M the k1 = 1 point is an attractor: the flow returns', () => {
    const [row] = perturbationStudy(flow8, point, options);
    // Relaxation rate >= |λ_max| ≈ 0.02 over t = 300: the distance shrinks by far more than 10x.
    expect(row.distanceMean).toBeLessThan(row.initialDistanceMean / 10);
    expect(Math.abs(row.lossGapMean)).toBeLessThan(1e-6);
  });

  it('at K = M + 1 the embedded k1 = 1 point (extra zero unit) has an unstable direction: the flow escapes', () => {
    const flow9 = teacherStudentFlow('gd', 9, 8);
    const [row] = perturbationStudy(flow9, embedWithZeroUnit(point), options);
    // Escape lowers the loss by an O(1) fraction of L* ≈ 0.02 (it reaches the global minimum here).
    expect(row.lossGapMean).toBeLessThan(-0.5 * k1.loss);
    expect(row.distanceMean).toBeGreaterThan(10 * row.initialDistanceMean);
  });
});
