import type { FlowDefinition } from './definition.js';

export const ongd: FlowDefinition = {
  name: 'ongd',
  description: 'orthonormalised gradient flow on the Stiefel manifold WWᵀ = d·I, i.e. Q ≡ I (docs/theory.md §4.5)',
  constraint: 'stiefel',
  trainsReadouts: false,
  gradientFlow: true,
  stochastic: false,
  network: { gradient: 'population', constraint: 'stiefel', layers: 'first' },
};
