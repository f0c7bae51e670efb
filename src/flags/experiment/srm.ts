/**
 * Sample-ratio mismatch: a chi-square goodness-of-fit test of the units seen per variant against
 * the split's weights (basis points summing to 10,000). A mismatch means the assignment or the
 * exposure logging is broken, and every other number in the read-out is suspect.
 *
 *   expected_i = N · w_i / 10,000,   χ² = Σ (observed_i − expected_i)² / expected_i,
 *   df = (variants with weight > 0) − 1,   p = P(χ²_df > χ²),   ok = p ≥ 0.001.
 *
 * Units in a variant of weight 0 (or one missing from the split) cannot happen by chance, so they
 * make p = 0. With no units, or a single weighted variant, there is nothing to test: p is null and
 * ok is true.
 */
import { chiSquareSurvival } from './distributions';
import type { SplitWeight } from './types';

export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  /** null when there is nothing to test (no units, or one weighted variant). */
  p_value: number | null;
  ok: boolean;
}

/** `units` by variant key. */
export function sampleRatioMismatch(units: Record<string, number>, split: readonly SplitWeight[]): SrmResult {
  const weights = new Map(split.map((w) => [w.variant, w.weight]));
  const totalWeight = split.reduce((sum, w) => sum + w.weight, 0);
  const total = Object.values(units).reduce((sum, n) => sum + n, 0);
  if (!(total > 0) || !(totalWeight > 0)) return { p_value: null, ok: true };

  for (const [variant, n] of Object.entries(units)) {
    if (n > 0 && !((weights.get(variant) ?? 0) > 0)) return { p_value: 0, ok: false };
  }
  const weighted = split.filter((w) => w.weight > 0);
  if (weighted.length < 2) return { p_value: null, ok: true };

  let chiSquare = 0;
  for (const { variant, weight } of weighted) {
    const expected = (total * weight) / totalWeight;
    const observed = units[variant] ?? 0;
    chiSquare += (observed - expected) ** 2 / expected;
  }
  const p = chiSquareSurvival(chiSquare, weighted.length - 1);
  return { p_value: p, ok: p >= SRM_THRESHOLD };
}
