import { InputError } from '../../model/errors.js';
import { relu, reluI2 } from '../activations/relu.js';
import { rowGram } from '../init.js';
import { lossFromField, readoutGradient } from '../loss.js';
import { steinCoefficients } from '../stein.js';
import { type WeightPoint, stackedRows } from './weights.js';

/**
 * Population loss, exact gradient and closed-form Hessian of the ReLU soft committee machine in the
 * weight normalisation V = W/√d (docs/hessian.md "Weight-space Hessian (ReLU)"):
 *
 *   L(V) = ½ Σ_{α,β} c_α c_β κ(u_α, u_β),   κ(u, w) = E[relu(u·x) relu(w·x)] = (|u||w|/2π)(sin θ + (π−θ) cos θ),
 *
 * U = [V; V*] (rows u_γ), c = (a, −v). The ½ is kept (docs/theory.md §0), which is also Arjevani–Field's
 * normalisation, so the spectra here are directly theirs. Parameters are the K·d entries of V (unit
 * k's row at offsets k·d .. k·d+d−1) and, for the two-layer variant (gd2l, `readouts: true`), the K
 * readouts a after them (offsets K·d + k).
 */
export interface HessianOptions {
  /** Include the readouts a as parameters (the gd2l landscape). Default false (plain gd: a fixed). */
  readouts?: boolean;
}

const TWO_PI = 2 * Math.PI;

/** Number of parameters: K·d, plus K with readouts. */
export function parameterCount(p: WeightPoint, options: HessianOptions = {}): number {
  return p.K * p.d + (options.readouts ? p.K : 0);
}

interface Field {
  n: number;
  U: Float64Array;
  omega: Float64Array;
  c: Float64Array;
}

/** U = [V; V*], Ω = UUᵀ (exactly symmetric) and c = (a, −v). */
function fieldOf(p: WeightPoint): Field {
  const n = p.K + p.M;
  const U = stackedRows(p);
  const omega = rowGram(U, n, U, n, p.d, 1);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) omega[j * n + i] = omega[i * n + j];
  const c = new Float64Array(n);
  c.set(p.a.subarray(0, p.K));
  for (let m = 0; m < p.M; m++) c[p.K + m] = -p.v[m];
  return { n, U, omega, c };
}

/** L(V) = ½E[(f − f*)²] through the existing closed form (loss.ts lossFromField, docs/theory.md §2) on Ω = UUᵀ. */
export function reluWeightLoss(p: WeightPoint): number {
  const { n, omega, c } = fieldOf(p);
  return lossFromField(relu, omega, c, n);
}

/**
 * Exact gradient ∇_V L (K×d row-major), and ∂L/∂a after it with readouts. It is the §5 Stein form
 * ∇_{w_k}L = (a_k/d) Σ_γ S_kγ u_γ rewritten in V = W/√d units (∇_V = √d ∇_W, u → √d u):
 * ∇_{v_k}L = a_k Σ_γ S_kγ u_γ with S = stein.ts steinCoefficients(Ω) — the same coefficients the flow
 * uses, valid for singular Ω (d = K). ∂L/∂a_k = Σ_β c_β I2(k, β) (loss.ts readoutGradient, §4.3).
 */
export function reluWeightGradient(
  p: WeightPoint,
  options: HessianOptions = {},
  out = new Float64Array(parameterCount(p, options)),
): Float64Array {
  const { K, d } = p;
  const { n, U, omega, c } = fieldOf(p);
  const S = new Float64Array(K * n);
  steinCoefficients(relu, omega, c, K, n, S);
  out.fill(0, 0, K * d);
  for (let k = 0; k < K; k++) {
    for (let g = 0; g < n; g++) {
      const coef = c[k] * S[k * n + g];
      if (coef === 0) continue;
      for (let i = 0; i < d; i++) out[k * d + i] += coef * U[g * d + i];
    }
  }
  if (options.readouts) readoutGradient(relu, omega, c, K, n, out.subarray(K * d, K * d + K));
  return out;
}

/**
 * Configurations where the closed form needs care (docs/hessian.md "Regularity"): a student with zero
 * norm (L is not differentiable there: κ is 1-homogeneous in each argument), and pairs of fields at
 * angle 0 or π. At such pairs L is still C² (κ ∝ θ³ + smooth near θ = 0, (π−θ)³ near π), the Hessian
 * is the continuous limit that reluHessian returns, but L is not C³: central differences of the
 * gradient lose their O(h²) accuracy within an angle ~h of the contact (error ~ min(h, h²/θ)).
 */
export type ContactKind = 'zero-student' | 'zero-teacher' | 'parallel' | 'antiparallel';

export interface Contact {
  kind: ContactKind;
  /** Field indices (students 0..K−1, teachers K..K+M−1); j = i for a zero unit. */
  i: number;
  j: number;
  /** e.g. "student 2 ∥ teacher 2". */
  label: string;
  /** Angle between the two fields (rad): ≤ tolerance for parallel, ≥ π − tolerance for antiparallel. */
  angle: number;
}

/** Default angular tolerance of reluContacts (rad). */
export const CONTACT_ANGLE = 1e-6;

function fieldName(K: number, g: number): string {
  return g < K ? `student ${g}` : `teacher ${g - K}`;
}

/** Unit rows û_γ, norms |u_γ|, and the angle of a pair from the accurate perpendicular part. */
class Geometry {
  readonly unit: Float64Array;
  readonly norm: Float64Array;
  /** Workspace: the perpendicular part p = û_j − (û_i·û_j)û_i of the last `angle` call. */
  readonly perp: Float64Array;

  constructor(
    readonly U: Float64Array,
    readonly n: number,
    readonly d: number,
  ) {
    this.unit = new Float64Array(n * d);
    this.norm = new Float64Array(n);
    this.perp = new Float64Array(d);
    for (let g = 0; g < n; g++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += U[g * d + i] ** 2;
      const r = Math.sqrt(s);
      this.norm[g] = r;
      if (r > 0) for (let i = 0; i < d; i++) this.unit[g * d + i] = U[g * d + i] / r;
    }
  }

  /**
   * cos θ, sin θ and θ of fields i and j (both non-zero); `perp` ends holding p = û_j − cos θ û_i,
   * whose norm is sin θ to an absolute ε (1 − cos²θ would lose it all near θ = 0).
   */
  angle(i: number, j: number): { cos: number; sin: number; theta: number } {
    const { unit, d, perp } = this;
    let c = 0;
    for (let x = 0; x < d; x++) c += unit[i * d + x] * unit[j * d + x];
    c = c > 1 ? 1 : c < -1 ? -1 : c;
    let s2 = 0;
    for (let x = 0; x < d; x++) {
      perp[x] = unit[j * d + x] - c * unit[i * d + x];
      s2 += perp[x] * perp[x];
    }
    const s = Math.sqrt(s2);
    return { cos: c, sin: s, theta: Math.atan2(s, c) };
  }
}

/** Zero units and (anti)parallel pairs among all K + M fields, within `tolerance` rad. */
export function reluContacts(p: WeightPoint, tolerance = CONTACT_ANGLE): Contact[] {
  const { K } = p;
  const { n, U } = fieldOf(p);
  const geo = new Geometry(U, n, p.d);
  const out: Contact[] = [];
  for (let i = 0; i < n; i++) {
    if (geo.norm[i] === 0)
      out.push({
        kind: i < K ? 'zero-student' : 'zero-teacher',
        i,
        j: i,
        label: `${fieldName(K, i)} = 0`,
        angle: Number.NaN,
      });
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (geo.norm[i] === 0 || geo.norm[j] === 0) continue;
      const { theta } = geo.angle(i, j);
      if (theta <= tolerance)
        out.push({ kind: 'parallel', i, j, label: `${fieldName(K, i)} ∥ ${fieldName(K, j)}`, angle: theta });
      else if (theta >= Math.PI - tolerance)
        out.push({ kind: 'antiparallel', i, j, label: `${fieldName(K, i)} ∥ −${fieldName(K, j)}`, angle: theta });
    }
  }
  return out;
}

export interface ReluHessian {
  /** Number of parameters P (K·d, + K with readouts). */
  size: number;
  /** ∇²L, P×P row-major, exactly symmetric. */
  H: Float64Array;
  /** Contacts at the default tolerance (informational; the Hessian is their continuous limit). */
  contacts: Contact[];
}

/**
 * Closed-form Hessian ∇²L (docs/hessian.md). With û = u/|u|, for a student k and any other field β:
 *
 *   ∂²L/∂v_k² = (a_k²/2) I + a_k Σ_{β≠k} c_β D(v_k, u_β),
 *       D(u, w) = E[δ(u·x) relu(w·x) xxᵀ] = (1/(2π|u|)) [ |w⊥|(I − ûûᵀ) + w⊥w⊥ᵀ/|w⊥| ],  w⊥ = w − (w·û)û;
 *   ∂²L/∂v_k∂v_l = a_k a_l C(v_k, v_l)  (k ≠ l),
 *       C(u, w) = E[θ(u·x) θ(w·x) xxᵀ] = ((π−θ)/2π) I + (1/2π) [ sc ûûᵀ − c ppᵀ/s + s(ûpᵀ + pûᵀ) ],
 *       p = ŵ − cû, c = cos θ, s = |p| = sin θ;
 * with readouts (gd2l) also ∂²L/∂a_k∂a_l = κ(v_k, v_l) (|v_k|²/2 on the diagonal),
 *   ∂²L/∂a_k∂v_k = Σ_γ S_kγ u_γ + (a_k/2) v_k,   ∂²L/∂a_k∂v_l = a_l ∇₁κ(v_l, v_k) (l ≠ k),
 *   ∇₁κ(u, w) = ((π−θ)/2π) w + (|w⊥|/2π) û.
 * Every term is written with the perpendicular vectors w⊥, p (accurate to an absolute ε) so the
 * (anti)parallel limits θ → 0, π are reached continuously: D → 0, C → ½I or 0. Zero teachers contribute
 * nothing (κ(·, 0) ≡ 0); a zero student throws (L is not differentiable there). Cost O((K n + K²) d²).
 */
export function reluHessian(p: WeightPoint, options: HessianOptions = {}): ReluHessian {
  const { K, d } = p;
  const { n, U, omega, c } = fieldOf(p);
  const P = parameterCount(p, options);
  const H = new Float64Array(P * P);
  const geo = new Geometry(U, n, d);
  const { unit, norm, perp } = geo;
  for (let k = 0; k < K; k++) {
    if (norm[k] === 0)
      throw new InputError(`student ${k}`, 'zero weight vector: the loss is not differentiable there (no Hessian)');
  }
  const wPerp = new Float64Array(d);
  for (let k = 0; k < K; k++) {
    const ck = c[k];
    const base = k * d * P + k * d; // block (k, k)
    const uk = k * d;
    // Diagonal block: (c_k²/2) I + c_k Σ_β c_β D(v_k, u_β).
    let identity = 0.5 * ck * ck;
    let projector = 0; // coefficient of −ûûᵀ
    for (let b = 0; b < n; b++) {
      if (b === k || norm[b] === 0 || c[b] === 0 || ck === 0) continue;
      let dot = 0;
      for (let x = 0; x < d; x++) dot += U[b * d + x] * unit[uk + x];
      let t2 = 0;
      for (let x = 0; x < d; x++) {
        wPerp[x] = U[b * d + x] - dot * unit[uk + x];
        t2 += wPerp[x] * wPerp[x];
      }
      const t = Math.sqrt(t2);
      if (t === 0) continue;
      const f = (ck * c[b]) / (TWO_PI * norm[k]);
      identity += f * t;
      projector += f * t;
      const g = f / t;
      for (let i = 0; i < d; i++) {
        const gi = g * wPerp[i];
        if (gi === 0) continue;
        const row = base + i * P;
        for (let j = 0; j < d; j++) H[row + j] += gi * wPerp[j];
      }
    }
    for (let i = 0; i < d; i++) {
      const row = base + i * P;
      H[row + i] += identity;
      const pi = projector * unit[uk + i];
      if (pi !== 0) for (let j = 0; j < d; j++) H[row + j] -= pi * unit[uk + j];
    }
    // Off-diagonal blocks: c_k c_l C(v_k, v_l), l > k, mirrored.
    for (let l = k + 1; l < K; l++) {
      const f = ck * c[l];
      if (f === 0) continue;
      const { cos, sin, theta } = geo.angle(k, l);
      const blockKL = k * d * P + l * d;
      const blockLK = l * d * P + k * d;
      const iso = (f * (Math.PI - theta)) / TWO_PI;
      const fu = (f * sin * cos) / TWO_PI; // ûûᵀ
      const fp = sin > 0 ? (-f * cos) / (TWO_PI * sin) : 0; // ppᵀ
      const fx = (f * sin) / TWO_PI; // ûpᵀ + pûᵀ
      for (let i = 0; i < d; i++) {
        const ui = unit[uk + i];
        const qi = perp[i];
        for (let j = 0; j < d; j++) {
          const uj = unit[uk + j];
          const qj = perp[j];
          const v = fu * ui * uj + fp * qi * qj + fx * (ui * qj + qi * uj) + (i === j ? iso : 0);
          H[blockKL + i * P + j] = v;
          H[blockLK + j * P + i] = v;
        }
      }
    }
  }
  if (options.readouts) readoutBlocks(p, { n, U, omega, c }, geo, H, P);
  // The rank-one sums of the diagonal blocks are symmetric only up to rounding: mirror the upper triangle.
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < d; i++)
      for (let j = i + 1; j < d; j++) H[(k * d + j) * P + k * d + i] = H[(k * d + i) * P + k * d + j];
  }
  return { size: P, H, contacts: reluContacts(p) };
}

/** The a–a and a–V blocks of the gd2l Hessian (see reluHessian). */
function readoutBlocks(p: WeightPoint, field: Field, geo: Geometry, H: Float64Array, P: number): void {
  const { K, d } = p;
  const { n, U, omega, c } = field;
  const { unit, norm } = geo;
  const off = K * d;
  const S = new Float64Array(K * n);
  steinCoefficients(relu, omega, c, K, n, S);
  for (let k = 0; k < K; k++) {
    const ak = off + k;
    H[ak * P + ak] = 0.5 * omega[k * n + k];
    for (let l = k + 1; l < K; l++) {
      const kappa = reluI2(omega[k * n + k], omega[k * n + l], omega[l * n + l]);
      H[ak * P + off + l] = kappa;
      H[(off + l) * P + ak] = kappa;
    }
    // ∂²L/∂a_k∂v_k = Σ_γ S_kγ u_γ + (a_k/2) v_k.
    for (let i = 0; i < d; i++) {
      let s = 0.5 * c[k] * U[k * d + i];
      for (let g = 0; g < n; g++) s += S[k * n + g] * U[g * d + i];
      H[ak * P + k * d + i] = s;
      H[(k * d + i) * P + ak] = s;
    }
    // ∂²L/∂a_k∂v_l = a_l ∇₁κ(v_l, v_k) = a_l [((π−θ)/2π) v_k + (|v_k|sin θ/2π) v̂_l].
    for (let l = 0; l < K; l++) {
      if (l === k) continue;
      const { sin, theta } = geo.angle(l, k);
      const fw = (c[l] * (Math.PI - theta)) / TWO_PI;
      const fu = (c[l] * norm[k] * sin) / TWO_PI;
      for (let i = 0; i < d; i++) {
        const s = fw * U[k * d + i] + fu * unit[l * d + i];
        H[ak * P + l * d + i] = s;
        H[(l * d + i) * P + ak] = s;
      }
    }
  }
}

/**
 * Relative step of the central-difference Hessian. Error model (docs/hessian.md "Finite differences"):
 * column j of (∇L(x + h e_j) − ∇L(x − h e_j))/(2h) differs from H e_j by a truncation term
 * (h²/6)|∂³_j ∇L| plus round-off ≈ ε·Σ|terms of ∇L|/h. With O(1)–O(n) scales the sum is smallest near
 * h = (3ε)^{1/3} ≈ 1e-5, where both are ~1e-10·scale. The step is taken relative to the unit's norm
 * |v_k| (|a_k| for a readout; 1 if a_k = 0), so it is invariant under rescaling a unit.
 */
export const FD_HESSIAN_STEP = 1e-5;

/**
 * Central-difference Hessian of the exact gradient (2P gradient evaluations, each O(n²d)), symmetrised
 * as (H + Hᵀ)/2. Divides by the representable difference (x+h) − (x−h), as jacobian.ts does.
 */
export function finiteDifferenceHessian(
  p: WeightPoint,
  options: HessianOptions = {},
  step = FD_HESSIAN_STEP,
): Float64Array {
  const { K, d } = p;
  const P = parameterCount(p, options);
  const H = new Float64Array(P * P);
  const plus = new Float64Array(P);
  const minus = new Float64Array(P);
  const V = p.V.slice();
  const a = p.a.slice();
  const work: WeightPoint = { ...p, V, a };
  for (let j = 0; j < P; j++) {
    const isWeight = j < K * d;
    const arr = isWeight ? V : a;
    const idx = isWeight ? j : j - K * d;
    const k = isWeight ? Math.floor(j / d) : idx;
    let scale: number;
    if (isWeight) {
      let s = 0;
      for (let i = 0; i < d; i++) s += p.V[k * d + i] ** 2;
      scale = Math.sqrt(s);
    } else scale = Math.abs(p.a[k]);
    const h = step * (scale > 0 ? scale : 1);
    const x0 = arr[idx];
    const up = x0 + h;
    const down = x0 - h;
    arr[idx] = up;
    reluWeightGradient(work, options, plus);
    arr[idx] = down;
    reluWeightGradient(work, options, minus);
    arr[idx] = x0;
    const inv = 1 / (up - down);
    for (let i = 0; i < P; i++) H[i * P + j] = (plus[i] - minus[i]) * inv;
  }
  for (let i = 0; i < P; i++) {
    for (let j = i + 1; j < P; j++) {
      const s = 0.5 * (H[i * P + j] + H[j * P + i]);
      H[i * P + j] = s;
      H[j * P + i] = s;
    }
  }
  return H;
}
