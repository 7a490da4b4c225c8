/** Public API of the network engine (issue 3): real finite-d teacher–student networks in TensorFlow.js. */
export { BACKEND_NAMES, type BackendName } from './backend-names.js';
export { type BackendInfo, selectBackend } from './backend.js';
export {
  CONSTRAINTS,
  type ConstraintName,
  GRADIENT_SOURCES,
  type GradientSource,
  LAYERS,
  type Layers,
  optimizerNames,
  optimizerPreset,
  type OptimizerName,
  TEACHER_INITS,
  TRAIN_DEFAULTS,
  TRAIN_FLAGS,
  type TeacherInit,
  type TrainConfig,
  type TrainInput,
  resolveTrainConfig,
  stepTime,
  totalSteps,
} from './config.js';
export { DEFAULT_RECORD, type RecordSpec, parseRecordSpec, recordSteps } from './record.js';
export {
  CONVERGED_GRAD_NORM,
  CONVERGED_LOSS,
  type EnsembleResult,
  type SeedEnd,
  type SeedResult,
  type SeedStatus,
  type TrainOptions,
  type TrainProgress,
  trainEnsemble,
} from './train.js';
