import type { Command } from 'commander';
import { registerOde } from './ode.js';
import { registerTrain } from './train.js';
import { registerRun } from './run.js';
import { registerCheck } from './check.js';
import { registerSchema } from './schema.js';
import { registerFixedPoints } from './fixed-points.js';
import { registerStats } from './stats.js';
import { registerMerge } from './merge.js';
import { registerHessian } from './hessian.js';
import { registerArcs } from './arcs.js';
import { registerCensus } from './census.js';

/** Every subcommand registers itself on the program; one line per command. */
export const commands: ((program: Command) => void)[] = [
  registerOde,
  registerTrain,
  registerRun,
  registerCheck,
  registerSchema,
  registerFixedPoints,
  registerStats,
  registerMerge,
  registerHessian,
  registerArcs,
  registerCensus,
];
