import { VARIANCE_FLOOR, clipCorrelation } from '../activations/activation.js';
import { correlationMinors, orthant4, starArguments, starIntegral, starNodeCount } from './orthant.js';
import { reluI4WithOrthant } from './relu-i4.js';
import { THETA_MOMENT_REGULARISATION, thetaMoment } from './theta-moment.js';

/*
 * S_kl = Σ_{α,β} c_α c_β E[θ(λ_k) θ(λ_l) relu(h_α) relu(h_β)] for ReLU (docs/theory.md §4.2), organised by
 * field sets instead of index quadruples so that work shared between quadruples is done once.
 *
 * Four distinct fields (u, v | w, z) = (k, l | α, β). Two Stein steps (§1.1; Tallis' second moment of a
 * truncated normal) give, with every quantity taken from the regularised covariance C,
 *
 *   I4 = C_wz P4 + Σ_{pairs {a,b} of the four} coef_ab · D_ab,
 *   coef_ab = C_wa G_a(z,b) + C_wb G_b(z,a),   G_a(x,y) = C_xy − C_xa C_ay / C_aa   (G_a(a,·) = 0),
 *   D_ab = p_ab(0,0) · P2(ρ_{cd·ab}),           p_ab(0,0) = 1/(2π √(C_aa C_bb − C_ab²)),
 *
 * where {c,d} is the complementary pair and ρ_{cd·ab} the partial correlation of (c,d) given (a,b). This
 * is the §1.1 formula "I4 = Σ_j C_wj φ_j J3(S^(j); ·) + C_wz P4" with J3 expanded and its terms grouped by
 * the pair of conditioned fields. P4 and the six D_ab depend only on the 4-field set, which occurs in up to
 * six role assignments (any two of its students as (k,l)); G is a 3-field table and p_ab a 2-field table.
 * For four fields "given the other two" is "given all the rest", so ρ_{cd·ab} = −adj_cd/√(adj_cc adj_dd)
 * from the adjugate of the set's correlation matrix. P4 itself comes from the star-path quadrature of
 * orthant.ts (its node count set by the a-priori error bound there), and is only needed when some role
 * has C_wz ≠ 0: with orthonormal teachers (T = I) the sets of two students and two teachers never need it.
 *
 * Coincident indices (§1.4) are the 2- and 3-field patterns, in closed form with the same tables:
 *   E[relu_u relu_w] = C_uw P2_uw + √det_uw/(2π)                                   (§1.1 I2)
 *   E[θ_u relu_w²]   = C_wu √det_uw/(2π C_uu) + C_ww P2_uw                          (§1.4, I3_relu(u,w,w))
 *   E[θ_u relu_v relu_w] = C_vu φ_u B_u(v,w) + C_vv φ_v B_v(u,w) + C_vw P3(u,v,w)   (Stein on v)
 *   E[θ_u θ_v relu_w²]   = C_wu φ_u B_u(v,w) + C_wv φ_v B_v(u,w) + C_ww P3(u,v,w)   (Stein on one w)
 * with φ_u = 1/√(2π C_uu), B_a(x,y) = E[θ_x relu_y | x_a = 0] = (G_a(y,x)/√G_a(x,x) + √G_a(y,y))/(2√(2π))
 * and P3 Sheppard's formula. E[relu_u²] = C_uu/2.
 *
 * Agreement with the generic θ-moment recursion (relu-i4.ts): the same formulas in exact arithmetic, on
 * the same §1.1-regularised covariance. Round-off differs, by about ε/λ_min of the fields involved, so
 * field sets whose correlation determinant is below CONDITION_FLOOR (near-parallel or near-antiparallel
 * fields, rank-deficient Ω), and any set holding literally identical fields (which §1.4 merges) or a
 * zero-variance field (§7.2), are evaluated by that recursion quadruple by quadruple, exactly as before.
 */

/**
 * Field sets (pairs, triples, 4-sets) whose correlation matrix has a determinant below this go through the
 * generic recursion. The determinant is the product of the eigenvalues, so above it λ_min ≥ 1e-3/64 and
 * the closed forms agree with the recursion to ~1e-13 relative per term (on the near-parallel /
 * antiparallel / teacher-aligned states of the tests the worst disagreement in S was 1e-13 with a floor
 * of 1e-4 and 3e-10 with 1e-6). P4 agrees there too: down to det R = 1e-3 the 48-node two-pair rule of
 * orthant4 is accurate to ~2e-16 (checked against 400 star nodes on random 4×4 covariances of every rank),
 * while below it that rule errs by up to ~1e-10 (det R ~ 1e-5), which the recursion path keeps.
 */
const CONDITION_FLOOR = 1e-3;
const TWO_PI = 2 * Math.PI;
const INV_TWO_PI = 1 / TWO_PI;
const INV_FOUR_PI = 1 / (4 * Math.PI);
const INV_EIGHT_PI = 1 / (8 * Math.PI);
const INV_SQRT_TWO_PI = 1 / Math.sqrt(TWO_PI);
/** 1/(2√(2π)): the prefactor of B_a. */
const HALF_INV_SQRT_TWO_PI = 0.5 * INV_SQRT_TWO_PI;

/** Workspace, grown when n grows; every array is filled anew per call. */
let size = 0;
/** Regularised covariance C (n×n): Ω with C_ii = Ω_ii(1 + 1e-10) (§1.1 "Regularisation"). */
let Cr = new Float64Array(0);
/** Correlations r_ij of C (clipped, §7.1) and asin(r_ij); the diagonal holds 1 and π/2. */
let rho = new Float64Array(0);
let asinRho = new Float64Array(0);
/** √(C_ii C_jj − C_ij²) and the bivariate density at the origin 1/(2π √(C_ii C_jj − C_ij²)). */
let sqrtDet = new Float64Array(0);
let density = new Float64Array(0);
/** 1/√(2π C_ii) (φ_i) and 1/C_ii. */
let phi = new Float64Array(0);
let invVar = new Float64Array(0);
/** G[(a·n + x)·n + y] = G_a(x, y), the covariance of (x, y) given x_a = 0; 0 when x = a or y = a. */
let G = new Float64Array(0);
/** 1: the field takes the generic recursion wherever it occurs (a literal duplicate or a non-positive variance). */
let special = new Uint8Array(0);
/** S accumulator (K×K, upper triangle used). */
let acc = new Float64Array(0);
const C4 = new Float64Array(16);
const C4reg = new Float64Array(16);
const minors = new Float64Array(4);

function grow(n: number, K: number): void {
  callStamp = (callStamp + 1) >>> 0 || 1;
  if (n > size) {
    size = n;
    Cr = new Float64Array(n * n);
    rho = new Float64Array(n * n);
    asinRho = new Float64Array(n * n);
    sqrtDet = new Float64Array(n * n);
    density = new Float64Array(n * n);
    phi = new Float64Array(n);
    invVar = new Float64Array(n);
    G = new Float64Array(n * n * n);
    special = new Uint8Array(n);
    const sets = (n * (n - 1) * (n - 2) * (n - 3)) / 24;
    p4Cache = new Float64Array(sets);
    p4Stamp = new Uint32Array(sets);
  }
  if (acc.length < K * K) acc = new Float64Array(K * K);
}

/** Fill the per-call tables from Ω (n×n). */
function prepare(omega: Float64Array, n: number): void {
  for (let i = 0; i < n * n; i++) Cr[i] = omega[i];
  for (let i = 0; i < n; i++) {
    Cr[i * n + i] *= 1 + THETA_MOMENT_REGULARISATION;
    const v = Cr[i * n + i];
    // §7.2: a zero unit (or a non-finite entry) is left to the recursion, which floors the variance.
    special[i] = v > 1e-200 && v < 1e200 ? 0 : 1;
    phi[i] = INV_SQRT_TWO_PI / Math.sqrt(Math.max(v, VARIANCE_FLOOR));
    invVar[i] = 1 / Math.max(v, VARIANCE_FLOOR);
  }
  for (let i = 0; i < n; i++) {
    const cii = Cr[i * n + i];
    rho[i * n + i] = 1;
    asinRho[i * n + i] = Math.PI / 2;
    sqrtDet[i * n + i] = 0;
    density[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      const cjj = Cr[j * n + j];
      const cij = Cr[i * n + j];
      // §1.4: literally identical fields (Ω_ii = Ω_jj = Ω_ij) are merged by the recursion, not regularised.
      if (omega[i * n + i] === omega[j * n + j] && omega[i * n + j] === omega[i * n + i]) special[i] = special[j] = 1;
      const prod = cii * cjj;
      const r = prod > 0 ? clipCorrelation(cij / Math.sqrt(prod)) : 0;
      const det = Math.max(0, prod - cij * cij);
      const sd = Math.sqrt(det);
      rho[i * n + j] = rho[j * n + i] = r;
      asinRho[i * n + j] = asinRho[j * n + i] = Math.asin(r);
      sqrtDet[i * n + j] = sqrtDet[j * n + i] = sd;
      density[i * n + j] = density[j * n + i] = sd > 0 ? INV_TWO_PI / sd : 0;
    }
  }
  for (let a = 0; a < n; a++) {
    const ia = invVar[a];
    const base = a * n * n;
    for (let x = 0; x < n; x++) {
      const f = Cr[x * n + a] * ia;
      const row = base + x * n;
      for (let y = x; y < n; y++) G[row + y] = G[base + y * n + x] = Cr[x * n + y] - f * Cr[y * n + a];
    }
    for (let x = 0; x < n; x++) G[base + a * n + x] = G[base + x * n + a] = 0;
  }
}

/** det of the correlation matrix of three distinct fields. */
function det3(i: number, j: number, k: number, n: number): number {
  const a = rho[i * n + j];
  const b = rho[i * n + k];
  const c = rho[j * n + k];
  return 1 - a * a - b * b - c * c + 2 * a * b * c;
}

/** Field indices of one quadruple for the recursion paths below (no array literal per call). */
const quad = new Int32Array(4);

/** I4(k, l, α, β) of the generic recursion, exactly as the per-quadruple sum evaluated it (C4 from Ω in slot order). */
function recursionI4(
  omega: Float64Array,
  n: number,
  k: number,
  l: number,
  alpha: number,
  beta: number,
  p4: number,
): number {
  quad[0] = k;
  quad[1] = l;
  quad[2] = alpha;
  quad[3] = beta;
  for (let s = 0; s < 4; s++) for (let t = 0; t < 4; t++) C4[s * 4 + t] = omega[quad[s] * n + quad[t]];
  return reluI4WithOrthant(C4, 0, p4);
}

/** P4 of the sorted 4-set in setFields by orthant4 on its regularised covariance: the value the per-quadruple sum cached. */
function recursionOrthant(omega: Float64Array, n: number): number {
  for (let s = 0; s < 4; s++) for (let t = 0; t < 4; t++) C4reg[s * 4 + t] = omega[setFields[s] * n + setFields[t]];
  for (let s = 0; s < 4; s++) C4reg[s * 5] *= 1 + THETA_MOMENT_REGULARISATION;
  return orthant4(C4reg);
}

/** E[θ_x relu_y | x_a = 0] for distinct a, x, y (see the header). */
function condThetaRelu(a: number, x: number, y: number, n: number): number {
  const base = a * n * n;
  return (
    (G[base + y * n + x] / Math.sqrt(G[base + x * n + x]) + Math.sqrt(Math.max(0, G[base + y * n + y]))) *
    HALF_INV_SQRT_TWO_PI
  );
}

/**
 * The six D_ab of the current 4-set by pair position (01, 02, 03, 12, 13, 23) and its P4 at index 6.
 * Shared through arrays, not arguments: V8 boxes doubles passed to functions it does not inline.
 */
const setValues = new Float64Array(7);
/** The set's correlations (r01, r02, r03, r12, r13, r23), and starIntegral's arguments. */
const corr6 = new Float64Array(6);
const starArgs = new Float64Array(6);
/**
 * Role r of a 4-set: θ pair (slots ROLE_SLOTS[4r], [4r+1]) and relu pair ([4r+2] < [4r+3]); ROLE_PAIRS
 * lists the positions in setValues of D_uv, D_uw, D_vw, D_uz, D_vz, D_wz. Roles 0..2 need three
 * students (slots 0..2), roles 3..5 four; role 0 is the only one with two.
 */
const ROLE_SLOTS = Int32Array.of(0, 1, 2, 3, 0, 2, 1, 3, 1, 2, 0, 3, 0, 3, 1, 2, 1, 3, 0, 2, 2, 3, 0, 1);
const ROLE_PAIRS = Int32Array.of(
  0,
  1,
  3,
  2,
  4,
  5,
  1,
  0,
  3,
  2,
  5,
  4,
  3,
  0,
  1,
  4,
  5,
  2,
  2,
  0,
  4,
  1,
  5,
  3,
  4,
  0,
  2,
  3,
  5,
  1,
  5,
  1,
  2,
  3,
  4,
  0,
);
const setFields = new Int32Array(4);

/**
 * The I4 sum of the 4-field set in setFields (sorted, the first two students: students precede teachers
 * in the field order, §0), added to acc. Returns false when the set must take the generic recursion
 * (ill-conditioned), having added nothing.
 */
function fourFieldSet(c: Float64Array, K: number, n: number): boolean {
  const i0 = setFields[0];
  const i1 = setFields[1];
  const i2 = setFields[2];
  const i3 = setFields[3];
  const r01 = rho[i0 * n + i1];
  const r02 = rho[i0 * n + i2];
  const r03 = rho[i0 * n + i3];
  const r12 = rho[i1 * n + i2];
  const r13 = rho[i1 * n + i3];
  const r23 = rho[i2 * n + i3];
  const det = correlationMinors(r01, r02, r03, r12, r13, r23, minors);
  if (!(det >= CONDITION_FLOOR)) return false;

  const c0 = c[i0];
  const c1 = c[i1];
  const c2 = c[i2];
  const c3 = c[i3];
  const roles = i3 < K ? 6 : i2 < K ? 3 : 1;
  // P4 is needed when a role (θ pair of students | relu pair w, z) has C_wz ≠ 0 and c_w c_z ≠ 0.
  let needP4 = c2 !== 0 && c3 !== 0 && Cr[i2 * n + i3] !== 0;
  if (roles >= 3)
    needP4 ||= (c1 !== 0 && c3 !== 0 && Cr[i1 * n + i3] !== 0) || (c0 !== 0 && c3 !== 0 && Cr[i0 * n + i3] !== 0);
  if (roles === 6)
    needP4 ||=
      (c1 !== 0 && c2 !== 0 && Cr[i1 * n + i2] !== 0) ||
      (c0 !== 0 && c2 !== 0 && Cr[i0 * n + i2] !== 0) ||
      (c0 !== 0 && c1 !== 0 && Cr[i0 * n + i1] !== 0);
  if (needP4) {
    let centre = 0;
    for (let i = 1; i < 4; i++) if (minors[i] < minors[centre]) centre = i;
    const M = starNodeCount(1 - det / minors[centre]);
    if (M === 0) return false;
    corr6[0] = r01;
    corr6[1] = r02;
    corr6[2] = r03;
    corr6[3] = r12;
    corr6[4] = r13;
    corr6[5] = r23;
    starArguments(centre, corr6, starArgs);
    setValues[6] =
      0.0625 +
      (asinRho[i0 * n + i1] +
        asinRho[i0 * n + i2] +
        asinRho[i0 * n + i3] +
        asinRho[i1 * n + i2] +
        asinRho[i1 * n + i3] +
        asinRho[i2 * n + i3]) *
        INV_EIGHT_PI +
      starIntegral(starArgs, M);
  }

  // Off-diagonal adjugate entries of the correlation matrix (the minors array holds the diagonal): the
  // partial correlation of (c,d) given the other two is −adj_cd/√(adj_cc adj_dd).
  const s0 = 1 - r01 * r01;
  const s1 = r12 - r01 * r02;
  const s2 = r13 - r01 * r03;
  const s3 = r01 * r12 - r02;
  const s4 = r01 * r13 - r03;
  const s5 = r02 * r13 - r12 * r03;
  const t5 = 1 - r23 * r23;
  const t4 = r12 - r13 * r23;
  const t3 = r12 * r23 - r13;
  const b01 = -r01 * t5 + r02 * t4 - r03 * t3;
  const b02 = r13 * s5 - r23 * s4 + s3;
  const b03 = -r12 * s5 + s4 - r23 * s3;
  const b12 = -r03 * s5 + r23 * s2 - s1;
  const b13 = r02 * s5 - s2 + r23 * s1;
  const b23 = -r02 * s4 + r12 * s2 - r23 * s0;
  const q0 = 1 / Math.sqrt(minors[0]);
  const q1 = 1 / Math.sqrt(minors[1]);
  const q2 = 1 / Math.sqrt(minors[2]);
  const q3 = 1 / Math.sqrt(minors[3]);
  // D_ab = p_ab(0,0)·P2(ρ_{cd·ab}).
  setValues[0] = density[i0 * n + i1] * (0.25 + Math.asin(clipCorrelation(-b23 * q2 * q3)) * INV_TWO_PI);
  setValues[1] = density[i0 * n + i2] * (0.25 + Math.asin(clipCorrelation(-b13 * q1 * q3)) * INV_TWO_PI);
  setValues[2] = density[i0 * n + i3] * (0.25 + Math.asin(clipCorrelation(-b12 * q1 * q2)) * INV_TWO_PI);
  setValues[3] = density[i1 * n + i2] * (0.25 + Math.asin(clipCorrelation(-b03 * q0 * q3)) * INV_TWO_PI);
  setValues[4] = density[i1 * n + i3] * (0.25 + Math.asin(clipCorrelation(-b02 * q0 * q2)) * INV_TWO_PI);
  setValues[5] = density[i2 * n + i3] * (0.25 + Math.asin(clipCorrelation(-b01 * q0 * q1)) * INV_TWO_PI);
  for (let r = 0; r < roles; r++) role(c, K, n, r, needP4);
  return true;
}

/**
 * Role r of the current set (ROLE_SLOTS): acc_uv += 2 c_w c_z I4(u, v, w, z) (α < β: both orders), with
 * I4 = C_wz P4 + Σ coef_ab D_ab (header). The pairs holding z have one term because G_z(z, ·) = 0.
 */
function role(c: Float64Array, K: number, n: number, r: number, withP4: boolean): void {
  const u = setFields[ROLE_SLOTS[4 * r]];
  const v = setFields[ROLE_SLOTS[4 * r + 1]];
  const w = setFields[ROLE_SLOTS[4 * r + 2]];
  const z = setFields[ROLE_SLOTS[4 * r + 3]];
  const cw = c[w];
  const cz = c[z];
  if (cw === 0 || cz === 0) return;
  const p = 6 * r;
  const nn = n * n;
  const gu = u * nn + z * n;
  const gv = v * nn + z * n;
  const gw = w * nn + z * n;
  const cwu = Cr[w * n + u];
  const cwv = Cr[w * n + v];
  const cww = Cr[w * n + w];
  const cwz = Cr[w * n + z];
  const i4 =
    (withP4 && cwz !== 0 ? cwz * setValues[6] : 0) +
    (cwu * G[gu + v] + cwv * G[gv + u]) * setValues[ROLE_PAIRS[p]] +
    (cwu * G[gu + w] + cww * G[gw + u]) * setValues[ROLE_PAIRS[p + 1]] +
    (cwv * G[gv + w] + cww * G[gw + v]) * setValues[ROLE_PAIRS[p + 2]] +
    cwu * G[gu + z] * setValues[ROLE_PAIRS[p + 3]] +
    cwv * G[gv + z] * setValues[ROLE_PAIRS[p + 4]] +
    cww * G[gw + z] * setValues[ROLE_PAIRS[p + 5]];
  acc[u * K + v] += 2 * cw * cz * i4;
}

/**
 * S (K×K, row-major, symmetric) for ReLU (slope 0) or leaky ReLU (slope α, §1.3): the same value as
 * Σ_{α≤β} (2 − δ_αβ) c_α c_β I4(k,l,α,β) over k ≤ l with reluI4 (relu-i4.ts) per quadruple and the 4-set
 * P4 shared, which is what sgd-term.ts computed before; see the headers for the organisation. `omega` is
 * Ω (n×n), `c` the signed coefficients.
 */
export function reluSecondMoment(
  slope: number,
  omega: Float64Array,
  c: Float64Array,
  K: number,
  n: number,
  out: Float64Array,
): void {
  grow(n, K);
  prepare(omega, n);
  acc.fill(0, 0, K * K);
  if (slope !== 0 && leakyRowsGeneric(c, K, n)) {
    // Every entry takes the per-quadruple sum (e.g. students converged onto teachers): skip the ReLU part.
    for (let k = 0; k < K; k++) for (let l = k; l < K; l++) acc[k * K + l] = genericEntry(slope, omega, c, n, k, l);
    writeSymmetric(K, out);
    return;
  }

  // Four distinct fields: sets {i0 < i1 < i2 < i3} with at least two students (i0, i1 < K).
  for (let i0 = 0; i0 < K; i0++) {
    for (let i1 = i0 + 1; i1 < K; i1++) {
      for (let i2 = i1 + 1; i2 < n; i2++) {
        for (let i3 = i2 + 1; i3 < n; i3++) {
          setFields[0] = i0;
          setFields[1] = i1;
          setFields[2] = i2;
          setFields[3] = i3;
          if ((special[i0] | special[i1] | special[i2] | special[i3]) === 0 && fourFieldSet(c, K, n)) continue;
          recursionSet(omega, c, K, n);
        }
      }
    }
  }

  for (let k = 0; k < K; k++) {
    const ck = c[k];
    for (let l = k + 1; l < K; l++) {
      const cl = c[l];
      // Three fields (k, l, α): α = β (θ_k θ_l relu_α²) and one relu slot on k or l (θ_l relu_k relu_α,
      // θ_k relu_l relu_α). Old quadruple order: (k, l, α, α), (k, l, min(k,α), max(k,α)), likewise for l.
      for (let a = 0; a < n; a++) {
        if (a === k || a === l) continue;
        const ca = c[a];
        if (ca === 0) continue;
        if ((special[k] | special[l] | special[a]) === 0 && det3(k, l, a, n) >= CONDITION_FLOOR) {
          const Bk = condThetaRelu(k, l, a, n); // E[θ_l relu_α | x_k = 0]
          const Bl = condThetaRelu(l, k, a, n); // E[θ_k relu_α | x_l = 0]
          const p3 = 0.125 + (asinRho[k * n + l] + asinRho[k * n + a] + asinRho[l * n + a]) * INV_FOUR_PI;
          const tk = phi[k] * Bk;
          const tl = phi[l] * Bl;
          const cka = Cr[k * n + a];
          const cla = Cr[l * n + a];
          const ckl = Cr[k * n + l];
          let s = ca * (cka * tk + cla * tl + Cr[a * n + a] * p3); // θ_k θ_l relu_α²
          if (ck !== 0) s += 2 * ck * (ckl * tl + Cr[k * n + k] * tk + cka * p3); // θ_l relu_k relu_α
          if (cl !== 0) s += 2 * cl * (ckl * tk + Cr[l * n + l] * tl + cla * p3); // θ_k relu_l relu_α
          acc[k * K + l] += ca * s;
        } else {
          let s = ca * recursionI4(omega, n, k, l, a, a, Number.NaN);
          if (ck !== 0) s += 2 * ck * recursionI4(omega, n, k, l, Math.min(k, a), Math.max(k, a), Number.NaN);
          if (cl !== 0) s += 2 * cl * recursionI4(omega, n, k, l, Math.min(l, a), Math.max(l, a), Number.NaN);
          acc[k * K + l] += ca * s;
        }
      }
      // Two fields: (k, l, k, k) θ_l relu_k², (k, l, l, l) θ_k relu_l², (k, l, k, l) relu_k relu_l.
      if ((special[k] | special[l]) === 0 && 1 - rho[k * n + l] * rho[k * n + l] >= CONDITION_FLOOR) {
        const ckl = Cr[k * n + l];
        const p2 = 0.25 + asinRho[k * n + l] * INV_TWO_PI;
        const sd = sqrtDet[k * n + l];
        let s = 0;
        if (ck !== 0) s += ck * ck * (ckl * sd * INV_TWO_PI * invVar[l] + Cr[k * n + k] * p2);
        if (cl !== 0) s += cl * cl * (ckl * sd * INV_TWO_PI * invVar[k] + Cr[l * n + l] * p2);
        if (ck !== 0 && cl !== 0) s += 2 * ck * cl * (ckl * p2 + sd * INV_TWO_PI);
        acc[k * K + l] += s;
      } else {
        let s = 0;
        if (ck !== 0) s += ck * ck * recursionI4(omega, n, k, l, k, k, Number.NaN);
        if (cl !== 0) s += cl * cl * recursionI4(omega, n, k, l, l, l, Number.NaN);
        if (ck !== 0 && cl !== 0) s += 2 * ck * cl * recursionI4(omega, n, k, l, k, l, Number.NaN);
        acc[k * K + l] += s;
      }
    }

    // k = l. Three fields (k | α, β), α < β: θ_k relu_α relu_β, Stein on α.
    let s = 0;
    for (let a = 0; a < n; a++) {
      if (a === k) continue;
      const ca = c[a];
      if (ca === 0) continue;
      let sa = 0;
      for (let b = a + 1; b < n; b++) {
        if (b === k) continue;
        const cb = c[b];
        if (cb === 0) continue;
        if ((special[k] | special[a] | special[b]) === 0 && det3(k, a, b, n) >= CONDITION_FLOOR) {
          const p3 = 0.125 + (asinRho[k * n + a] + asinRho[k * n + b] + asinRho[a * n + b]) * INV_FOUR_PI;
          sa +=
            cb *
            (Cr[a * n + k] * phi[k] * condThetaRelu(k, a, b, n) +
              Cr[a * n + a] * phi[a] * condThetaRelu(a, k, b, n) +
              Cr[a * n + b] * p3);
        } else {
          sa += cb * recursionI4(omega, n, k, k, a, b, Number.NaN);
        }
      }
      s += 2 * ca * sa;
      // Two fields (k | α): θ_k relu_α² (k, k, α, α) and relu_k relu_α (k, k, min, max).
      if ((special[k] | special[a]) === 0 && 1 - rho[k * n + a] * rho[k * n + a] >= CONDITION_FLOOR) {
        const cka = Cr[k * n + a];
        const p2 = 0.25 + asinRho[k * n + a] * INV_TWO_PI;
        const sd = sqrtDet[k * n + a];
        s += ca * ca * (cka * sd * INV_TWO_PI * invVar[k] + Cr[a * n + a] * p2);
        if (ck !== 0) s += 2 * ck * ca * (cka * p2 + sd * INV_TWO_PI);
      } else {
        s += ca * ca * recursionI4(omega, n, k, k, a, a, Number.NaN);
        if (ck !== 0) s += 2 * ck * ca * recursionI4(omega, n, k, k, Math.min(k, a), Math.max(k, a), Number.NaN);
      }
    }
    // One field: E[relu_k²] = C_kk/2 (regularised, as the recursion evaluates it).
    if (ck !== 0)
      s += ck * ck * (special[k] === 0 ? 0.5 * Cr[k * n + k] : recursionI4(omega, n, k, k, k, k, Number.NaN));
    acc[k * K + k] += s;
  }

  if (slope !== 0) leakyCombination(slope, omega, c, K, n);
  writeSymmetric(K, out);
}

/** out = acc (upper triangle) mirrored. */
function writeSymmetric(K: number, out: Float64Array): void {
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) {
      out[k * K + l] = acc[k * K + l];
      out[l * K + k] = acc[k * K + l];
    }
  }
}

/** Every role of the sorted 4-set in setFields by the generic recursion, with the P4 the per-quadruple sum cached. */
function recursionSet(omega: Float64Array, c: Float64Array, K: number, n: number): void {
  const roles = setFields[3] < K ? 6 : setFields[2] < K ? 3 : 1;
  let p4 = Number.NaN;
  for (let r = 0; r < roles; r++) {
    const u = setFields[ROLE_SLOTS[4 * r]];
    const v = setFields[ROLE_SLOTS[4 * r + 1]];
    const w = setFields[ROLE_SLOTS[4 * r + 2]];
    const z = setFields[ROLE_SLOTS[4 * r + 3]];
    if (c[w] === 0 || c[z] === 0) continue;
    if (Number.isNaN(p4)) p4 = recursionOrthant(omega, n);
    acc[u * K + v] += 2 * c[w] * c[z] * recursionI4(omega, n, u, v, w, z, p4);
  }
}

/*
 * Leaky ReLU, g = a·x + b·relu(x), g′ = a + b·θ (a = slope, b = 1 − a; docs/theory.md §1.3). Expanding the
 * sixteen branches of every I4 and summing over (α, β) first, with L = Σ_γ c_γ h_γ (one Gaussian
 * variable) and E = Σ_γ c_γ relu(h_γ):
 *
 *   S_kl = E[(a + bθ_k)(a + bθ_l)(aL + bE)²] = a²T(∅) + ab(T(k) + T(l)) + b²T(kl)   (k ≠ l),
 *   S_kk = a²T(∅) + (2ab + b²)T(k),     T(Θ) = a² E[Θ L²] + 2ab E[Θ L E] + b² E[Θ E²].
 *
 * E[θ_k θ_l E²] and E[θ_k E²] are the ReLU S_kl and S_kk (acc, computed first); the others are elementary,
 * by Stein on L with v_j = Cov(L, h_j) = Σ_γ c_γ C_γj, V = Var L:
 *   E[L²] = V,  E[θ_k L²] = V/2,  E[θ_k θ_l L²] = V P2_kl + p_kl(0,0)[v_k(v_l − v_k C_kl/C_kk) + v_l(v_k − v_l C_kl/C_ll)],
 *   E[L E] = Σ_γ c_γ v_γ/2,  E[θ_k L E] = Σ_γ c_γ [v_k √det_kγ/(2π C_kk) + v_γ P2_kγ],
 *   E[θ_k θ_l L E] = Σ_γ c_γ [v_k φ_k B_k(l,γ) + v_l φ_l B_l(k,γ) + v_γ P3(k,l,γ)],
 *   E[E²] = Σ_{α,β} c_α c_β E[relu_α relu_β].
 * The coincident terms (γ ∈ {k, l}) are the same formulas with G_a(a,·) = 0, asin r_aa = π/2, det_aa = 0,
 * which is what merging identical fields (§1.4) gives; L carries the regularised variances, as every
 * merged field of the per-quadruple sum does (§1.1). An entry whose pairs (k,γ), (l,γ) or triples
 * (k,l,γ) fall below CONDITION_FLOOR, or that meets a special field, is summed quadruple by quadruple
 * through reluI4 as before (genericEntry).
 */

/** v_j = Cov(L, h_j) on the regularised covariance, and E[θ_k L E] per student. */
let covL = new Float64Array(0);
let thetaLE = new Float64Array(0);
/** 1: row k of S takes genericEntry (leakyRowsGeneric). */
let rowGeneric = new Uint8Array(0);
/** θ flags and powers of E[relu_α relu_β] for thetaMoment, and its 2×2 covariance. */
const PAIR_THETAS = Int32Array.of(1, 1);
const PAIR_POWERS = Int32Array.of(1, 1);
const C2 = new Float64Array(4);

/**
 * Fill rowGeneric (1: student k is special or meets a pair (k, γ), c_γ ≠ 0, below CONDITION_FLOOR) and
 * report whether every row is generic, including when a special field sits inside L or E (c_γ ≠ 0): the
 * per-quadruple sum merges it with its duplicate, the decomposition would not.
 */
function leakyRowsGeneric(c: Float64Array, K: number, n: number): boolean {
  if (rowGeneric.length < n) rowGeneric = new Uint8Array(n);
  let all = true;
  let specialInSums = false;
  for (let g = 0; g < n; g++) if (special[g] !== 0 && c[g] !== 0) specialInSums = true;
  for (let k = 0; k < K; k++) {
    let generic = specialInSums || special[k] !== 0;
    for (let g = 0; g < n && !generic; g++) {
      const r = rho[k * n + g];
      if (g !== k && c[g] !== 0 && !(1 - r * r >= CONDITION_FLOOR)) generic = true;
    }
    rowGeneric[k] = generic ? 1 : 0;
    all &&= generic;
  }
  return all;
}

/** Turn the ReLU sums in acc into the leaky S (header above); rowGeneric is set by leakyRowsGeneric. */
function leakyCombination(slope: number, omega: Float64Array, c: Float64Array, K: number, n: number): void {
  if (covL.length < n) {
    covL = new Float64Array(n);
    thetaLE = new Float64Array(n);
  }
  const a = slope;
  const b = 1 - slope;
  let V = 0;
  let LE = 0;
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let g = 0; g < n; g++) if (c[g] !== 0) v += c[g] * Cr[g * n + j];
    covL[j] = v;
    V += c[j] * v;
    LE += 0.5 * c[j] * v;
  }
  // E[E²]: α = β gives E[relu²] = C_αα/2; a pair below the floor takes the recursion, as its I4 terms did.
  let EE = 0;
  for (let al = 0; al < n; al++) {
    const ca = c[al];
    if (ca === 0) continue;
    EE += ca * ca * 0.5 * Cr[al * n + al];
    for (let be = al + 1; be < n; be++) {
      const cb = c[be];
      if (cb === 0) continue;
      const r = rho[al * n + be];
      let i2: number;
      if (1 - r * r >= CONDITION_FLOOR) {
        i2 = Cr[al * n + be] * (0.25 + asinRho[al * n + be] * INV_TWO_PI) + sqrtDet[al * n + be] * INV_TWO_PI;
      } else {
        C2[0] = omega[al * n + al];
        C2[1] = C2[2] = omega[al * n + be];
        C2[3] = omega[be * n + be];
        i2 = thetaMoment(C2, 2, PAIR_THETAS, PAIR_POWERS);
      }
      EE += 2 * ca * cb * i2;
    }
  }
  for (let k = 0; k < K; k++) {
    if (rowGeneric[k] !== 0) continue;
    let w = 0;
    const vk = covL[k];
    for (let g = 0; g < n; g++) {
      const cg = c[g];
      if (cg === 0) continue;
      w += cg * (vk * sqrtDet[k * n + g] * invVar[k] * INV_TWO_PI + covL[g] * (0.25 + asinRho[k * n + g] * INV_TWO_PI));
    }
    thetaLE[k] = w;
  }
  const a2 = a * a;
  const ab2 = 2 * a * b;
  const b2 = b * b;
  const tEmpty = a2 * V + ab2 * LE + b2 * EE;
  for (let k = 0; k < K; k++) {
    if (rowGeneric[k] !== 0) continue;
    // T(k), reading E[θ_k E²] = acc_kk before the last loop below replaces acc_kk by S_kk.
    thetaLE[k] = a2 * 0.5 * V + ab2 * thetaLE[k] + b2 * acc[k * K + k];
  }
  for (let k = 0; k < K; k++) {
    for (let l = k + 1; l < K; l++) {
      const r = rho[k * n + l];
      if (rowGeneric[k] !== 0 || rowGeneric[l] !== 0 || !(1 - r * r >= CONDITION_FLOOR)) {
        acc[k * K + l] = genericEntry(slope, omega, c, n, k, l);
        continue;
      }
      const vk = covL[k];
      const vl = covL[l];
      const ckl = Cr[k * n + l];
      const p2 = 0.25 + asinRho[k * n + l] * INV_TWO_PI;
      const thetaThetaLL =
        V * p2 + density[k * n + l] * (vk * (vl - vk * ckl * invVar[k]) + vl * (vk - vl * ckl * invVar[l]));
      let thetaThetaLE = 0;
      let ok = true;
      for (let g = 0; g < n; g++) {
        const cg = c[g];
        if (cg === 0) continue;
        if (g !== k && g !== l && !(det3(k, l, g, n) >= CONDITION_FLOOR)) {
          ok = false;
          break;
        }
        const p3 = 0.125 + (asinRho[k * n + l] + asinRho[k * n + g] + asinRho[l * n + g]) * INV_FOUR_PI;
        thetaThetaLE +=
          cg * (vk * phi[k] * condThetaRelu(k, l, g, n) + vl * phi[l] * condThetaRelu(l, k, g, n) + covL[g] * p3);
      }
      if (!ok) {
        acc[k * K + l] = genericEntry(slope, omega, c, n, k, l);
        continue;
      }
      const tkl = a2 * thetaThetaLL + ab2 * thetaThetaLE + b2 * acc[k * K + l];
      acc[k * K + l] = a2 * tEmpty + a * b * (thetaLE[k] + thetaLE[l]) + b2 * tkl;
    }
  }
  for (let k = 0; k < K; k++) {
    acc[k * K + k] =
      rowGeneric[k] !== 0 ? genericEntry(slope, omega, c, n, k, k) : a2 * tEmpty + (ab2 + b2) * thetaLE[k];
  }
}

/** P4 by 4-set rank for genericEntry, valid when its stamp equals the current call's. */
let p4Cache = new Float64Array(0);
let p4Stamp = new Uint32Array(0);
let callStamp = 0;

/**
 * S_kl quadruple by quadruple through reluI4 (α ≤ β, in the order and with the P4 of the per-quadruple
 * sum: orthant4 of each index-distinct 4-set in increasing field order).
 */
function genericEntry(slope: number, omega: Float64Array, c: Float64Array, n: number, k: number, l: number): number {
  let s = 0;
  for (let al = 0; al < n; al++) {
    const ca = c[al];
    if (ca === 0) continue;
    for (let be = al; be < n; be++) {
      const cb = c[be];
      if (cb === 0) continue;
      let p4 = Number.NaN;
      if (k !== l && al !== be && al !== k && al !== l && be !== k && be !== l) {
        // Sort the four indices into setFields (k < l and α < β: merge two sorted pairs).
        setFields[0] = Math.min(k, al);
        setFields[3] = Math.max(l, be);
        const m1 = Math.max(k, al);
        const m2 = Math.min(l, be);
        setFields[1] = Math.min(m1, m2);
        setFields[2] = Math.max(m1, m2);
        // One P4 per 4-set and call, shared by the entries it occurs in (combinatorial rank as the key).
        const rank =
          setFields[0] +
          (setFields[1] * (setFields[1] - 1)) / 2 +
          (setFields[2] * (setFields[2] - 1) * (setFields[2] - 2)) / 6 +
          (setFields[3] * (setFields[3] - 1) * (setFields[3] - 2) * (setFields[3] - 3)) / 24;
        if (p4Stamp[rank] === callStamp) {
          p4 = p4Cache[rank];
        } else {
          p4 = recursionOrthant(omega, n);
          p4Cache[rank] = p4;
          p4Stamp[rank] = callStamp;
        }
      }
      quad[0] = k;
      quad[1] = l;
      quad[2] = al;
      quad[3] = be;
      for (let s1 = 0; s1 < 4; s1++) for (let t = 0; t < 4; t++) C4[s1 * 4 + t] = omega[quad[s1] * n + quad[t]];
      s += (al === be ? ca * ca : 2 * ca * cb) * reluI4WithOrthant(C4, slope, p4);
    }
  }
  return s;
}
