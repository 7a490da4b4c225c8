import type { FlowDefinition } from './definition.js';

export const gd: FlowDefinition = {
  name: 'gd',
  description: 'gradient flow of the first layer (docs/theory.md §4.1)',
  constraint: 'none',
  trainsReadouts: false,
  gradientFlow: true,
  stochastic: false,
  network: { gradient: 'population', constraint: 'none', layers: 'first' },
};
