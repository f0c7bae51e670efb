/**
 * Guardrails for rollout plans: a plan stops when the sequential interval shows a variant is
 * worse than the control on any guardrail metric. "Worse" means the whole interval lies on the
 * bad side of 0: upper bound < 0 for a metric whose goal is an increase, lower bound > 0 for a
 * decrease. Only the sequential interval is used, because a plan looks at the read-out on every
 * check and the fixed interval would produce false alarms under that much peeking; without one
 * (the experiment is not running, or the numbers are undefined) nothing counts as worse.
 */
import type { ExperimentReadout } from './readout';
import type { MetricGoal } from './types';

export interface GuardrailBreach {
  metric: string;
  variant: string;
  goal: MetricGoal;
  sequential_ci: [number, number];
}

export interface GuardrailVerdict {
  worse: boolean;
  breaches: GuardrailBreach[];
  /** Guardrail keys the experiment has no metric for: a configuration error, reported rather than ignored. */
  unknown_metrics: string[];
}

export function guardrailVerdict(report: ExperimentReadout, guardrails: readonly string[]): GuardrailVerdict {
  const breaches: GuardrailBreach[] = [];
  const unknown_metrics: string[] = [];
  for (const key of new Set(guardrails)) {
    const metric = report.metrics.find((m) => m.key === key);
    if (!metric) {
      unknown_metrics.push(key);
      continue;
    }
    for (const row of metric.variants) {
      const ci = row.sequential_ci;
      if (!ci) continue;
      const worse = metric.goal === 'increase' ? ci[1] < 0 : ci[0] > 0;
      if (worse) breaches.push({ metric: key, variant: row.variant, goal: metric.goal, sequential_ci: ci });
    }
  }
  return { worse: breaches.length > 0, breaches, unknown_metrics };
}
