/**
 * Aggregates an experiment keeps per variant and metric, designed so that each exposure or event
 * is one constant-time UPDATE in the Durable Object's SQLite and a read-out costs the same at
 * 1,000 or 1,000,000 units:
 *  - `units`: distinct units exposed to the variant;
 *  - conversion metric: `conversions`, the units with at least one event;
 *  - mean metric: `sum` and `sum_of_squares` of the per-unit totals. A unit without events
 *    contributes 0 to both but counts in `units`, so the mean is revenue per exposed user.
 *
 * A unit's total changes as its events arrive, so the storage keeps each unit's running total per
 * metric and applies `eventDelta` to the aggregate: when the total goes from t to t + v the sum
 * moves by v and the sum of squares by (t + v)² − t².
 */
import type { MetricType } from './types';

export interface MetricAggregate {
  conversions: number;
  sum: number;
  sum_of_squares: number;
}

export interface VariantAggregate {
  units: number;
  /** By metric key; a metric without a row reads as all zeros. */
  metrics: Record<string, MetricAggregate>;
}

export interface ExperimentAggregates {
  /** By variant key. */
  variants: Record<string, VariantAggregate>;
  /** Units seen in more than one variant (kept out of every variant's aggregates). */
  multiple_exposures: number;
}

export const ZERO_METRIC: Readonly<MetricAggregate> = Object.freeze({ conversions: 0, sum: 0, sum_of_squares: 0 });

/**
 * (t + v)² − t², written as v (2t + v) so a large running total does not cancel away the change.
 */
export function sumOfSquaresDelta(previousTotal: number, value: number): number {
  return value * (2 * previousTotal + value);
}

/**
 * What one event adds to a variant's metric aggregate. `previousTotal` is the unit's running total
 * for the metric before the event, or null when this is the unit's first event for it; the storage
 * then stores `previousTotal + value` (or `value`) as the unit's new total. A conversion counts
 * once per unit, on its first event, whatever the value.
 */
export function eventDelta(type: MetricType, previousTotal: number | null, value: number): MetricAggregate {
  if (type === 'conversion') return { conversions: previousTotal === null ? 1 : 0, sum: 0, sum_of_squares: 0 };
  return { conversions: 0, sum: value, sum_of_squares: sumOfSquaresDelta(previousTotal ?? 0, value) };
}

export interface VariantSummary {
  units: number;
  /** Conversion rate or mean per unit; null without units. */
  mean: number | null;
  /** p(1 − p) for a conversion, the unbiased sample variance for a mean; null below 2 units for a mean. */
  variance: number | null;
}

/** Mean and variance of one variant's metric, from its aggregate alone. */
export function summarize(type: MetricType, units: number, aggregate: MetricAggregate): VariantSummary {
  if (!(units > 0)) return { units: 0, mean: null, variance: null };
  if (type === 'conversion') {
    const p = Math.min(Math.max(aggregate.conversions / units, 0), 1);
    return { units, mean: p, variance: p * (1 - p) };
  }
  const mean = aggregate.sum / units;
  if (units < 2) return { units, mean, variance: null };
  // Σx² − (Σx)²/n can come out a hair below 0 by rounding when every unit has the same total.
  const variance = Math.max((aggregate.sum_of_squares - aggregate.sum * mean) / (units - 1), 0);
  return { units, mean, variance };
}
