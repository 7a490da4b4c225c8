import { describe, expect, it } from 'vitest';
import { resolveTrainConfig, trainEnsemble } from '../../src/network/index.js';
import type { ActivationDefinition } from '../../src/theory/activations/activation.js';
import { activationNames, makeActivation, registerActivation } from '../../src/theory/activations/index.js';
import { makeFlow } from '../../src/theory/config.js';
import type { Flow } from '../../src/theory/flow.js';
import { type FlowDefinition, flowNames, registerFlow } from '../../src/theory/flows/index.js';
import { type OdeConfig, runOde } from '../../src/theory/ode-run.js';
import { solve } from '../../src/theory/solvers/solve.js';

/**
 * Issue 12: adding an activation or a flow is one definition plus one registry line, and everything
 * downstream (Flow, solvers, the network engine) picks it up by name. These toys are registered from
 * the test exactly as a new file would be registered in the registry.
 */

/** g(x) = x: every Gaussian integral is a covariance entry (I2 = c12, I3 = c23, J2 = 1, D2 = 0, I4 = c_wz). */
const linear: ActivationDefinition = {
  name: 'toy-linear',
  description: 'g(x) = x',
  parameters: [],
  create: () => ({
    name: 'toy-linear',
    g: (x) => x,
    dg: () => 1,
    I2: (_c11, c12) => c12,
    I3: (_c11, _c12, _c13, c23) => c23,
    J2: () => 1,
    D2: () => 0,
    I4: (C) => C[2 * 4 + 3],
    i4Kind: 'closed',
    device: { g: (ops, lambda) => ops.mul(lambda, 1), dg: (ops, lambda) => ops.step(lambda, 1) },
  }),
};

/** Gradient flow with weight decay λ: dW/dt = −η d∇L − λW, so dQ += −2λQ and dR += −λR (§4.1 plus decay). */
const DECAY = 0.3;
const decayed: FlowDefinition = {
  name: 'toy-gd-decay',
  description: 'gd with weight decay',
  constraint: 'none',
  trainsReadouts: false,
  gradientFlow: true,
  stochastic: false,
  network: { gradient: 'population', constraint: 'none', layers: 'first' },
  extraTerm: (flow: Flow) => (dx) => {
    const L = flow.layout;
    for (let k = 0; k < L.K; k++) {
      for (let l = k; l < L.K; l++) dx[L.q(k, l)] -= 2 * DECAY * flow.omega[k * flow.n + l];
      for (let m = 0; m < L.M; m++) dx[L.r(k, m)] -= DECAY * flow.omega[k * flow.n + L.K + m];
    }
  },
};

registerActivation(linear);
registerFlow(decayed);

describe('registering a toy activation and a toy flow', () => {
  it('registers once, and a second registration of the same name is an error', () => {
    expect(activationNames()).toContain('toy-linear');
    expect(flowNames()).toContain('toy-gd-decay');
    expect(() => registerActivation(linear)).toThrow(/twice/);
    expect(() => registerFlow(decayed)).toThrow(/twice/);
  });

  it('the Flow of the linear activation is the closed-form linear dynamics: L = ½(Q − 2R + T), dQ = −2η(Q − R), dR = −η(R − T)', () => {
    const eta = 0.7;
    const flow = makeFlow({ K: 1, M: 1, activation: 'toy-linear', alpha: null }, { name: 'gd', lr: eta });
    const x = Float64Array.from([1.3, 0.4]); // Q, R
    const dx = new Float64Array(2);
    flow.rhs(x, dx);
    expect(flow.loss(x)).toBeCloseTo(0.5 * (1.3 - 2 * 0.4 + 1), 14);
    expect(dx[0]).toBeCloseTo(-2 * eta * (1.3 - 0.4), 14);
    expect(dx[1]).toBeCloseTo(-eta * (0.4 - 1), 14);
  });

  it('the toy flow adds its term to the gd right-hand side, and solve integrates it', () => {
    const model = { K: 2, M: 2, activation: 'relu', alpha: null };
    const gd = makeFlow(model, { name: 'gd', lr: 1 });
    const toy = makeFlow(model, { name: 'toy-gd-decay', lr: 1 });
    const x = Float64Array.from([1.1, 0.2, 0.9, 0.3, -0.1, 0.05, 0.4]);
    const a = new Float64Array(x.length);
    const b = new Float64Array(x.length);
    gd.rhs(x, a);
    toy.rhs(x, b);
    const L = gd.layout;
    expect(b[L.q(0, 1)] - a[L.q(0, 1)]).toBeCloseTo(-2 * DECAY * x[L.q(0, 1)], 14);
    expect(b[L.r(1, 0)] - a[L.r(1, 0)]).toBeCloseTo(-DECAY * x[L.r(1, 0)], 14);
    // Decay pulls the fixed point inside: the flow comes to rest with Q_kk < 1 and a positive loss.
    const result = solve(toy, x, { method: 'dopri5', tMax: 2000, saveTimes: [], convergenceTol: 1e-8 });
    expect(result.status).toBe('converged');
    expect(result.xFinal[L.q(0, 0)]).toBeLessThan(0.95);
  });

  it('the network engine trains the linear activation, and follows the exact map of its theory', async () => {
    const config = resolveTrainConfig({
      optimizer: 'gd',
      activation: 'toy-linear',
      K: 2,
      M: 2,
      d: 16,
      lr: 0.5,
      tMax: 2,
      dt: 0.05,
      seeds: [0],
      record: 'every:10',
      backend: 'cpu',
    });
    const result = await trainEnsemble(config);
    const [seed] = result.seeds;
    const tr = seed.trajectory;
    const ode: OdeConfig = {
      activation: 'toy-linear',
      alpha: null,
      optimizer: 'gd',
      K: 2,
      M: 2,
      lr: 0.5,
      lrReadout: null,
      labelNoise: null,
      tMax: 2,
      init: { kind: 'file', path: 'network initial overlaps' },
      solver: {
        method: 'map',
        dt: 0.05,
        rtol: 1e-10,
        atol: 1e-12,
        convergenceTol: 0,
        maxSteps: 1_000_000,
        saveTimes: tr.times.join(','),
      },
    };
    const theory = runOde(ode, seed.initial).trajectory;
    // float32 weights: the overlaps agree to ~1e-6 relative (test/network/ode-agreement.test.ts).
    for (let i = 0; i < tr.times.length; i++) expect(Math.abs(tr.loss[i] - theory.loss[i])).toBeLessThan(1e-5);
    expect(tr.loss[tr.loss.length - 1]).toBeLessThan(0.5 * tr.loss[0]);
    expect(makeActivation('toy-linear').g(2)).toBe(2);
  });
});
