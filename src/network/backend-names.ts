/**
 * The names of the TensorFlow.js backends (backend.ts selects and starts them). Apart from backend.ts so
 * that configuration and flag parsing need not load tfjs (start-up time of the CLI, issue 11):
 * - wasm: @tensorflow/tfjs-backend-wasm (the default; its .wasm binaries ship inside the npm package);
 * - cpu: @tensorflow/tfjs-backend-cpu (plain JavaScript kernels);
 * - node: @tensorflow/tfjs-node (native TensorFlow). It is an optional peer dependency, loaded only when
 *   asked for, because its install script downloads libtensorflow and cannot run everywhere.
 */
export type ConcreteBackend = 'wasm' | 'cpu' | 'node';
/**
 * `auto` (the default): tfjs-node when the user has installed it, else the embedded wasm backend, else
 * cpu if wasm cannot start. config.json records the backend actually used (`active`).
 */
export type BackendName = 'auto' | ConcreteBackend;
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'node'];
