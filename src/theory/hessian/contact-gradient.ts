import { type HessianOptions, parameterCount, reluWeightGradient } from './relu-hessian.js';
import { type WeightPoint, stackedRows } from './weights.js';

const TWO_PI = 2 * Math.PI;

/**
 * The ReLU loss and its gradient in V = W/√d, accurate near contacts. relu-hessian.ts reluWeightLoss and
 * reluWeightGradient go through the overlaps (relu.ts I2 and the Stein coefficients of docs/theory.md §5),
 * where the perpendicular part of a pair enters as √(Q_kk T_mm − R_km²) or √(1 − ρ²): near a contact (a
 * student (anti)parallel to another field, e.g. every student at the global minimum V = V*) that carries an
 * absolute error ~√ε|u||w| ≈ 1e-8 (≈ 1e-9 in L and ∇L). The tangency arcs (arcs.ts) resolve loss changes
 * λr²/2 ≈ 1e-8 at r = 1e-3 and converge to |g_T| ~ 1e-12, so they use the geometric form of
 * docs/hessian.md "The kernel and its derivatives", with w⊥ = w − (w·û)û (accurate to an absolute ε) and
 * θ = atan2(|w⊥|, w·û):
 *
 *   κ(u, w) = (|u|/2π)(|w⊥| + (π − θ)(w·û))        (= (|u||w|/2π)(sin θ + (π − θ) cos θ)),
 *   ∇₁κ(u, w) = ((π − θ)/2π) w + (|w⊥|/2π) û,       κ(v, v) = |v|²/2, ∇₁κ(v, v) = v/2,
 *   L = ½ Σ_{α,β} c_α c_β κ(u_α, u_β),  ∇_{v_k}L = c_k Σ_β c_β ∇₁κ(v_k, u_β),  ∂L/∂a_k = Σ_β c_β κ(v_k, u_β),
 *
 * with c = (a, −v), U = [V; V*]. Both equal the overlap forms away from contacts (tested to ~1e-15).
 */
interface Fields {
  n: number;
  U: Float64Array;
  c: Float64Array;
  norm: Float64Array;
}

function fields(p: WeightPoint): Fields {
  const { K, M, d } = p;
  const n = K + M;
  const U = stackedRows(p);
  const c = new Float64Array(n);
  c.set(p.a.subarray(0, K));
  for (let m = 0; m < M; m++) c[K + m] = -p.v[m];
  const norm = new Float64Array(n);
  for (let g = 0; g < n; g++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += U[g * d + i] ** 2;
    norm[g] = Math.sqrt(s);
  }
  return { n, U, c, norm };
}

/** For fields i (non-zero) and j: w·û, |w⊥| and θ with û = u_i/|u_i|, w = u_j; `perp` receives w⊥. */
function pairGeometry(
  U: Float64Array,
  d: number,
  i: number,
  j: number,
  normI: number,
  perp: Float64Array,
): { along: number; wPerp: number; theta: number } {
  let along = 0;
  for (let x = 0; x < d; x++) along += U[j * d + x] * U[i * d + x];
  along /= normI;
  let p2 = 0;
  for (let x = 0; x < d; x++) {
    perp[x] = U[j * d + x] - (along * U[i * d + x]) / normI;
    p2 += perp[x] * perp[x];
  }
  const wPerp = Math.sqrt(p2);
  return { along, wPerp, theta: Math.atan2(wPerp, along) };
}

/** L(V) (see above); zero fields contribute nothing (κ(·, 0) ≡ 0). */
export function reluWeightLossAtContacts(p: WeightPoint): number {
  const { n, U, c, norm } = fields(p);
  const perp = new Float64Array(p.d);
  let loss = 0;
  for (let a = 0; a < n; a++) {
    if (norm[a] === 0 || c[a] === 0) continue;
    loss += 0.25 * c[a] * c[a] * norm[a] * norm[a];
    for (let b = a + 1; b < n; b++) {
      if (norm[b] === 0 || c[b] === 0) continue;
      const { along, wPerp, theta } = pairGeometry(U, p.d, a, b, norm[a], perp);
      loss += (c[a] * c[b] * norm[a] * (wPerp + (Math.PI - theta) * along)) / TWO_PI;
    }
  }
  return loss;
}

/**
 * ∇_V L (K×d row-major), and ∂L/∂a after it with readouts (see above). A zero student (where L is not
 * differentiable, docs/theory.md §7.2) falls back to the Stein form and its conventions.
 */
export function reluWeightGradientAtContacts(
  p: WeightPoint,
  options: HessianOptions = {},
  out: Float64Array = new Float64Array(parameterCount(p, options)),
): Float64Array {
  const { K, d } = p;
  const { n, U, c, norm } = fields(p);
  if (norm.subarray(0, K).includes(0)) {
    out.set(reluWeightGradient(p, options));
    return out;
  }
  const perp = new Float64Array(d);
  out.fill(0);
  for (let k = 0; k < K; k++) {
    let readout = 0.5 * c[k] * norm[k] * norm[k];
    for (let i = 0; i < d; i++) out[k * d + i] = 0.5 * c[k] * c[k] * U[k * d + i];
    for (let b = 0; b < n; b++) {
      if (b === k || norm[b] === 0 || c[b] === 0) continue;
      const { along, wPerp, theta } = pairGeometry(U, d, k, b, norm[k], perp);
      const fw = (c[k] * c[b] * (Math.PI - theta)) / TWO_PI;
      const fu = (c[k] * c[b] * wPerp) / (TWO_PI * norm[k]);
      for (let i = 0; i < d; i++) out[k * d + i] += fw * U[b * d + i] + fu * U[k * d + i];
      readout += (c[b] * norm[k] * (wPerp + (Math.PI - theta) * along)) / TWO_PI;
    }
    if (options.readouts) out[K * d + k] = readout;
  }
  return out;
}
