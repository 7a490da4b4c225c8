import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../theory/activations/activation.js';

/**
 * The activation g on the device, applied to the pre-activations λ = w·x/√d of a batch. The engine
 * uploads x̂ = x/√d, so the fields are X̂ Aᵀ: X̂ is [S, B, d], A is [S, rows, d] (student or teacher
 * weights) and the fields come out as [S, B, rows]. The contraction over d runs along contiguous memory
 * in both operands, the fast case of tfjs's batched matMul kernels.
 */
export interface DeviceActivation {
  /** g(λ) and g′(λ), each [S, B, rows]. */
  withDerivative(X: tf.Tensor3D, A: tf.Tensor3D): { g: tf.Tensor3D; dg: tf.Tensor3D };
  /** g(λ) alone (the teacher needs no derivative). */
  value(X: tf.Tensor3D, A: tf.Tensor3D): tf.Tensor3D;
}

/**
 * Every matMul of the engine sets a transpose flag. tfjs-backend-wasm sends an untransposed matMul whose
 * batch dimension is 1 to XNNPACK, which sums in a different order than its batched kernel: a seed
 * trained alone (S = 1) would then round differently from the same seed inside an ensemble.
 */
const fields = (X: tf.Tensor3D, A: tf.Tensor3D): tf.Tensor3D => tf.matMul(X, A, false, true);

/**
 * ReLU; θ(λ) = step(g) because relu(λ) > 0 exactly when λ > 0 (θ(0) = 0). Deliberately NOT
 * tf.fused.matMul({activation: 'relu'}): tfjs-backend-wasm 4.22's batched matMul applies the fused
 * activation to each 48-wide partial sum of the contraction, so for d > 48 it returns wrong fields
 * (test/network/steps.test.ts runs at d = 60 > 48 against a float64 evaluation of the update rule).
 */
const reluDevice: DeviceActivation = {
  value: (X, A) => tf.relu(fields(X, A)),
  withDerivative(X, A) {
    const g = this.value(X, A);
    return { g, dg: tf.step(g) as tf.Tensor3D };
  },
};

/** Leaky ReLU αλ + (1−α) relu(λ); g′ = 1 for λ > 0, α otherwise (tf.step's second argument). */
function leakyReluDevice(alpha: number): DeviceActivation {
  return {
    value: (X, A) => tf.leakyRelu(fields(X, A), alpha) as tf.Tensor3D,
    withDerivative(X, A) {
      const lambda = fields(X, A);
      return { g: tf.leakyRelu(lambda, alpha) as tf.Tensor3D, dg: tf.step(lambda, alpha) as tf.Tensor3D };
    },
  };
}

/** erf(λ/√2) (equations.md §1.2); g′ = √(2/π) e^{−λ²/2}. */
const erfDevice: DeviceActivation = {
  value: (X, A) => tf.erf(tf.mul(fields(X, A), Math.SQRT1_2)) as tf.Tensor3D,
  withDerivative(X, A) {
    const lambda = fields(X, A);
    const g = tf.erf(tf.mul(lambda, Math.SQRT1_2)) as tf.Tensor3D;
    const dg = tf.mul(tf.exp(tf.mul(tf.square(lambda), -0.5)), Math.sqrt(2 / Math.PI)) as tf.Tensor3D;
    return { g, dg };
  },
};

export function deviceActivation(act: Activation): DeviceActivation {
  switch (act.name) {
    case 'relu':
      return reluDevice;
    case 'leaky-relu':
      return leakyReluDevice(act.alpha ?? 0);
    case 'erf':
      return erfDevice;
  }
}
