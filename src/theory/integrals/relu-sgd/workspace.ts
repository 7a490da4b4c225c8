import { VARIANCE_FLOOR, clipCorrelation } from '../../activations/activation.js';
import { THETA_MOMENT_REGULARISATION } from '../theta-moment.js';

/*
 * The per-call tables of the ReLU SGD second moment (second-moment.ts), shared by its field-set paths:
 * one workspace object whose arrays growWorkspace() replaces when n grows (an ES module cannot reassign
 * an imported binding), filled anew from Ω by prepareTables() on every call.
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
export const CONDITION_FLOOR = 1e-3;
const TWO_PI = 2 * Math.PI;
export const INV_TWO_PI = 1 / TWO_PI;
export const INV_FOUR_PI = 1 / (4 * Math.PI);
export const INV_EIGHT_PI = 1 / (8 * Math.PI);
const INV_SQRT_TWO_PI = 1 / Math.sqrt(TWO_PI);
/** 1/(2√(2π)): the prefactor of B_a. */
const HALF_INV_SQRT_TWO_PI = 0.5 * INV_SQRT_TWO_PI;

/** Workspace, grown when n grows; every array is filled anew per call. */
export const workspace = {
  size: 0,
  /** Regularised covariance C (n×n): Ω with C_ii = Ω_ii(1 + 1e-10) (§1.1 "Regularisation"). */
  Cr: new Float64Array(0),
  /** Correlations r_ij of C (clipped, §7.1) and asin(r_ij); the diagonal holds 1 and π/2. */
  rho: new Float64Array(0),
  asinRho: new Float64Array(0),
  /** √(C_ii C_jj − C_ij²) and the bivariate density at the origin 1/(2π √(C_ii C_jj − C_ij²)). */
  sqrtDet: new Float64Array(0),
  density: new Float64Array(0),
  /** 1/√(2π C_ii) (φ_i) and 1/C_ii. */
  phi: new Float64Array(0),
  invVar: new Float64Array(0),
  /** G[(a·n + x)·n + y] = G_a(x, y), the covariance of (x, y) given x_a = 0; 0 when x = a or y = a. */
  G: new Float64Array(0),
  /** 1: the field takes the generic recursion wherever it occurs (a literal duplicate or a non-positive variance). */
  special: new Uint8Array(0),
  /** S accumulator (K×K, upper triangle used). */
  acc: new Float64Array(0),
  /** P4 by 4-set rank for genericEntry (generic-recursion.ts), valid when its stamp equals the current call's. */
  p4Cache: new Float64Array(0),
  p4Stamp: new Uint32Array(0),
  callStamp: 0,
};

/** Start a call: a new P4 stamp, and larger arrays when n or K grew. */
export function growWorkspace(n: number, K: number): void {
  workspace.callStamp = (workspace.callStamp + 1) >>> 0 || 1;
  if (n > workspace.size) {
    workspace.size = n;
    workspace.Cr = new Float64Array(n * n);
    workspace.rho = new Float64Array(n * n);
    workspace.asinRho = new Float64Array(n * n);
    workspace.sqrtDet = new Float64Array(n * n);
    workspace.density = new Float64Array(n * n);
    workspace.phi = new Float64Array(n);
    workspace.invVar = new Float64Array(n);
    workspace.G = new Float64Array(n * n * n);
    workspace.special = new Uint8Array(n);
    const sets = (n * (n - 1) * (n - 2) * (n - 3)) / 24;
    workspace.p4Cache = new Float64Array(sets);
    workspace.p4Stamp = new Uint32Array(sets);
  }
  if (workspace.acc.length < K * K) workspace.acc = new Float64Array(K * K);
}

/** Fill the per-call tables from Ω (n×n). */
export function prepareTables(omega: Float64Array, n: number): void {
  const { Cr, rho, asinRho, sqrtDet, density, phi, invVar, G, special } = workspace;
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

/** det of the correlation matrix of three distinct fields (rho: workspace.rho). */
export function det3(rho: Float64Array, i: number, j: number, k: number, n: number): number {
  const a = rho[i * n + j];
  const b = rho[i * n + k];
  const c = rho[j * n + k];
  return 1 - a * a - b * b - c * c + 2 * a * b * c;
}

/** E[θ_x relu_y | x_a = 0] for distinct a, x, y (see the header of second-moment.ts; G: workspace.G). */
export function condThetaRelu(G: Float64Array, a: number, x: number, y: number, n: number): number {
  const base = a * n * n;
  return (
    (G[base + y * n + x] / Math.sqrt(G[base + x * n + x]) + Math.sqrt(Math.max(0, G[base + y * n + y]))) *
    HALF_INV_SQRT_TWO_PI
  );
}
