import { InputError } from '../../model/errors.js';
import type { Overlaps } from '../../model/overlaps.js';
import { MAX_PARAMETERS, analyseHessian, realiseForHessian } from '../../theory/hessian/analysis.js';
import type { CensusConfig } from './config.js';

/**
 * The weight-space Hessian of one census point (docs/theory.md §17, docs/hessian.md): the overlaps
 * realised in weights at the smallest dimension, d = rank of the joint Gram matrix Ω, and the closed-form
 * ReLU Hessian in V = W/√d (readouts a as parameters too for gd2l). At d = rank Ω the Hessian has no
 * rotational zero modes from the complement of the span; it does not see the normal sector (a point can
 * be a Hessian minimum at d = r and a saddle of the flow, docs/hessian.md "Where the two pictures differ"),
 * which is why the census states both the flow verdict and the Hessian extremes.
 */
export interface PointHessian {
  /** Realisation dimension (rank Ω); null when no Hessian was computed. */
  d: number | null;
  min: number | null;
  max: number | null;
  /** Eigenvalues below −(zero tolerance) (docs/hessian.md tolerances, relative 1e-8). */
  negative: number | null;
  /** Every eigenvalue, ascending (kept for the spectra plots); null when none was computed. */
  eigenvalues: number[] | null;
  /** Why the Hessian is empty, or what limits it (contacts: C² but not C³); '' when nothing to say. */
  note: string;
}

const none = (note: string): PointHessian => ({
  d: null,
  min: null,
  max: null,
  negative: null,
  eigenvalues: null,
  note,
});

/** Why a census configuration has no Hessian at all, or null when it has one. */
export function hessianUnavailable(c: CensusConfig): string | null {
  if (!c.hessian) return 'not computed (hessian off)';
  if (c.activation !== 'relu') return `closed form is the ReLU loss's; ${c.activation} not supported`;
  if (c.optimizer !== 'gd' && c.optimizer !== 'gd2l')
    return `${c.optimizer} is constrained: the unconstrained Hessian is not its curvature`;
  return null;
}

export function pointHessian(c: CensusConfig, o: Overlaps): PointHessian {
  const unavailable = hessianUnavailable(c);
  if (unavailable !== null) return none(unavailable);
  let realisation: ReturnType<typeof realiseForHessian>;
  try {
    realisation = realiseForHessian(o, undefined, 'd', 'point');
  } catch (err) {
    // A zero student: L is not differentiable there (docs/hessian.md "Regularity").
    if (err instanceof InputError) return none(err.message.replace(/ \(Q\[.*$/, ': not differentiable'));
    throw err;
  }
  const readouts = c.optimizer === 'gd2l';
  const { point } = realisation;
  const size = o.K * point.d + (readouts ? o.K : 0);
  if (size > MAX_PARAMETERS) return none(`${size} parameters exceed ${MAX_PARAMETERS} (dense O(P³) spectrum)`);
  const a = analyseHessian(point, { readouts, method: 'exact' });
  const contacts = a.contacts.length;
  return {
    d: point.d,
    min: a.eigenvalues[0],
    max: a.eigenvalues[a.size - 1],
    negative: a.counts.negative,
    eigenvalues: a.eigenvalues,
    note: contacts === 0 ? '' : `${contacts} contact(s): C² not C³; exact Hessian is the continuous limit`,
  };
}
