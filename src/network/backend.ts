import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { InputError } from '../model/errors.js';
import type { BackendName, ConcreteBackend } from './backend-names.js';

/** tfjs's registry name of each backend (tfjs-node registers itself as "tensorflow"). */
const TFJS_NAME: Record<ConcreteBackend, string> = { wasm: 'wasm', cpu: 'cpu', node: 'tensorflow' };

export interface BackendInfo {
  /** The backend asked for and the one tfjs reports as active (they agree, or selectBackend throws). */
  requested: BackendName;
  /** The concrete backend `auto` resolved to (equal to `requested` otherwise). */
  resolved: ConcreteBackend;
  active: string;
  tfjsVersion: string;
  /** wasm only: whether the SIMD binary was loaded (multi-threading is not used: results stay deterministic). */
  wasmSimd?: boolean;
}

let wasmPathsSet = false;

/**
 * Point tfjs-backend-wasm at the .wasm files inside its own package directory. In Node the default
 * lookup is relative to the bundle and works too, but an explicit file path also survives bundling and
 * a changed working directory.
 */
function configureWasm(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(join(packageDir, 'dist') + '/');
  wasmPathsSet = true;
}

async function loadNodeBackend(): Promise<void> {
  if (tf.findBackend(TFJS_NAME.node)) return;
  try {
    // The specifier is a variable so that TypeScript does not require the optional package's types.
    const specifier = '@tensorflow/tfjs-node';
    await import(specifier);
  } catch {
    throw new InputError(
      '--backend',
      'node needs the optional package @tensorflow/tfjs-node: run `npm install @tensorflow/tfjs-node`, or use --backend wasm|cpu',
    );
  }
  if (!tf.findBackend(TFJS_NAME.node)) {
    throw new InputError(
      '--backend',
      '@tensorflow/tfjs-node is installed but did not register with this copy of @tensorflow/tfjs-core (version mismatch?)',
    );
  }
}

/**
 * Make `name` the active tfjs backend and return what is actually running. Production mode is on: it
 * skips tfjs's per-op debug checks (we check finiteness ourselves) and silences its console banner.
 */
export async function selectBackend(requested: BackendName): Promise<BackendInfo> {
  if (requested !== 'auto') return selectConcreteBackend(requested, requested);
  if (nodeBackendInstalled()) return selectConcreteBackend('node', 'auto');
  try {
    return await selectConcreteBackend('wasm', 'auto');
  } catch {
    return selectConcreteBackend('cpu', 'auto');
  }
}

/** Whether the optional peer @tensorflow/tfjs-node resolves from this package (never installed by npm ci). */
function nodeBackendInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

async function selectConcreteBackend(name: ConcreteBackend, requested: BackendName): Promise<BackendInfo> {
  tf.enableProdMode();
  if (name === 'wasm') configureWasm();
  if (name === 'node') await loadNodeBackend();
  const ok = await tf.setBackend(TFJS_NAME[name]);
  await tf.ready();
  if (!ok || tf.getBackend() !== TFJS_NAME[name]) {
    throw new InputError('--backend', `could not initialise the ${name} backend of TensorFlow.js`);
  }
  const info: BackendInfo = { requested, resolved: name, active: tf.getBackend(), tfjsVersion: tf.version_core };
  if (name === 'wasm') info.wasmSimd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return info;
}
