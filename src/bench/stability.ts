import { cpus, loadavg } from 'node:os';
import { LuDecomposition, Matrix } from 'ml-matrix';
import { markdownTable } from '../io/markdown.js';
import { solveFamily } from '../landscape/families.js';
import { FreeCoordinates } from '../landscape/free-coordinates.js';
import { centralDifferenceJacobian } from '../landscape/jacobian.js';
import { solveFixedPoint } from '../landscape/newton.js';
import {
  JacobianVectorProduct,
  type KrylovStabilityReport,
  analyseStabilityKrylov,
} from '../landscape/stability-krylov.js';
import { type StabilityReport, analyseStability } from '../landscape/stability.js';
import { activationByName } from '../theory/activations/index.js';
import { Flow } from '../theory/flow.js';
import { randomOverlaps } from '../theory/init.js';
import { KrylovSchur } from '../theory/linalg/krylov/krylov-schur.js';
import type { MatVec, RitzPair, Which } from '../theory/linalg/krylov/types.js';
import { teacherOnlyOverlaps } from '../model/overlaps.js';
import { solve } from '../theory/solvers/solve.js';
import type { Benchmark } from './index.js';

/**
 * `stability` benchmark: the dense Jacobian spectrum (analyseStability: 2n right-hand sides and an
 * n × n nonsymmetric eigendecomposition) against the matrix-free Krylov–Schur check
 * (analyseStabilityKrylov), at K = M = 8 and 17 on a stable point and a saddle; and, at K = M = 17,
 * which spectral transformation makes the rightmost eigenvalues cheapest to find in products.
 */

const REPEATS = 3;
const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));
const exp = (x: number, digits = 1) => (Number.isFinite(x) ? x.toExponential(digits) : String(x));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

export interface BenchPoint {
  label: string;
  flow: Flow;
  x: Float64Array;
}

function reluFlow(K: number, M: number): Flow {
  return new Flow('gd', activationByName('relu'), teacherOnlyOverlaps(K, M), { lr: 1 });
}

/**
 * The stats code path for one seed (stats-run.ts with its defaults: init at d = K, dopri5 rtol 1e-6 in
 * doubling chunks from 100, Newton once max|F| < 1e-4) — issue #9: at K = M = 17, seed 173 hands over
 * during the slow passage by a k1 = 5 saddle and Newton lands on it. With `rest`, the flow instead goes
 * on until max|F| < 1e-7 (the attractor it settles in) before the Newton polish.
 */
export function statsEndState(flow: Flow, seed: number, rest: boolean): Float64Array {
  const { K, M } = flow.layout;
  let x = flow.pack(randomOverlaps(K, M, K, seed, 'initD', 'none'));
  let chunk = 100;
  for (let t = 0; t < 1e4; chunk *= 2) {
    const r = solve(flow, x, {
      method: 'dopri5',
      tMax: chunk,
      saveTimes: [],
      rtol: 1e-6,
      atol: 1e-9,
      convergenceTol: rest ? 1e-7 : 1e-4,
      maxSteps: 1e7,
    });
    x = r.xFinal;
    t += r.tFinal;
    if (r.status === 'converged') break;
  }
  return solveFixedPoint(flow, x).x;
}

/** The four points of the comparison (building them takes a few seconds: flows and Newton solves). */
export function benchPoints(): BenchPoint[] {
  const flow8 = reluFlow(8, 8);
  const flow17 = reluFlow(17, 17);
  const stable8 = solveFamily(flow8, 1).find((s) => s.stability.verdict === 'stable');
  const saddle8 = solveFamily(flow8, 5)[0];
  if (stable8 === undefined) throw new Error('no stable k1 = 1 family at K = M = 8');
  return [
    { label: 'K = M = 8, k1 = 1 family (stable)', flow: flow8, x: stable8.x },
    { label: 'K = M = 8, k1 = 5 family (saddle)', flow: flow8, x: saddle8.x },
    { label: 'K = M = 17, seed 173 at rest (stable)', flow: flow17, x: statsEndState(flow17, 173, true) },
    { label: 'K = M = 17, seed 173 hand-over (saddle)', flow: flow17, x: statsEndState(flow17, 173, false) },
  ];
}

interface Timed<T> {
  value: T;
  ms: number;
}

function timed<T>(f: () => T): Timed<T> {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

function comparisonTable(points: BenchPoint[]): string {
  const rows: (string | number)[][] = [];
  for (const p of points) {
    const ratios: number[] = [];
    const denseMs: number[] = [];
    const krylovMs: number[] = [];
    const roundsMs: number[] = [];
    let dense: StabilityReport | null = null;
    let krylov: KrylovStabilityReport | null = null;
    let rounds: KrylovStabilityReport | null = null;
    for (let rep = 0; rep < REPEATS; rep++) {
      const d = timed(() => analyseStability(p.flow, p.x));
      const k = timed(() => analyseStabilityKrylov(p.flow, p.x));
      const r = timed(() => analyseStabilityKrylov(p.flow, p.x, { multiplicityRounds: 8 }));
      dense = d.value;
      krylov = k.value;
      rounds = r.value;
      denseMs.push(d.ms);
      krylovMs.push(k.ms);
      roundsMs.push(r.ms);
      ratios.push(d.ms / k.ms);
    }
    if (dense === null || krylov === null || rounds === null) continue;
    rows.push([
      p.label,
      fmt(dense.loss, 7),
      `${dense.verdict} / ${krylov.verdict}`,
      denseMs.map((t) => fmt(t)).join(', '),
      krylovMs.map((t) => fmt(t)).join(', '),
      ratios.map((r) => fmt(r)).join(', '),
      `${krylov.products} (${krylov.rhsEvaluations})`,
      exp(dense.maxRealEigenvalue, 6),
      exp(Math.abs(krylov.maxRealEigenvalue - dense.maxRealEigenvalue)),
      `${dense.nUnstable} / ${krylov.nUnstable} / ${rounds.nUnstable}`,
      `${fmt(median(roundsMs))} ms, ${rounds.products}`,
    ]);
  }
  return markdownTable(
    [
      'point',
      'loss',
      'verdict dense / Krylov',
      'dense (ms) ×3',
      'Krylov (ms) ×3',
      'dense / Krylov ×3',
      'products (RHS)',
      'max Re λ (dense)',
      '|Δ max Re λ|',
      'unstable: dense / Krylov / +rounds',
      '+8 multiplicity rounds: median time, products',
    ],
    rows,
    ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

// ---------------------------------------------------------------------------------------------------
// Spectral transformations (K = M = 17): products until the 6 rightmost eigenvalues have converged.
// ---------------------------------------------------------------------------------------------------

interface TransformRun {
  method: string;
  /** Jacobian–vector products (shift-invert: the n columns of the dense Jacobian). */
  products: number;
  ms: number;
  /** Eigenvalues of J recovered from the Ritz vectors, by decreasing real part. */
  lambdas: number[];
  /** Largest ‖J y − λ y‖ over the returned unit vectors (extra products, not counted). */
  residual: number;
}

/** Rayleigh–Ritz of J on each returned real vector / complex pair: eigenvalues of J and residuals. */
function recover(J: MatVec, n: number, pairs: RitzPair[]): { lambdas: number[]; residual: number } {
  const lambdas: number[] = [];
  let residual = 0;
  const jy = new Float64Array(n);
  const jz = new Float64Array(n);
  const seen = new Set<Float64Array>();
  for (const p of pairs) {
    if (seen.has(p.vector)) continue;
    seen.add(p.vector);
    const y = p.vector;
    const yy = y.reduce((s, v) => s + v * v, 0);
    J(y, jy);
    if (p.imag === null) {
      const lambda = y.reduce((s, v, i) => s + v * jy[i], 0) / yy;
      lambdas.push(lambda);
      residual = Math.max(residual, Math.sqrt(jy.reduce((s, v, i) => s + (v - lambda * y[i]) ** 2, 0) / yy));
      continue;
    }
    // 2×2 projection on span(y, z): eigenvalues α ± iβ.
    const z = p.imag;
    J(z, jz);
    const G = new Matrix([
      [yy, y.reduce((s, v, i) => s + v * z[i], 0)],
      [0, z.reduce((s, v) => s + v * v, 0)],
    ]);
    G.set(1, 0, G.get(0, 1));
    const P = new Matrix([
      [y.reduce((s, v, i) => s + v * jy[i], 0), y.reduce((s, v, i) => s + v * jz[i], 0)],
      [z.reduce((s, v, i) => s + v * jy[i], 0), z.reduce((s, v, i) => s + v * jz[i], 0)],
    ]);
    const H = new LuDecomposition(G).solve(P);
    const tr = H.get(0, 0) + H.get(1, 1);
    const det = H.get(0, 0) * H.get(1, 1) - H.get(0, 1) * H.get(1, 0);
    const disc = (tr * tr) / 4 - det;
    const re = tr / 2;
    lambdas.push(disc < 0 ? re : re + Math.sqrt(disc), disc < 0 ? re : re - Math.sqrt(disc));
    const im = disc < 0 ? Math.sqrt(-disc) : 0;
    // Residual of y + iz for λ = re + i·im: J y − (re y − im z), J z − (im y + re z).
    let r = 0;
    for (let i = 0; i < n; i++) r += (jy[i] - re * y[i] + im * z[i]) ** 2 + (jz[i] - im * y[i] - re * z[i]) ** 2;
    residual = Math.max(residual, Math.sqrt(r / (yy + z.reduce((s, v) => s + v * v, 0))));
  }
  return { lambdas: lambdas.sort((a, b) => b - a), residual };
}

const NEV = 6;
const TOL = 1e-9;

function krylovOn(op: MatVec, n: number, which: Which, seed = 1): { pairs: RitzPair[]; products: number } {
  const solver = new KrylovSchur(op, n, { ncv: 40, maxNev: NEV, tol: TOL, which, seed });
  const r = solver.solve(NEV, 20000);
  return { pairs: r.pairs, products: r.products };
}

function transformRuns(point: BenchPoint): TransformRun[] {
  const free = new FreeCoordinates(point.flow, point.x);
  const y0 = free.restrict(point.x);
  const n = free.size;
  const runs: TransformRun[] = [];
  const counted = (jvp: JacobianVectorProduct) => {
    let products = 0;
    const op: MatVec = (v, out) => {
      products++;
      jvp.apply(v, out);
    };
    return { op, count: () => products };
  };
  const exact = new JacobianVectorProduct(free, y0);
  const record = (method: string, products: number, ms: number, pairs: RitzPair[]) =>
    runs.push({ method, products, ms, ...recover(exact.apply, n, pairs) });

  // Plain Krylov–Schur on J, largest real part.
  {
    const { op, count } = counted(new JacobianVectorProduct(free, y0));
    const t = timed(() => krylovOn(op, n, 'largest-real'));
    record('J itself (largest Re)', count(), t.ms, t.value.pairs);
  }
  // The stiff end: λ_min (largest |λ|) to 1e-3, for the filters below.
  const { op: opMin, count: countMin } = counted(new JacobianVectorProduct(free, y0));
  const lambdaMin = new KrylovSchur(opMin, n, { ncv: 20, maxNev: 1, tol: 1e-3, which: 'largest-magnitude' }).solve(1)
    .pairs[0].re;
  const minProducts = countMin();
  // Chebyshev filter T_d on [a, b] = [1.02 λ_min, −0.05]: |T_d| ≤ 1 there and grows right of b.
  for (const d of [8, 32]) {
    const { op: J, count } = counted(new JacobianVectorProduct(free, y0));
    const a = 1.02 * lambdaMin;
    const b = -0.05;
    const c = (a + b) / 2;
    const e = (b - a) / 2;
    const prev = new Float64Array(n);
    const cur = new Float64Array(n);
    const next = new Float64Array(n);
    const filter: MatVec = (v, out) => {
      // T_0 = v, T_1 = ξ v, T_{k+1} = 2ξ T_k − T_{k−1}, ξ = (J − c)/e.
      prev.set(v);
      J(v, cur);
      for (let i = 0; i < n; i++) cur[i] = (cur[i] - c * v[i]) / e;
      for (let k = 1; k < d; k++) {
        J(cur, next);
        for (let i = 0; i < n; i++) next[i] = (2 * (next[i] - c * cur[i])) / e - prev[i];
        prev.set(cur);
        cur.set(next);
      }
      out.set(cur);
    };
    const t = timed(() => krylovOn(filter, n, 'largest-magnitude'));
    record(
      `Chebyshev T_${d}(J) on [1.02 λ_min, −0.05] (+${minProducts} for λ_min)`,
      count() + minProducts,
      t.ms,
      t.value.pairs,
    );
  }
  // exp(TJ) by s RK4 steps of the linearised flow (|hλ_min| ≤ 2, inside RK4's real stability interval).
  for (const T of [4, 16]) {
    const { op: J, count } = counted(new JacobianVectorProduct(free, y0));
    const s = Math.ceil((T * Math.abs(lambdaMin)) / 2);
    const h = T / s;
    const k1 = new Float64Array(n);
    const k2 = new Float64Array(n);
    const k3 = new Float64Array(n);
    const k4 = new Float64Array(n);
    const tmp = new Float64Array(n);
    const expo: MatVec = (v, out) => {
      out.set(v);
      for (let step = 0; step < s; step++) {
        J(out, k1);
        for (let i = 0; i < n; i++) tmp[i] = out[i] + 0.5 * h * k1[i];
        J(tmp, k2);
        for (let i = 0; i < n; i++) tmp[i] = out[i] + 0.5 * h * k2[i];
        J(tmp, k3);
        for (let i = 0; i < n; i++) tmp[i] = out[i] + h * k3[i];
        J(tmp, k4);
        for (let i = 0; i < n; i++) out[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      }
    };
    const t = timed(() => krylovOn(expo, n, 'largest-magnitude'));
    record(`exp(${T}·J) by ${s} RK4 steps (+${minProducts} for λ_min)`, count() + minProducts, t.ms, t.value.pairs);
  }
  // Shift-invert (J − σI)⁻¹, σ = 0.1 (right of every eigenvalue here), with the dense Jacobian and LU.
  {
    const sigma = 0.1;
    const t = timed(() => {
      const Jd = centralDifferenceJacobian((yy, out) => free.residual(yy, out), Float64Array.from(y0), n);
      for (let i = 0; i < n; i++) Jd.set(i, i, Jd.get(i, i) - sigma);
      const lu = new LuDecomposition(Jd);
      const col = new Matrix(n, 1);
      const inverse: MatVec = (v, out) => {
        for (let i = 0; i < n; i++) col.set(i, 0, v[i]);
        const x = lu.solve(col);
        for (let i = 0; i < n; i++) out[i] = x.get(i, 0);
      };
      return krylovOn(inverse, n, 'largest-magnitude');
    });
    record(`(J − 0.1 I)⁻¹, dense J + LU (${t.value.products} solves)`, n, t.ms, t.value.pairs);
  }
  return runs;
}

function transformTable(point: BenchPoint, dense: StabilityReport): string {
  const reference = dense.eigenvalues.map((e) => e.re);
  const nearest = (l: number) => Math.min(...reference.map((r) => Math.abs(r - l)));
  const rows = transformRuns(point).map((r) => [
    r.method,
    r.products,
    fmt(r.ms),
    exp(Math.abs(r.lambdas[0] - reference[0])),
    exp(Math.max(...r.lambdas.slice(0, NEV).map(nearest))),
    exp(r.residual),
    r.lambdas
      .slice(0, NEV)
      .map((l) => l.toExponential(3))
      .join(' '),
  ]);
  return markdownTable(
    ['operator', 'J products', 'ms', '|λ₁ − dense|', 'max dist. to a dense λ', 'max ‖Jy − λy‖', 'rightmost found'],
    rows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}

/** The benchmark report (Markdown). */
export function stabilityBenchmarkMarkdown(points: BenchPoint[] = benchPoints()): string {
  const lines = [
    '# stability benchmark',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average at start ${loadavg()[0].toFixed(2)} (shared: absolute times are upper bounds; the ratios are measured side by side). Node ${process.version}.`,
    '',
    'Dense: `analyseStability` (central-difference Jacobian, 2n right-hand sides, then the n × n nonsymmetric eigendecomposition of ml-matrix; n = 100 at K = M = 8, 442 at K = M = 17). Krylov: `analyseStabilityKrylov` with its defaults (Krylov–Schur on central-difference Jacobian–vector products, tol 1e-9·‖J‖, nev 6 → ≤ 24). The three timings of each row are interleaved (dense, Krylov, Krylov with rounds) in the same process; the first includes JIT warm-up.',
    '',
    comparisonTable(points),
    '',
    'Unstable counts: Krylov from one start vector resolves one direction per eigenvalue; multiple eigenvalues (the families are permutation-symmetric) need the deflated rounds from fresh vectors (`multiplicityRounds`) to be counted in full. The verdict and max Re λ do not depend on them.',
    '',
  ];
  for (const p of points.filter((q) => q.flow.layout.K === 17)) {
    const dense = analyseStability(p.flow, p.x);
    lines.push(
      `## Spectral transformations: ${p.label}`,
      '',
      `Rightmost ${NEV} eigenvalues to a Ritz residual ≤ ${TOL}·|θ_max| of the operator, ncv 40, same seeded start. Dense reference: ${dense.eigenvalues
        .slice(0, NEV)
        .map((e) => e.re.toExponential(3))
        .join(' ')}.`,
      '',
      transformTable(p, dense),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

export const stabilityBenchmark: Benchmark = { name: 'stability', run: () => stabilityBenchmarkMarkdown() };
