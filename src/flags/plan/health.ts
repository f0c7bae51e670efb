/** When a flag under a rollout plan counts as healthy: the auto-kill window plus the plan's own rate rule. */
import type { AutoKillPolicy } from '../schema';
import { breachedRule, errorRate, type WindowCounts } from '../window';
import type { RolloutPlan } from './body';

export type HealthRule = 'max_failures' | 'max_error_rate' | 'plan_max_error_rate';

export interface HealthVerdict {
  healthy: boolean;
  rule?: HealthRule;
  failures: number;
  successes: number;
  error_rate: number;
}

/**
 * Healthy when the auto-kill window is under the auto-kill limits (whether or not the auto-kill
 * itself is enabled) and, when the plan sets `max_error_rate`, the window's error rate is under it
 * once the window holds `min_samples` reports. Fewer samples than that: the rate rule does not apply.
 */
export function planHealth(plan: Pick<RolloutPlan, 'health'>, autoKill: AutoKillPolicy, counts: WindowCounts): HealthVerdict {
  const base = { failures: counts.failures, successes: counts.successes, error_rate: errorRate(counts) };
  const killRule = breachedRule({ ...autoKill, enabled: true }, counts);
  if (killRule) return { healthy: false, rule: killRule, ...base };
  const { max_error_rate, min_samples } = plan.health;
  if (max_error_rate !== undefined && counts.failures + counts.successes >= min_samples && base.error_rate >= max_error_rate) {
    return { healthy: false, rule: 'plan_max_error_rate', ...base };
  }
  return { healthy: true, ...base };
}
