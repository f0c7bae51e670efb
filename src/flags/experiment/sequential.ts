/**
 * GrowthBook's sequential interval: the asymptotic confidence sequence of Waudby-Smith et al.
 * ("Time-uniform central limit theory and asymptotic confidence sequences", arXiv 2103.06476),
 * eq. 9 for the half-width and eq. 161 for the mixing parameter ρ chosen from a tuning
 * parameter S ("sequentialTuningParameter", default 5,000), as GrowthBook's gbstats implements it.
 *
 * With N = n_control + n_variant units and var(u) the delta-method variance of the uplift,
 * the per-unit variance is s² = var(u) · N and
 *   ρ² = (2 ln(1/α) + ln(1 + 2 ln(1/α))) / S
 *   half-width = √s² · √( 2 (N ρ² + 1) · ln(√(N ρ² + 1) / α) / (N ρ)² ).
 * The interval holds at every N at once with probability 1 − α (asymptotically), so it may be
 * looked at as often as anyone likes; the price is width, smallest relative to the fixed interval
 * when N is near S. S stays fixed for the life of an experiment.
 */

/** α of every interval in the read-out: 95% intervals. */
export const ALPHA = 0.05;

/** GrowthBook's default tuning parameter S: the sample size at which decisions are expected. */
export const SEQUENTIAL_TUNING = 5_000;

/** ρ for significance α and tuning parameter S (eq. 161, two-sided). */
export function sequentialRho(alpha: number, tuning: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError('alpha must be in (0, 1)');
  if (!(tuning > 0)) throw new RangeError('the tuning parameter must be positive');
  const logInverseAlpha = -Math.log(alpha);
  return Math.sqrt((2 * logInverseAlpha + Math.log(1 + 2 * logInverseAlpha)) / tuning);
}

/**
 * Half-width of the confidence sequence for an estimate with variance `estimateVariance` (var(u))
 * from `n` units in all (eq. 9).
 */
export function sequentialHalfWidth(estimateVariance: number, n: number, alpha = ALPHA, tuning = SEQUENTIAL_TUNING): number {
  if (!(n >= 1)) throw new RangeError('n must be at least 1');
  const rho = sequentialRho(alpha, tuning);
  const perUnitVariance = estimateVariance * n;
  const nRhoSquaredPlusOne = n * rho * rho + 1;
  return Math.sqrt(perUnitVariance) * Math.sqrt((2 * nRhoSquaredPlusOne * Math.log(Math.sqrt(nRhoSquaredPlusOne) / alpha)) / (n * rho) ** 2);
}
