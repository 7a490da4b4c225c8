import { matchStudentsToTeachers } from '../landscape/classify.js';

/**
 * Display order of student units for the overlap heat maps (like the paper's insets): students are
 * matched one-to-one to teachers maximising Σ|R_k,π(k)| (the landscape module's matching, the same one
 * that counts k1) and listed in the order of their teacher, unmatched students (K > M) last. Anti-aligned
 * units keep their negative R, so a spurious state shows negative entries on the diagonal of R.
 */
export function unitOrderByTeacher(R: Float64Array, K: number, M: number): number[] {
  const teacherOf = matchStudentsToTeachers(R, K, M);
  const rank = (k: number) => (teacherOf[k] >= 0 ? teacherOf[k] : M + k);
  return Array.from({ length: K }, (_, k) => k).sort((k, l) => rank(k) - rank(l));
}

/** Rows (and for square Q also columns) of a row-major matrix permuted into `order`. */
export function permuteRows(A: Float64Array, cols: number, order: number[]): Float64Array {
  const out = new Float64Array(order.length * cols);
  order.forEach((src, dst) => out.set(A.subarray(src * cols, (src + 1) * cols), dst * cols));
  return out;
}

export function permuteSymmetric(A: Float64Array, order: number[]): Float64Array {
  const n = order.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = A[order[i] * n + order[j]];
  return out;
}
