import { NormalSampler } from '../../random/normal.js';
import { symmetricEigen } from '../linalg/eigen.js';

/**
 * Tangency arcs (docs/theory.md §17; Arjevani, "Hidden minima"): for each radius r the minimum and the
 * maximum of a function f on the sphere ‖x − x0‖ = r around a point x0, followed by continuation in r.
 * The optimisation core only sees a generic (value, gradient) pair of the flat parameter vector; the
 * ReLU loss in V = W/√d (relu-arcs.ts) is one instance, ½xᵀAx (whose arcs are λ_min r²/2 and
 * λ_max r²/2 exactly) another.
 */
export interface Objective {
  readonly dim: number;
  value(x: Float64Array): number;
  /** ∇f(x) into out (length dim). */
  gradient(x: Float64Array, out: Float64Array): void;
}

export type Sense = 'min' | 'max';

/**
 * Riemannian gradient method on the sphere S_r = {x0 + y : |y| = r}: the tangent gradient
 * g_T = g − (g·ŷ)ŷ, the retraction y ← r(y − t g_T)/|y − t g_T|, Barzilai–Borwein step lengths
 * (alternating BB1/BB2 on s = Δy, z = Δg_T; Iannazzo & Porcelli, IMA J. Numer. Anal. 38 (2018)) and a
 * non-monotone Armijo backtracking over the last `memory` values (Grippo–Lampariello–Lucidi), which
 * keeps BB's speed and guarantees convergence to a stationary point of f on S_r. BB needs a handful of
 * iterations per condition-number decade where plain projected gradient would need ~κ.
 *
 * Converged means first-order stationarity on the sphere: |g_T| ≤ relativeTolerance·|∇f| +
 * absoluteTolerance. At a constrained extremum ∇f ∥ y (Lagrange), so |g_T|/|∇f| is the sine of the
 * angle between them; 1e-8 puts the value within ~|g_T|²/gap of the stationary value, far below the
 * O(r³) deviations from λr²/2 that the arcs measure. The absolute floor covers ∇f = 0 on the sphere.
 */
export const SPHERE_DEFAULTS = {
  relativeTolerance: 1e-8,
  absoluteTolerance: 1e-14,
  maxIterations: 20_000,
  /** Armijo sufficient-decrease constant and non-monotone window. */
  armijo: 1e-4,
  memory: 10,
  /** Backtracking halvings before a step is declared impossible (value changes below rounding). */
  maxHalvings: 60,
} as const;

export type SphereOptions = Partial<Record<keyof typeof SPHERE_DEFAULTS, number>>;

export interface SphereResult {
  /** The point x0 + y and the unit direction y/r. */
  x: Float64Array;
  direction: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
  /** |g_T| and |∇f| at the end. */
  tangentGradient: number;
  gradient: number;
}

const dot = (u: Float64Array, v: Float64Array) => {
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i] * v[i];
  return s;
};

/**
 * A stationary point of f on the sphere of radius r around `centre`, minimising (sense min) or
 * maximising, started from the direction `start` (any non-zero length).
 */
export function optimiseOnSphere(
  f: Objective,
  centre: Float64Array,
  radius: number,
  start: Float64Array,
  sense: Sense,
  options: SphereOptions = {},
): SphereResult {
  const o = { ...SPHERE_DEFAULTS, ...options };
  const n = f.dim;
  const sign = sense === 'min' ? 1 : -1;
  let y = start.slice();
  const norm0 = Math.sqrt(dot(y, y));
  if (!(norm0 > 0 && Number.isFinite(norm0)))
    throw new Error('optimiseOnSphere: start direction must be non-zero and finite');
  for (let i = 0; i < n; i++) y[i] *= radius / norm0;
  const x = new Float64Array(n);
  const g = new Float64Array(n);
  // φ = sign·f and its tangent gradient at x0 + y; returns [φ, |g_T|, |∇f|] and fills gT.
  const evaluate = (yy: Float64Array, gT: Float64Array): [number, number, number] => {
    for (let i = 0; i < n; i++) x[i] = centre[i] + yy[i];
    const phi = sign * f.value(x);
    f.gradient(x, g);
    const radial = dot(g, yy) / dot(yy, yy);
    for (let i = 0; i < n; i++) gT[i] = sign * (g[i] - radial * yy[i]);
    return [phi, Math.sqrt(dot(gT, gT)), Math.sqrt(dot(g, g))];
  };
  let gT = new Float64Array(n);
  let [phi, tangent, full] = evaluate(y, gT);
  const history = [phi];
  // First step: move at most a tenth of the radius (an angle of ~0.1 rad); BB sets the scale afterwards.
  let alpha = tangent > 0 ? Math.min(1, (0.1 * radius) / tangent) : 1;
  let iterations = 0;
  let converged = false;
  const yNew = new Float64Array(n);
  let gTNew = new Float64Array(n);
  for (; iterations < o.maxIterations; iterations++) {
    if (tangent <= o.relativeTolerance * full + o.absoluteTolerance) {
      converged = true;
      break;
    }
    const reference = Math.max(...history);
    // Rounding slack: values of f are only known to ~1e-15 relative, so a "rise" below that is not one.
    const slack = 1e-15 * Math.max(1, Math.abs(reference));
    let t = alpha;
    let accepted = false;
    let next: [number, number, number] = [phi, tangent, full];
    for (let h = 0; h <= o.maxHalvings; h++, t *= 0.5) {
      for (let i = 0; i < n; i++) yNew[i] = y[i] - t * gT[i];
      const scale = radius / Math.sqrt(dot(yNew, yNew));
      for (let i = 0; i < n; i++) yNew[i] *= scale;
      next = evaluate(yNew, gTNew);
      if (Number.isFinite(next[0]) && next[0] <= reference - o.armijo * t * tangent * tangent + slack) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break; // no decrease above rounding level is possible: stationary to working precision
    // BB step on s = Δy and z = Δg_T (vector transport by projection is implicit: both lie near the
    // tangent space for the small steps taken; the safeguard below handles the rest).
    let ss = 0;
    let sz = 0;
    let zz = 0;
    for (let i = 0; i < n; i++) {
      const s = yNew[i] - y[i];
      const z = gTNew[i] - gT[i];
      ss += s * s;
      sz += s * z;
      zz += z * z;
    }
    alpha =
      sz > 0
        ? iterations % 2 === 0
          ? ss / sz
          : sz / zz
        : Math.min(1e3 * t, (radius * 0.5) / Math.max(next[1], 1e-300));
    alpha = Math.min(Math.max(alpha, 1e-12), 1e12);
    [y, gT, gTNew] = [yNew.slice(), gTNew, gT];
    [phi, tangent, full] = next;
    history.push(phi);
    if (history.length > o.memory) history.shift();
  }
  if (!converged && tangent <= o.relativeTolerance * full + o.absoluteTolerance) converged = true;
  for (let i = 0; i < n; i++) x[i] = centre[i] + y[i];
  const direction = y.map((v) => v / radius);
  return {
    x: x.slice(),
    direction,
    value: sign * phi,
    iterations,
    converged,
    tangentGradient: tangent,
    gradient: full,
  };
}

export interface ArcPoint extends SphereResult {
  radius: number;
}

/** One arc: the stationary point on each sphere, started at `start` for the first radius and from the previous radius' direction after that. */
export function followArc(
  f: Objective,
  centre: Float64Array,
  radii: number[],
  start: Float64Array,
  sense: Sense,
  options: SphereOptions = {},
): ArcPoint[] {
  const arc: ArcPoint[] = [];
  let direction = start;
  for (const radius of radii) {
    const point = optimiseOnSphere(f, centre, radius, direction, sense, options);
    arc.push({ ...point, radius });
    direction = point.direction;
  }
  return arc;
}

/** `a:b:n`: n radii log-spaced from a to b inclusive (n = 1: just a). */
export function logRadii(from: number, to: number, count: number): number[] {
  if (count === 1) return [from];
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? from : i === count - 1 ? to : from * (to / from) ** (i / (count - 1)),
  );
}

export interface ArcStart {
  label: string;
  direction: Float64Array;
}

export interface TangencyOptions {
  radii: number[];
  /** Extra random starting directions (N(0, I), seeded), used for both senses. */
  random?: number;
  seed?: number;
  /** Eigenvalues within this (relative to max|λ|) of λ_min (λ_max) span the soft (stiff) eigenspace. */
  eigenspaceTolerance?: number;
  sphere?: SphereOptions;
}

export interface TangencyRow {
  r: number;
  lossMin: number;
  lossMax: number;
  lossCentre: number;
  quadraticMin: number;
  quadraticMax: number;
  /** |P_E (x − x0)|/r for the eigenspace E of λ_min (λ_max): 1 = still along the starting eigenvector(s). */
  overlapMin: number;
  overlapMax: number;
  startMin: string;
  startMax: string;
  iterationsMin: number;
  iterationsMax: number;
  convergedMin: boolean;
  convergedMax: boolean;
}

export interface Barrier {
  /** First radius at which the minimum on the sphere is below the centre, and the radius before it. */
  radius: number;
  previousRadius: number | null;
  /** max loss_min − loss0 over the radii before it (0 when it drops at the first radius), and where. */
  height: number;
  peakRadius: number | null;
}

export interface TangencyArcs {
  lossCentre: number;
  lambdaMin: number;
  lambdaMax: number;
  /** Dimensions of the soft and stiff eigenspaces. */
  multiplicityMin: number;
  multiplicityMax: number;
  starts: { min: string[]; max: string[] };
  rows: TangencyRow[];
  barrier: Barrier | null;
  /** "Below the centre" means loss_min < loss0 − belowTolerance (rounding of f, not a real descent). */
  belowTolerance: number;
  /** The best minimising point at the largest radius. */
  lastMinPoint: Float64Array;
  allConverged: boolean;
}

/** Default eigenspace tolerance (relative): the closed-form Hessian's accuracy is ~1e-13 (docs/hessian.md). */
export const EIGENSPACE_TOLERANCE = 1e-8;

/**
 * Tangency arcs of f around x0, with H = ∇²f(x0) (P×P row-major): minimising arcs started along ±e_min,
 * maximising ones along ±e_max (the extreme eigenvectors), plus `random` random directions each; per
 * radius the lowest minimum and the highest maximum over the arcs are kept. Predicted for small r:
 * f0 + λ_min r²/2 and f0 + λ_max r²/2 (+ O(r³) when f is C³, and + |∇f(x0)| r when x0 is not critical).
 */
export function tangencyArcs(
  f: Objective,
  centre: Float64Array,
  H: Float64Array,
  options: TangencyOptions,
): TangencyArcs {
  const P = f.dim;
  const { values, vectors } = symmetricEigen(H, P);
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
  const lambdaMin = values[order[0]];
  const lambdaMax = values[order[P - 1]];
  const tol =
    (options.eigenspaceTolerance ?? EIGENSPACE_TOLERANCE) * (Math.max(Math.abs(lambdaMin), Math.abs(lambdaMax)) || 1);
  const column = (j: number) => Float64Array.from({ length: P }, (_, i) => vectors.get(i, j));
  const soft = order.filter((j) => values[j] <= lambdaMin + tol).map(column);
  const stiff = order.filter((j) => values[j] >= lambdaMax - tol).map(column);
  const negate = (v: Float64Array) => v.map((x) => -x);
  const sampler = new NormalSampler(options.seed ?? 1);
  const random: ArcStart[] = Array.from({ length: options.random ?? 0 }, (_, i) => ({
    label: `random${i + 1}`,
    direction: sampler.fill(new Float64Array(P)),
  }));
  const minStarts: ArcStart[] = [
    { label: 'hessian+', direction: soft[0] },
    { label: 'hessian-', direction: negate(soft[0]) },
    ...random,
  ];
  const maxStarts: ArcStart[] = [
    { label: 'hessian+', direction: stiff[0] },
    { label: 'hessian-', direction: negate(stiff[0]) },
    ...random,
  ];
  const minArcs = minStarts.map((s) => followArc(f, centre, options.radii, s.direction, 'min', options.sphere));
  const maxArcs = maxStarts.map((s) => followArc(f, centre, options.radii, s.direction, 'max', options.sphere));
  const f0 = f.value(centre);
  const projection = (basis: Float64Array[], u: Float64Array) =>
    Math.sqrt(basis.reduce((s, e) => s + dot(e, u) ** 2, 0));
  const pick = (arcs: ArcPoint[][], i: number, better: (a: number, b: number) => boolean) => {
    let best = 0;
    for (let a = 1; a < arcs.length; a++) if (better(arcs[a][i].value, arcs[best][i].value)) best = a;
    return best;
  };
  const rows: TangencyRow[] = options.radii.map((r, i) => {
    const a = pick(minArcs, i, (u, v) => u < v);
    const b = pick(maxArcs, i, (u, v) => u > v);
    const lo = minArcs[a][i];
    const hi = maxArcs[b][i];
    return {
      r,
      lossMin: lo.value,
      lossMax: hi.value,
      lossCentre: f0,
      quadraticMin: f0 + (lambdaMin * r * r) / 2,
      quadraticMax: f0 + (lambdaMax * r * r) / 2,
      overlapMin: projection(soft, lo.direction),
      overlapMax: projection(stiff, hi.direction),
      startMin: minStarts[a].label,
      startMax: maxStarts[b].label,
      iterationsMin: lo.iterations,
      iterationsMax: hi.iterations,
      convergedMin: lo.converged,
      convergedMax: hi.converged,
    };
  });
  const belowTolerance = 1e-12 + 1e-9 * Math.abs(f0);
  const last = options.radii.length - 1;
  return {
    lossCentre: f0,
    lambdaMin,
    lambdaMax,
    multiplicityMin: soft.length,
    multiplicityMax: stiff.length,
    starts: { min: minStarts.map((s) => s.label), max: maxStarts.map((s) => s.label) },
    rows,
    barrier: findBarrier(rows, f0, belowTolerance),
    belowTolerance,
    lastMinPoint: minArcs[pick(minArcs, last, (u, v) => u < v)][last].x,
    allConverged: [...minArcs, ...maxArcs].every((arc) => arc.every((p) => p.converged)),
  };
}

/** The first radius where loss_min < loss0 − tolerance, and the highest loss_min before it (the barrier). */
export function findBarrier(rows: Pick<TangencyRow, 'r' | 'lossMin'>[], f0: number, tolerance: number): Barrier | null {
  const i = rows.findIndex((row) => row.lossMin < f0 - tolerance);
  if (i < 0) return null;
  let height = 0;
  let peakRadius: number | null = null;
  for (let j = 0; j < i; j++) {
    if (peakRadius === null || rows[j].lossMin - f0 > height) {
      height = rows[j].lossMin - f0;
      peakRadius = rows[j].r;
    }
  }
  return { radius: rows[i].r, previousRadius: i > 0 ? rows[i - 1].r : null, height, peakRadius };
}
