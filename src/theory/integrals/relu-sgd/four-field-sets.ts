import { clipCorrelation } from '../../activations/activation.js';
import { correlationMinors, starArguments, starIntegral, starNodeCount } from '../orthant.js';
import { recursionI4, recursionOrthant } from './generic-recursion.js';
import { CONDITION_FLOOR, INV_EIGHT_PI, INV_TWO_PI, workspace } from './workspace.js';

/*
 * Four distinct fields of the ReLU SGD second moment (second-moment.ts): P4 and the six D_ab of a 4-field
 * set, shared by its up to six role assignments.
 */

/** The fields of the current 4-set, sorted. */
const setFields = new Int32Array(4);
/** The principal 3×3 minors of the current set's correlation matrix (correlationMinors). */
const minors = new Float64Array(4);
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

/**
 * Add the four-distinct-field terms of S to acc: every set {i0 < i1 < i2 < i3} with at least two students
 * (i0, i1 < K) in closed form (fourFieldSet), or by the generic recursion where that declines.
 */
export function addFourFieldSets(omega: Float64Array, c: Float64Array, K: number, n: number): void {
  const { special } = workspace;
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
}

/**
 * The I4 sum of the 4-field set in setFields (sorted, the first two students: students precede teachers
 * in the field order, §0), added to acc. Returns false when the set must take the generic recursion
 * (ill-conditioned), having added nothing.
 */
function fourFieldSet(c: Float64Array, K: number, n: number): boolean {
  const { Cr, rho, asinRho, density, G, acc } = workspace;
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
  for (let r = 0; r < roles; r++) role(c, K, n, r, needP4, Cr, G, acc);
  return true;
}

/**
 * Role r of the current set (ROLE_SLOTS): acc_uv += 2 c_w c_z I4(u, v, w, z) (α < β: both orders), with
 * I4 = C_wz P4 + Σ coef_ab D_ab (header of second-moment.ts). The pairs holding z have one term because
 * G_z(z, ·) = 0. Cr, G and acc are the workspace's, passed in by fourFieldSet.
 */
function role(
  c: Float64Array,
  K: number,
  n: number,
  r: number,
  withP4: boolean,
  Cr: Float64Array,
  G: Float64Array,
  acc: Float64Array,
): void {
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

/** Every role of the sorted 4-set in setFields by the generic recursion, with the P4 the per-quadruple sum cached. */
function recursionSet(omega: Float64Array, c: Float64Array, K: number, n: number): void {
  const { acc } = workspace;
  const roles = setFields[3] < K ? 6 : setFields[2] < K ? 3 : 1;
  let p4 = Number.NaN;
  for (let r = 0; r < roles; r++) {
    const u = setFields[ROLE_SLOTS[4 * r]];
    const v = setFields[ROLE_SLOTS[4 * r + 1]];
    const w = setFields[ROLE_SLOTS[4 * r + 2]];
    const z = setFields[ROLE_SLOTS[4 * r + 3]];
    if (c[w] === 0 || c[z] === 0) continue;
    if (Number.isNaN(p4)) p4 = recursionOrthant(omega, n, setFields);
    acc[u * K + v] += 2 * c[w] * c[z] * recursionI4(omega, n, u, v, w, z, p4);
  }
}
