import type { FlowDefinition } from './definition.js';

export const ngd: FlowDefinition = {
  name: 'ngd',
  description: 'normalised gradient flow on the sphere ‖w_k‖² = d, i.e. Q_kk ≡ 1 (docs/theory.md §4.4)',
  constraint: 'sphere',
  trainsReadouts: false,
  gradientFlow: true,
  stochastic: false,
  network: { gradient: 'population', constraint: 'sphere', layers: 'first' },
};
