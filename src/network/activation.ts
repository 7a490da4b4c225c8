import * as tf from '@tensorflow/tfjs-core';
import type { Activation, DeviceOps } from '../theory/activations/activation.js';

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
 * The device operations of the theory's activation definitions (theory/activations/activation.ts),
 * in tfjs. ReLU's g is deliberately NOT tf.fused.matMul({activation: 'relu'}): tfjs-backend-wasm 4.22's
 * batched matMul applies the fused activation to each 48-wide partial sum of the contraction, so for
 * d > 48 it returns wrong fields (test/network/steps.test.ts runs at d = 60 > 48 against a float64
 * evaluation of the update rule).
 */
const tfOps: DeviceOps<tf.Tensor3D> = {
  relu: (x) => tf.relu(x),
  step: (x, below = 0) => tf.step(x, below) as tf.Tensor3D,
  leakyRelu: (x, alpha) => tf.leakyRelu(x, alpha) as tf.Tensor3D,
  erf: (x) => tf.erf(x) as tf.Tensor3D,
  mul: (x, s) => tf.mul(x, s) as tf.Tensor3D,
  exp: (x) => tf.exp(x) as tf.Tensor3D,
  square: (x) => tf.square(x) as tf.Tensor3D,
};

/** g and g′ of any registered activation on the device, from its DeviceForm. */
export function deviceActivation(act: Activation): DeviceActivation {
  const { device } = act;
  return {
    value: (X, A) => device.g(tfOps, fields(X, A)),
    withDerivative(X, A) {
      const lambda = fields(X, A);
      const g = device.g(tfOps, lambda);
      return { g, dg: device.dg(tfOps, lambda, g) };
    },
  };
}
