import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InputError } from '../../model/errors.js';
import { relu } from '../activations/relu.js';
import { rowGram } from '../init.js';
import { steinCoefficients } from '../stein.js';
import { type WeightPoint, stackedRows } from './weights.js';

/** Eigenvalues of a symmetric P×P matrix (row-major), ascending (ml-matrix, Householder + QL). */
export function symmetricEigenvalues(H: Float64Array, P: number): number[] {
  const eig = new EigenvalueDecomposition(Matrix.from1DArray(P, P, H.subarray(0, P * P)), { assumeSymmetric: true });
  return Array.from(eig.realEigenvalues).sort((x, y) => x - y);
}

export interface EigenvalueGroup {
  value: number;
  multiplicity: number;
}

/**
 * Distinct eigenvalues with multiplicities: sorted values are chained into one group while consecutive
 * ones differ by at most `tolerance` (absolute); a group's value is its mean.
 */
export function groupEigenvalues(values: ArrayLike<number>, tolerance: number): EigenvalueGroup[] {
  const sorted = Array.from(values).sort((x, y) => x - y);
  const groups: { sum: number; count: number; last: number }[] = [];
  for (const v of sorted) {
    const g = groups[groups.length - 1];
    if (g !== undefined && v - g.last <= tolerance) {
      g.sum += v;
      g.count++;
      g.last = v;
    } else groups.push({ sum: v, count: 1, last: v });
  }
  return groups.map((g) => ({ value: g.sum / g.count, multiplicity: g.count }));
}

/** Real eigenvalues of a small (possibly nonsymmetric, but diagonalisable with real spectrum) matrix. */
function realEigenvalues(rows: number[][]): number[] {
  return new EigenvalueDecomposition(new Matrix(rows)).realEigenvalues;
}

/**
 * The derived Hessian spectrum at the Arjevani–Field global minimum V = V* = I_K, a = v = 1, k = d = K ≥ 3
 * (docs/hessian.md "Spectrum at the global minimum"). There H(Δ) = ¼Δ + ¼·11ᵀΔ + (1/2π)[offdiag(Δᵀ) +
 * diag(tr Δ − Δ_kk)] on Δ ∈ M(K, K), and the S_K-isotypic decomposition of M(K, K) gives:
 *   ¼ − 1/2π on antisymmetric, zero-row-sum Δ: multiplicity (K−1)(K−2)/2;
 *   ¼ + 1/2π on symmetric, zero-diagonal, zero-row-sum Δ: multiplicity K(K−3)/2;
 *   the 3 eigenvalues of the standard-representation block, multiplicity K − 1 each: ¼ − 1/2π again and
 *     (K+2)/8 ± √(K²/64 − r/2 + r²), r = 1/2π (so ¼ − 1/2π has total multiplicity K(K−1)/2);
 *   the 2 eigenvalues of the trivial-representation block, multiplicity 1 each.
 * `trivial` and `standard` return the two small matrices (column j = image of basis vector j).
 */
export function globalMinimumSpectrum(K: number): {
  groups: { value: number; multiplicity: number; sector: string }[];
  trivial: number[][];
  standard: number[][];
} {
  if (!(Number.isInteger(K) && K >= 3))
    throw new InputError('K', `the global-minimum spectrum is derived for K = d >= 3, got ${K}`);
  const q = 0.25;
  const r = 1 / (2 * Math.PI);
  // Trivial block, basis (I, J − I).
  const trivial = [
    [0.5 + (K - 1) * r, (K - 1) / 4],
    [q, K / 4 + r],
  ];
  // Standard block, basis (diag(u), u1ᵀ − diag(u), 1uᵀ − diag(u)) with u ⊥ 1.
  const standard = [
    [0.5 - r, -q, (K - 1) / 4],
    [0, q, r],
    [q, r - q, K / 4],
  ];
  const groups = [
    { value: q - r, multiplicity: ((K - 1) * (K - 2)) / 2, sector: 'antisymmetric [K−2,1,1]' },
    { value: q + r, multiplicity: (K * (K - 3)) / 2, sector: 'symmetric [K−2,2]' },
    ...realEigenvalues(standard).map((value) => ({ value, multiplicity: K - 1, sector: 'standard [K−1,1]' })),
    ...realEigenvalues(trivial).map((value) => ({ value, multiplicity: 1, sector: 'trivial [K]' })),
  ].filter((g) => g.multiplicity > 0);
  return { groups: groups.sort((x, y) => x.value - y.value), trivial, standard };
}

/**
 * B = diag(a) S_{:,0:K} (K×K, symmetric): the Hessian on every direction orthogonal to span(V, V*),
 * H = H_span ⊕ (B ⊗ I_{d−r}) (docs/hessian.md "Out-of-span block"). S = stein.ts steinCoefficients:
 * B_kk = a_k(a_k/2 + e_k/(2πQ_kk)), B_kl = a_k a_l (π − θ_kl)/(2π).
 */
export function outOfSpanBlock(p: WeightPoint): Float64Array {
  const { K } = p;
  const n = K + p.M;
  const U = stackedRows(p);
  const omega = rowGram(U, n, U, n, p.d, 1);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) omega[j * n + i] = omega[i * n + j];
  const c = new Float64Array(n);
  c.set(p.a.subarray(0, K));
  for (let m = 0; m < p.M; m++) c[K + m] = -p.v[m];
  const S = new Float64Array(K * n);
  steinCoefficients(relu, omega, c, K, n, S);
  const B = new Float64Array(K * K);
  for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) B[k * K + l] = c[k] * S[k * n + l];
  for (let k = 0; k < K; k++) {
    for (let l = k + 1; l < K; l++) {
      const s = 0.5 * (B[k * K + l] + B[l * K + k]);
      B[k * K + l] = s;
      B[l * K + k] = s;
    }
  }
  return B;
}

/**
 * Predicted spectrum of the Jacobian of the (Q, R) gradient flow (gd, learning rate η) at a critical
 * point without contacts, realised at d = r = rank Ω, with T invertible (r* = M) and s = r − M
 * (docs/hessian.md "Hessian and the overlap-flow Jacobian"):
 *   tangent sector: −η λ for every eigenvalue λ of H_{d=r} except its s(s−1)/2 rotational zero modes
 *     (they lie in the kernel of V ↦ (VVᵀ, VV*ᵀ));
 *   normal sector (off the rank-r set, reached only from d > r): −η (b_i + b_j), i ≤ j, over the
 *     K − s non-zero eigenvalues b of B = outOfSpanBlock (B has an s-dimensional kernel at a critical point).
 * For the K = M families s = 0: all K·d Hessian eigenvalues and all K(K+1)/2 pairs. `dropped` returns
 * the removed Hessian and B eigenvalues (≈ 0 at a critical point) for checking.
 */
export function predictedOverlapJacobian(
  hessianEigenvalues: number[],
  B: Float64Array,
  K: number,
  lr: number,
  rankGap = 0,
): { tangent: number[]; normal: number[]; b: number[]; dropped: { hessian: number[]; b: number[] } } {
  const byMagnitude = (x: number[]) => x.map((v, i) => [Math.abs(v), i] as const).sort((u, w) => u[0] - w[0]);
  const zH = (rankGap * (rankGap - 1)) / 2;
  const dropH = new Set(
    byMagnitude(hessianEigenvalues)
      .slice(0, zH)
      .map(([, i]) => i),
  );
  const bAll = symmetricEigenvalues(B, K);
  const dropB = new Set(
    byMagnitude(bAll)
      .slice(0, rankGap)
      .map(([, i]) => i),
  );
  const b = bAll.filter((_, i) => !dropB.has(i));
  const normal: number[] = [];
  for (let i = 0; i < b.length; i++) for (let j = i; j < b.length; j++) normal.push(-lr * (b[i] + b[j]));
  return {
    tangent: hessianEigenvalues.filter((_, i) => !dropH.has(i)).map((l) => -lr * l),
    normal: normal.sort((x, y) => x - y),
    b,
    dropped: { hessian: hessianEigenvalues.filter((_, i) => dropH.has(i)), b: bAll.filter((_, i) => dropB.has(i)) },
  };
}
