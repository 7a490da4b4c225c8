import * as tf from '@tensorflow/tfjs-core';
import { rowGram } from '../theory/init.js';
import { SymmetricWorkspace, inverseSqrtSymmetric } from '../theory/linalg/symmetric-eigen.js';
import type { ConstraintName } from './config.js';

/**
 * One constrained update W ← retract(W + P_W(ΔW)) on the device, for all seeds at once. ΔW is the
 * unconstrained update of the gradient source ([S, K, d]); seeds whose retraction cannot be computed
 * (non-finite or singular Gram matrix) are flagged in `nonFinite` (they are not retracted; the engine
 * then freezes them as diverged).
 */
export type ConstraintStep = (W: tf.Tensor3D, dW: tf.Tensor3D, nonFinite: Uint8Array) => tf.Tensor3D;

/** Row-wise dot products of two [S, K, d] tensors → [S, K, 1]. */
const rowDot = (A: tf.Tensor3D, B: tf.Tensor3D): tf.Tensor3D => tf.sum(tf.mul(A, B), 2, true);

const unconstrained: ConstraintStep = (W, dW) => tf.add(W, dW);

/**
 * Sphere ‖w_k‖² = d (docs/theory.md §4.4): tangent projection (I − w_k w_kᵀ/‖w_k‖²) of each row's update,
 * then the retraction w_k ← √d · w_k/‖w_k‖.
 */
function sphereStep(d: number): ConstraintStep {
  return (W, dW) => {
    const radial = tf.div(rowDot(dW, W), rowDot(W, W));
    const moved = tf.add(W, tf.sub(dW, tf.mul(radial, W))) as tf.Tensor3D;
    return tf.mul(moved, tf.rsqrt(tf.div(rowDot(moved, moved), d)));
  };
}

/**
 * Stiefel WWᵀ = d·I_K (docs/theory.md §4.5): tangent projection ΔW − sym(ΔW Wᵀ/d) W, then the symmetric
 * (polar) retraction W ← (W′W′ᵀ/d)^{-1/2} W′, the K×K inverse square root computed per seed in float64.
 * A QR / Gram–Schmidt retraction would be wrong here: it changes the O(1) drift (§4.5 "Pitfall").
 */
function stiefelStep(K: number, d: number): ConstraintStep {
  const gram64 = new Float64Array(K * K);
  const inverse = new Float64Array(K * K);
  const work = new SymmetricWorkspace(K);
  let polar = new Float32Array(0);
  return (W, dW, nonFinite) => {
    const S = W.shape[0];
    const Y = tf.div(tf.matMul(dW, W, false, true), d);
    const sym = tf.mul(tf.add(Y, tf.transpose(Y, [0, 2, 1])), 0.5);
    // sym is exactly symmetric, so symᵀW = sym W; the transpose flag keeps every seed on the same kernel
    // whatever the ensemble size (see activation.ts).
    const moved = tf.add(W, tf.sub(dW, tf.matMul(sym, W, true, false))) as tf.Tensor3D;
    const gram = tf.div(tf.matMul(moved, moved, false, true), d).dataSync();
    // Reused across steps; reallocated only when the number of active seeds changes.
    if (polar.length !== S * K * K) polar = new Float32Array(S * K * K);
    for (let s = 0; s < S; s++) {
      gram64.set(gram.subarray(s * K * K, (s + 1) * K * K));
      // (W′W′ᵀ/d)^{-1/2} is symmetric: uploading it as is and multiplying with transposeA is the same product.
      if (inverseSqrtSymmetric(gram64, inverse, work)) {
        polar.set(inverse, s * K * K);
      } else {
        nonFinite[s] = 1;
        polar.fill(0, s * K * K, (s + 1) * K * K);
        for (let k = 0; k < K; k++) polar[s * K * K + k * K + k] = 1;
      }
    }
    return tf.matMul(tf.tensor3d(polar, [S, K, K]), moved, true, false);
  };
}

export function constraintStep(name: ConstraintName, K: number, d: number): ConstraintStep {
  switch (name) {
    case 'none':
      return unconstrained;
    case 'sphere':
      return sphereStep(d);
    case 'stiefel':
      return stiefelStep(K, d);
  }
}

/**
 * Put initial weights (K×d, float64, in place) on the constraint manifold: rows scaled to ‖w_k‖² = d
 * (sphere) or W ← (WWᵀ/d)^{-1/2} W (Stiefel, the same polar map as the retraction). The constrained
 * flows (§4.4, §4.5) conserve Q_kk = 1 resp. Q = I, so the run must also start there. Returns false
 * (W untouched) if that is impossible: a zero row (sphere) or rank < K (Stiefel).
 */
export function projectOntoConstraint(name: ConstraintName, W: Float64Array, K: number, d: number): boolean {
  if (name === 'none') return true;
  const gram = rowGram(W, K, W, K, d);
  const P = new Float64Array(K * K);
  if (name === 'sphere') {
    for (let k = 0; k < K; k++) {
      if (!(gram[k * K + k] > 0)) return false;
      P[k * K + k] = 1 / Math.sqrt(gram[k * K + k]);
    }
  } else if (!inverseSqrtSymmetric(gram, P, new SymmetricWorkspace(K))) {
    return false;
  }
  const projected = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < K; l++) {
      const p = P[k * K + l];
      if (p === 0) continue;
      for (let i = 0; i < d; i++) projected[k * d + i] += p * W[l * d + i];
    }
  }
  W.set(projected);
  return true;
}
