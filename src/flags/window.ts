/**
 * Sliding-window arithmetic for the automatic kill switch. The window is kept as time buckets
 * of 1/60 of its length (at least one second), so storage grows with the window, not the count.
 * A bucket counts while its start lies inside the window: the effective window is between
 * `window_seconds - bucket` and `window_seconds` long.
 */
import type { AutoKillPolicy } from './schema';

export const BUCKETS_PER_WINDOW = 60;

export interface WindowCounts {
  failures: number;
  successes: number;
}

export function bucketSizeMs(windowSeconds: number): number {
  return Math.max(1, Math.ceil(windowSeconds / BUCKETS_PER_WINDOW)) * 1000;
}

export function bucketStart(nowMs: number, windowSeconds: number): number {
  const size = bucketSizeMs(windowSeconds);
  return Math.floor(nowMs / size) * size;
}

/** Buckets starting after this instant are inside the window. */
export function windowFloor(nowMs: number, windowSeconds: number): number {
  return nowMs - windowSeconds * 1000;
}

export function errorRate(counts: WindowCounts): number {
  const total = counts.failures + counts.successes;
  return total === 0 ? 0 : counts.failures / total;
}

export type BreachRule = 'max_failures' | 'max_error_rate';

/** Which rule of the policy the window breaks, if any. */
export function breachedRule(policy: AutoKillPolicy, counts: WindowCounts): BreachRule | null {
  if (!policy.enabled) return null;
  if (counts.failures >= policy.max_failures) return 'max_failures';
  if (
    policy.max_error_rate !== undefined &&
    counts.failures + counts.successes >= policy.min_samples &&
    errorRate(counts) >= policy.max_error_rate
  ) {
    return 'max_error_rate';
  }
  return null;
}

/** What the history and the notification record about an automatic kill. */
export function incidentFacts(
  rule: BreachRule,
  policy: AutoKillPolicy,
  counts: WindowCounts,
  report: { error?: string; variant?: string },
): Record<string, unknown> {
  return {
    rule,
    failures: counts.failures,
    successes: counts.successes,
    error_rate: errorRate(counts),
    window_seconds: policy.window_seconds,
    max_failures: policy.max_failures,
    ...(policy.max_error_rate !== undefined ? { max_error_rate: policy.max_error_rate, min_samples: policy.min_samples } : {}),
    ...(report.error !== undefined ? { error_sample: report.error } : {}),
    ...(report.variant !== undefined ? { variant: report.variant } : {}),
  };
}
