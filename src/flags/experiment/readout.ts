/**
 * The experiment read-out: for every metric and variant the units, the conversions or the mean and
 * variance, and against the control the uplift, its 95% interval, p-value, chance to win and
 * (while running) the sequential interval; plus the sample-ratio check of the units against the
 * split and the count of units seen in more than one variant. Costs O(variants × metrics),
 * whatever the number of units, because it reads only the aggregates.
 */
import { summarize, ZERO_METRIC, type ExperimentAggregates } from './aggregates';
import { compare, CONTROL_ROW, type Comparison } from './compare';
import { ALPHA, SEQUENTIAL_TUNING } from './sequential';
import { sampleRatioMismatch, type SrmResult } from './srm';
import type { ExperimentConfig, ExperimentStatus, MetricGoal, MetricType, SplitWeight } from './types';

export interface VariantReadout extends Comparison {
  variant: string;
  units: number;
  /** Conversion metrics only. */
  conversions?: number;
  /** The conversion rate for a conversion metric; null without units. */
  mean: number | null;
  /** p(1 − p) for a conversion, the unbiased sample variance for a mean; null when undefined. */
  variance: number | null;
}

export interface MetricReadout {
  key: string;
  type: MetricType;
  goal: MetricGoal;
  /** The control first, then the other variants in split order. */
  variants: VariantReadout[];
}

export interface ExperimentReadout {
  status: ExperimentStatus;
  control: string;
  generated_at: string;
  /** From started_at to stopped_at (or now while running); null before the start. */
  duration_seconds: number | null;
  alpha: number;
  sequential_tuning: number;
  /** Whether `sequential_ci` is filled: only while the experiment runs. */
  sequential: boolean;
  srm: SrmResult;
  multiple_exposures: number;
  metrics: MetricReadout[];
}

/** The variants to report: the control, the split's variants, then any others that have units. */
function variantOrder(control: string, split: readonly SplitWeight[], aggregates: ExperimentAggregates): string[] {
  const keys = [control, ...split.map((w) => w.variant), ...Object.keys(aggregates.variants)];
  return [...new Set(keys)];
}

function durationSeconds(experiment: ExperimentConfig, nowMs: number): number | null {
  if (!experiment.started_at) return null;
  const end = experiment.stopped_at ? Date.parse(experiment.stopped_at) : nowMs;
  const seconds = Math.floor((end - Date.parse(experiment.started_at)) / 1000);
  return Number.isFinite(seconds) ? Math.max(seconds, 0) : null;
}

export function readout(experiment: ExperimentConfig, aggregates: ExperimentAggregates, split: readonly SplitWeight[], nowMs: number): ExperimentReadout {
  const sequential = experiment.status === 'running';
  const variants = variantOrder(experiment.control, split, aggregates);
  const unitsOf = (variant: string) => aggregates.variants[variant]?.units ?? 0;

  const metrics = experiment.metrics.map((metric): MetricReadout => {
    const aggregateOf = (variant: string) => aggregates.variants[variant]?.metrics[metric.key] ?? ZERO_METRIC;
    const control = summarize(metric.type, unitsOf(experiment.control), aggregateOf(experiment.control));
    return {
      key: metric.key,
      type: metric.type,
      goal: metric.goal,
      variants: variants.map((variant): VariantReadout => {
        const summary = summarize(metric.type, unitsOf(variant), aggregateOf(variant));
        const comparison = variant === experiment.control ? CONTROL_ROW : compare(control, summary, metric.goal, sequential);
        return {
          variant,
          units: summary.units,
          ...(metric.type === 'conversion' ? { conversions: aggregateOf(variant).conversions } : {}),
          mean: summary.mean,
          variance: summary.variance,
          ...comparison,
        };
      }),
    };
  });

  return {
    status: experiment.status,
    control: experiment.control,
    generated_at: new Date(nowMs).toISOString(),
    duration_seconds: durationSeconds(experiment, nowMs),
    alpha: ALPHA,
    sequential_tuning: SEQUENTIAL_TUNING,
    sequential,
    srm: sampleRatioMismatch(Object.fromEntries(variants.map((v) => [v, unitsOf(v)])), split),
    multiple_exposures: aggregates.multiple_exposures,
    metrics,
  };
}
