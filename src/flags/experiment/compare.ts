/**
 * One variant against the control on one metric: relative uplift, its delta-method variance
 * (as GrowthBook documents it), the fixed 95% interval, the two-sided p-value, the chance to win
 * and, while the experiment runs, the sequential interval.
 *
 *   u      = m_v / m_c − 1
 *   var(u) = s_v² / (n_v m_c²) + m_v² s_c² / (n_c m_c⁴)
 *   ci     = u ± 1.959964 √var(u)
 *   p      = 2 (1 − Φ(|u| / √var(u)))      (computed as 2 Φ(−|z|), the same number without cancellation)
 *   chance = Φ(u / √var(u)), or Φ(−u / √var(u)) when the goal is a decrease
 *
 * Where a number is undefined the result carries null and `null_reason` says why; nothing here
 * ever returns NaN or ±Infinity, so a read-out always serialises to valid JSON.
 */
import type { VariantSummary } from './aggregates';
import { normalCdf } from './distributions';
import { sequentialHalfWidth } from './sequential';
import type { MetricGoal } from './types';

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959964;

export type NullReason =
  /** This row is the control itself. */
  | 'control'
  /** The variant or the control has fewer than 2 units. */
  | 'too_few_units'
  /** The control's mean is 0, so a relative uplift is undefined. */
  | 'control_mean_zero'
  /** var(u) is 0 (e.g. every unit converted, or none did), so no interval or test is defined. */
  | 'zero_variance'
  /** A value overflowed a double (absurd aggregates). */
  | 'not_finite';

export interface Comparison {
  relative_uplift: number | null;
  ci: [number, number] | null;
  p_value: number | null;
  chance_to_win: number | null;
  /** Only while the experiment runs; null otherwise. */
  sequential_ci: [number, number] | null;
  null_reason: NullReason | null;
}

const empty = (reason: NullReason, relative_uplift: number | null = null): Comparison => ({
  relative_uplift,
  ci: null,
  p_value: null,
  chance_to_win: null,
  sequential_ci: null,
  null_reason: reason,
});

export const CONTROL_ROW: Readonly<Comparison> = Object.freeze(empty('control'));

const finite = (...values: number[]) => values.every(Number.isFinite);

export function compare(control: VariantSummary, variant: VariantSummary, goal: MetricGoal, sequential: boolean): Comparison {
  const { units: nc, mean: mc, variance: sc } = control;
  const { units: nv, mean: mv, variance: sv } = variant;
  if (nc < 2 || nv < 2 || mc === null || mv === null || sc === null || sv === null) return empty('too_few_units');
  if (mc === 0) return empty('control_mean_zero');

  const uplift = mv / mc - 1;
  const variance = sv / (nv * mc * mc) + (mv * mv * sc) / (nc * mc ** 4);
  if (!finite(uplift, variance)) return empty('not_finite');
  if (variance === 0) return empty('zero_variance', uplift);

  const se = Math.sqrt(variance);
  const z = uplift / se;
  const half = Z_95 * se;
  const result: Comparison = {
    relative_uplift: uplift,
    ci: [uplift - half, uplift + half],
    p_value: 2 * normalCdf(-Math.abs(z)),
    chance_to_win: normalCdf(goal === 'increase' ? z : -z),
    sequential_ci: null,
    null_reason: null,
  };
  if (sequential) {
    const seqHalf = sequentialHalfWidth(variance, nc + nv);
    result.sequential_ci = [uplift - seqHalf, uplift + seqHalf];
  }
  if (!finite(z, half, ...(result.sequential_ci ?? []))) return empty('not_finite');
  return result;
}
