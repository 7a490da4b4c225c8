import { type PerturbationPoint, checkPerturbation } from '../../compare/perturbation.js';
import type { Verdict, Violation } from '../../compare/tolerances.js';
import { solveFamily } from '../../landscape/families.js';
import { type PerturbationRow, embedWithZeroUnit, perturbationStudy } from '../../landscape/perturb.js';
import type { StabilityReport } from '../../landscape/stability.js';
import { makeFlow } from '../../theory/config.js';
import type { ModelConfig } from '../../model/config.js';
import type { PerturbationConfig, PerturbationSpec } from './schema.js';

/** One perturbed fixed point: a K = M family, or that family embedded into K = M + 1. */
export interface PerturbationCase {
  case: PerturbationPoint['case'];
  k1: number;
  K: number;
  /** Loss, full-system residual and stability verdict of the fixed point (K = M only: the embedding is singular in (Q, R), §7.2). */
  loss: number;
  residual: number | null;
  stability: StabilityReport['verdict'] | null;
  rows: PerturbationRow[];
}

export interface PerturbationResult {
  id: string;
  /** The protocol as resolved from the scenario. */
  spec: PerturbationSpec;
  cases: PerturbationCase[];
  /** Families for which the ansatz has no realisable solution. */
  missing: number[];
  verdicts: Verdict[];
  violations: Violation[];
  wallSeconds: number;
}

/**
 * The Appendix D protocol for each requested k1 (src/landscape/perturb.ts): solve the K = M family
 * (its lowest-loss stable root of the block ansatz — the protocol probes minima, and for some k1 the
 * lowest root is a saddle — else its lowest-loss root), perturb its weights at dimension d with N(0, σ²) noise, relax
 * with the gd flow and record the return distance; then the same for the family embedded into
 * K = M + 1 with a zero unit (docs/theory.md §6: its instability is visible only in weight space).
 */
export function runPerturbation({ model, spec }: PerturbationConfig): PerturbationResult {
  const started = performance.now();
  const { K, M, activation, alpha } = model;
  const flow = makeFlow({ K, M, activation, alpha }, { name: 'gd', lr: spec.lr });
  const options = {
    sigmas: spec.sigmas,
    d: spec.d,
    tRelax: spec.tRelax,
    repetitions: spec.repetitions,
    seed: spec.seed,
  };
  const cases: PerturbationCase[] = [];
  const missing: number[] = [];
  for (const k1 of spec.k1) {
    const roots = solveFamily(flow, k1);
    const family = roots.find((root) => root.stability.verdict === 'stable') ?? roots[0];
    if (!family) {
      missing.push(k1);
      continue;
    }
    const point = flow.unpack(family.x);
    cases.push({
      case: 'K=M',
      k1,
      K,
      loss: family.loss,
      residual: family.residual,
      stability: family.stability.verdict,
      rows: perturbationStudy(flow, point, options),
    });
    if (spec.embed) {
      const embedded = embedWithZeroUnit(point);
      const wide = makeFlow({ K: K + 1, M, activation, alpha }, { name: 'gd', lr: spec.lr }, embedded);
      cases.push({
        case: 'K=M+1',
        k1,
        K: K + 1,
        loss: wide.loss(wide.pack(embedded)),
        residual: null,
        stability: null,
        rows: perturbationStudy(wide, embedded, options),
      });
    }
  }
  const points = cases.flatMap((c) =>
    c.rows.map((r) => ({
      case: c.case,
      k1: c.k1,
      K: c.K,
      sigma: r.sigma,
      distanceMean: r.distanceMean,
      initialDistanceMean: r.initialDistanceMean,
    })),
  );
  const { verdicts, violations } = checkPerturbation(spec.id, spec.tolerances, points);
  for (const k1 of missing) {
    violations.push({
      metric: `${spec.id}.family`,
      observed: 'no realisable solution',
      tolerance: 'a k1 family',
      where: `k1 ${k1} / K ${K}`,
    });
  }
  return { id: spec.id, spec, cases, missing, verdicts, violations, wallSeconds: (performance.now() - started) / 1000 };
}

/** The perturbation study of a scenario, or null when it has none. */
export function executePerturbation(scenario: {
  model: ModelConfig;
  perturbation?: PerturbationSpec;
}): PerturbationResult | null {
  return scenario.perturbation ? runPerturbation({ model: scenario.model, spec: scenario.perturbation }) : null;
}
