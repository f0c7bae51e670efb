/**
 * An experiment's configuration as the statistics core reads it. Plain types: the zod schema that
 * parses external input into this shape is in ./schema.ts.
 */

/** `conversion`: did the unit do it at least once. `mean`: the unit's total, averaged over all exposed units. */
export type MetricType = 'conversion' | 'mean';

/** Which direction is good: `decrease` for e.g. errors or latency. */
export type MetricGoal = 'increase' | 'decrease';

export interface ExperimentMetric {
  key: string;
  type: MetricType;
  goal: MetricGoal;
}

export type ExperimentStatus = 'draft' | 'running' | 'stopped';

export interface ExperimentConfig {
  /** The variant every other variant is compared with. */
  control: string;
  /** 1–10 metrics, keys unique. */
  metrics: ExperimentMetric[];
  status: ExperimentStatus;
  /** ISO 8601 timestamps; null until the experiment starts / stops. */
  started_at: string | null;
  stopped_at: string | null;
}

/** One variant's share of the traffic, in basis points; a split's weights sum to 10,000. */
export interface SplitWeight {
  variant: string;
  weight: number;
}
