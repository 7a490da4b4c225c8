/**
 * One activation g and the Gaussian integrals the theory needs (docs/theory.md §1).
 * All covariance arguments follow the fixed argument order of §1; every method is
 * float64 and allocation-free on its hot path.
 */
export type ActivationName = string;

/**
 * The elementwise tensor operations an activation may use on the network's device. The network engine
 * implements them with tfjs (src/network/activation.ts); the theory stays free of tfjs and only says
 * which operations make g and g′, so a new activation needs no change in src/network/.
 */
export interface DeviceOps<T> {
  relu(x: T): T;
  /** 1 where x > 0, else `below` (default 0). */
  step(x: T, below?: number): T;
  leakyRelu(x: T, alpha: number): T;
  erf(x: T): T;
  mul(x: T, s: number): T;
  exp(x: T): T;
  square(x: T): T;
}

/** g and g′ of the fields λ as device operations; g′ may reuse the already computed g. */
export interface DeviceForm {
  g<T>(ops: DeviceOps<T>, lambda: T): T;
  dg<T>(ops: DeviceOps<T>, lambda: T, g: T): T;
}

export interface Activation {
  readonly name: ActivationName;
  /** Leaky slope α (0 for ReLU, undefined for erf). */
  readonly alpha?: number;
  /** g(x) and g′(x): used by Monte Carlo tests and by the network engine's float64 bookkeeping. */
  g(x: number): number;
  dg(x: number): number;
  /** E[g(u) g(v)] for cov (c11, c12, c22) (§1). */
  I2(c11: number, c12: number, c22: number): number;
  /** E[g′(u) v g(w)] for cov of (u, v, w); c22 is not needed (§1). */
  I3(c11: number, c12: number, c13: number, c23: number, c33: number): number;
  /** E[g′(u) g′(v)] (§1). */
  J2(c11: number, c12: number, c22: number): number;
  /**
   * E[g″(u) g(w)] for cov (c11, c13, c33). Stein's lemma splits
   * I3 = c12·D2(c11,c13,c33) + c23·J2(c11,c13,c33), which is the §4 "fast form" for every g
   * (for ReLU, D2 = √(c11c33 − c13²)/(2π c11) and J2 = P2(ρ13)).
   */
  D2(c11: number, c13: number, c33: number): number;
  /**
   * E[g′(u) g′(v) g(w) g(z)] for the row-major 4×4 covariance C of (u, v, w, z) (§1, §1.4).
   * Fields may coincide (k = l, α = β, ...): implementations handle singular C.
   */
  I4(C: Float64Array): number;
  /**
   * The Stein coefficients S (K×n) of the population gradient (§4, theory/stein.ts) with work shared between
   * pairs. Optional: without it they are formed from J2 and D2 pair by pair.
   */
  steinCoefficients?(omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void;
  /**
   * S_kl = Σ_{α,β} c_α c_β I4(k, l, α, β) (§4.2) written to `out` (K×K), with the work shared between
   * index quadruples. Optional: without it the SGD flow sums I4 over the quadruples (theory/sgd-term.ts).
   */
  sgdSecondMoment?(omega: Float64Array, c: Float64Array, K: number, n: number, out: Float64Array): void;
  /** g and g′ on the network's device. */
  readonly device: DeviceForm;
}

/**
 * One entry of the activation registry (./index.ts): a name, its parameters (validated, with defaults)
 * and the Activation they make. Adding an activation = one file exporting a definition + one registry line.
 */
export interface ActivationDefinition {
  readonly name: string;
  readonly description: string;
  /** Parameter names with their default and admissible range; `[]` for a parameter-free g. */
  readonly parameters: readonly ActivationParameter[];
  create(params: Readonly<Record<string, number>>): Activation;
}

export interface ActivationParameter {
  /** Also the CLI flag (--name) and the scenario key (model.name). */
  readonly name: string;
  readonly description: string;
  readonly default: number;
  /** Admissible values, as a rule the error message states. */
  readonly min: number;
  readonly max: number;
  readonly maxExclusive: boolean;
}

/** Clip a correlation to [−1, 1] (docs/theory.md §7.1): round-off pushes ρ past 1 at the global minimum. */
export function clipCorrelation(r: number): number {
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** Smallest variance used as a divisor (§7.2: a unit with Q_kk = 0 is legitimate but 0/0 otherwise). */
export const VARIANCE_FLOOR = 1e-300;

/** P(u > 0, v > 0) for correlation r: ¼ + asin(r)/(2π) (§1). */
export function orthant2(r: number): number {
  return 0.25 + Math.asin(clipCorrelation(r)) / (2 * Math.PI);
}
