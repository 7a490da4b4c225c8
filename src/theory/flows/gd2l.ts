import type { FlowDefinition } from './definition.js';

export const gd2l: FlowDefinition = {
  name: 'gd2l',
  description: 'gradient flow of both layers, readouts at rate η_a (docs/theory.md §4.3)',
  constraint: 'none',
  trainsReadouts: true,
  gradientFlow: true,
  stochastic: false,
  network: { gradient: 'population', constraint: 'none', layers: 'both' },
};
