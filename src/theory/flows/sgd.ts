import type { Flow } from '../flow.js';
import { sgdSecondMoment } from '../sgd-term.js';
import type { FlowDefinition } from './definition.js';

/** §4.2: dQ_kl += (η²/B) a_k a_l (S_kl + σ² J2(k,l)); R gets no η² term. */
function secondOrderTerm(flow: Flow): (dx: Float64Array) => void {
  const L = flow.layout;
  const { K } = L;
  const n = flow.n;
  const second = new Float64Array(K * K);
  const eta2 = (flow.lr * flow.lr) / flow.batch;
  const noise2 = flow.labelNoise * flow.labelNoise;
  return (dx) => {
    const { omega, c } = flow;
    sgdSecondMoment(flow.act, omega, c, K, n, second);
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) {
        let s = second[k * K + l];
        if (noise2 > 0) s += noise2 * flow.act.J2(omega[k * n + k], omega[k * n + l], omega[l * n + l]);
        dx[L.q(k, l)] += eta2 * c[k] * c[l] * s;
      }
    }
  };
}

export const sgd: FlowDefinition = {
  name: 'sgd',
  description:
    'online SGD in the d → ∞ limit at fixed η: the gradient flow plus the η²/B noise term (docs/theory.md §4.2)',
  constraint: 'none',
  trainsReadouts: false,
  gradientFlow: false,
  stochastic: true,
  network: { gradient: 'online', constraint: 'none', layers: 'first' },
  extraTerm: secondOrderTerm,
};
