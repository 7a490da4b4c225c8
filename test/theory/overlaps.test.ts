import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { relu } from '../../src/theory/activations/relu.js';
import { leakyRelu } from '../../src/theory/activations/leaky-relu.js';
import { erf } from '../../src/theory/activations/erf.js';
import { populationLoss } from '../../src/theory/loss.js';
import { identity, overlapsToJSON, packOverlaps, unpackOverlaps } from '../../src/model/overlaps.js';
import { overlapsFromJSON } from '../../src/theory/overlaps.js';
import { StateLayout } from '../../src/model/state-layout.js';

describe('overlaps JSON and validation', () => {
  it('fills T = I and a = v = 1 by default and round-trips', () => {
    const o = overlapsFromJSON({
      Q: [
        [1, 0.2],
        [0.2, 1],
      ],
      R: [[0.1], [0.3]],
    });
    expect(o.K).toBe(2);
    expect(o.M).toBe(1);
    expect(Array.from(o.T)).toEqual([1]);
    expect(Array.from(o.a)).toEqual([1, 1]);
    const again = overlapsFromJSON(overlapsToJSON(o));
    expect(Array.from(again.R)).toEqual(Array.from(o.R));
  });

  it.each([
    [
      {
        Q: [
          [1, 0.2],
          [0.3, 1],
        ],
        R: [[0], [0]],
      },
      'overlaps.Q[0][1]',
      'not symmetric',
    ],
    [
      {
        Q: [
          [1, 0],
          [0, 1],
        ],
        R: [[2], [0]],
      },
      'overlaps',
      'positive semidefinite',
    ],
    [
      {
        Q: [
          [1, 0],
          [0, 1],
        ],
        R: [[0], [0]],
        X: 1,
      },
      'overlaps.X',
      'unknown key',
    ],
    [
      {
        Q: [
          [1, 0],
          [0, 1],
        ],
        R: [[0], [0, 1]],
      },
      'overlaps.R[1]',
      '1 numbers',
    ],
    [
      {
        Q: [
          [1, 0],
          [0, 1],
        ],
        R: [[0], [null]],
      },
      'overlaps.R[1][0]',
      'finite',
    ],
    [
      {
        Q: [
          [1, 0],
          [0, 1],
        ],
        R: [[0], [0]],
        a: [1],
      },
      'overlaps.a',
      '2 numbers',
    ],
    [[1, 2], 'overlaps', 'JSON object'],
  ])('rejects %j at %s', (json, where, message) => {
    let caught: unknown;
    try {
      overlapsFromJSON(json);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).where.startsWith(where)).toBe(true);
    expect((caught as InputError).message).toContain(message);
  });

  it('accepts a rank-deficient but PSD Gram matrix (students in the teacher span, d = K)', () => {
    // Q = R Rᵀ with T = I: Ω has rank M, legitimate (docs/theory.md §7.6).
    const R = [
      [0.6, 0.8],
      [-1, 0],
    ];
    const Q = [
      [1, -0.6],
      [-0.6, 1],
    ];
    expect(() => overlapsFromJSON({ Q, R })).not.toThrow();
  });

  it('pack and unpack are inverse on the §6 layout', () => {
    const o = overlapsFromJSON({
      Q: [
        [1.5, 0.2, 0.1],
        [0.2, 1, 0],
        [0.1, 0, 2],
      ],
      R: [
        [0.1, 0.2],
        [0.3, 0],
        [0, -0.4],
      ],
      a: [1, 2, 3],
    });
    const layout = new StateLayout(3, 2, true);
    const x = packOverlaps(o, layout);
    expect(x.length).toBe(6 + 6 + 3);
    expect(layout.columnNames().slice(0, 3)).toEqual(['Q_1_1', 'Q_1_2', 'Q_1_3']);
    const back = unpackOverlaps(x, layout, o);
    expect(Array.from(back.Q)).toEqual(Array.from(o.Q));
    expect(Array.from(back.R)).toEqual(Array.from(o.R));
    expect(Array.from(back.a)).toEqual([1, 2, 3]);
  });
});

describe('population loss (docs/theory.md §2)', () => {
  const perfect = (K: number) => ({
    K,
    M: K,
    Q: identity(K),
    R: identity(K),
    T: identity(K),
    a: new Float64Array(K).fill(1),
    v: new Float64Array(K).fill(1),
  });

  it.each([relu, leakyRelu(0.2), erf])('vanishes when the student equals the teacher ($name)', (act) => {
    expect(Math.abs(populationLoss(act, perfect(4)))).toBeLessThan(1e-14);
  });

  it('leaky ReLU with slope 0 is ReLU', () => {
    const o = overlapsFromJSON({
      Q: [
        [1.2, 0.3],
        [0.3, 0.8],
      ],
      R: [
        [0.5, -0.2],
        [0.1, 0.7],
      ],
    });
    expect(populationLoss(leakyRelu(0), o)).toBeCloseTo(populationLoss(relu, o), 15);
  });

  it('ReLU loss of an orthogonal student is ½ Σ over the uncorrelated pairs', () => {
    // Q = T = I, R = 0: L = ½[K/2 + M/2 + (K²−K + M²−M)/(2π)] − K M/(2π) from I2(1,0,1) = 1/(2π), I2(1,1,1) = 1/2.
    const K = 3;
    const o = { ...perfect(K), R: new Float64Array(K * K) };
    const expected = 0.5 * (K / 2 + K / 2 + (2 * (K * K - K)) / (2 * Math.PI)) - (K * K) / (2 * Math.PI);
    expect(populationLoss(relu, o)).toBeCloseTo(expected, 14);
  });
});
