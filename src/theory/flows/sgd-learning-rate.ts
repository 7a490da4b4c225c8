/**
 * Default learning rate of online SGD (`train` with the online gradient, `ode --optimizer sgd`).
 *
 * The η² noise term of online SGD (docs/theory.md §4.2) destabilises the flow once η·K is of order 3. A scan of
 * the sgd ODE (ReLU, K = M, random init, dopri5 to t = 100, two seeds each; all GD-type flows keep η = 1):
 *
 *   K = M = 3:   η = 0.7 stable,   η = 1    diverges       (η·K: 2.1 stable, 3 diverges)
 *   K = M = 5:   η = 0.5 stable,   η = 0.7  diverges       (2.5 stable, 3.5 diverges)
 *   K = M = 8:   η = 0.3 stable,   η = 0.5  diverges       (2.4 stable, 4 diverges)
 *   K = 10, M = 3: η = 0.25 stable, η = 0.35 diverges      (2.5 stable, 3.5 diverges)
 *   K = M = 10: η = 0.25 stable; K = M = 20: η = 0.125 stable (2.5; one seed)
 *   K = 3, M = 10: η = 0.7 stable (the bound follows K, not M)
 * ("stable": the loss stays O(1) up to t = 100; "diverges": it exceeds 1e60 there.)
 *
 * so the stable range is η ≲ 2.5/K; `train --optimizer sgd --K 20 --M 20` at the former default η = 1 (η·K = 20)
 * diverged for every seed. The default is η = 1/K (0.5 at K = 1 and 2, as in the shipped scenarios at K = 2),
 * a factor 2.5 inside the stable range.
 */
export function defaultOnlineLr(K: number, _M: number): number {
  return Math.min(0.5, 1 / K);
}

/** The measured stability bound of online SGD (see above): η·K ≲ 2.5. */
export function onlineLrBound(K: number, _M: number): number {
  return 2.5 / K;
}

export const ONLINE_LR_RULE = 'min(0.5, 1/K)';

/** A learning rate in a message: three significant digits. */
export function formatLr(lr: number): string {
  return String(Number(lr.toPrecision(3)));
}
