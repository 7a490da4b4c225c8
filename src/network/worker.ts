import { serveTasks } from '../runtime/worker-host.js';
import type { TrainConfig } from './config.js';
import { type TrainProgress, trainEnsemble } from './train.js';

/** Worker thread of trainEnsembleParallel: trains one chunk of seeds on its own tfjs backend instance. */
serveTasks((data) => {
  const { config } = data as { config: TrainConfig };
  return (seeds: number[], progress: (p: TrainProgress) => void) =>
    trainEnsemble({ ...config, seeds }, { onProgress: progress });
});
