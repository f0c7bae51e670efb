import { describe, expect, it } from 'vitest';
import { eventDelta, type ExperimentAggregates, type MetricAggregate } from '../../src/flags/experiment/aggregates';
import { guardrailVerdict } from '../../src/flags/experiment/guardrails';
import { readout } from '../../src/flags/experiment/readout';
import type { ExperimentConfig, SplitWeight } from '../../src/flags/experiment/types';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const split: SplitWeight[] = [
  { variant: 'control', weight: 5_000 },
  { variant: 'treatment', weight: 5_000 },
];

const experiment = (overrides: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  control: 'control',
  metrics: [
    { key: 'checkout', type: 'conversion', goal: 'increase' },
    { key: 'revenue', type: 'mean', goal: 'increase' },
    { key: 'errors', type: 'conversion', goal: 'decrease' },
  ],
  status: 'running',
  started_at: '2026-12-01T12:00:00Z',
  stopped_at: null,
  ...overrides,
});

const conv = (conversions: number): MetricAggregate => ({ conversions, sum: 0, sum_of_squares: 0 });
const mean = (sum: number, sum_of_squares: number): MetricAggregate => ({ conversions: 0, sum, sum_of_squares });

function aggregates(n: number, treatment: { checkout: number; errors: number }): ExperimentAggregates {
  return {
    variants: {
      control: { units: n, metrics: { checkout: conv(n * 0.1), revenue: mean(n * 2, n * 20), errors: conv(n * 0.02) } },
      treatment: { units: n, metrics: { checkout: conv(n * treatment.checkout), revenue: mean(n * 2.1, n * 21), errors: conv(n * treatment.errors) } },
    },
    multiple_exposures: 7,
  };
}

/** Every number anywhere in the value is finite (JSON.stringify would silently turn NaN into null). */
function numbers(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbers);
  return [];
}

describe('readout', () => {
  it('reports every metric and variant, control first, with the control row empty', () => {
    const r = readout(experiment(), aggregates(10_000, { checkout: 0.11, errors: 0.02 }), split, NOW);
    expect(r).toMatchObject({
      status: 'running',
      control: 'control',
      generated_at: '2026-12-02T12:00:00.000Z',
      duration_seconds: 86_400,
      alpha: 0.05,
      sequential_tuning: 5_000,
      sequential: true,
      srm: { p_value: 1, ok: true },
      multiple_exposures: 7,
    });
    expect(r.metrics.map((m) => m.key)).toEqual(['checkout', 'revenue', 'errors']);
    const [control, treatment] = r.metrics[0]!.variants;
    expect(control).toMatchObject({ variant: 'control', units: 10_000, conversions: 1_000, mean: 0.1, relative_uplift: null, null_reason: 'control' });
    expect(treatment).toMatchObject({ variant: 'treatment', units: 10_000, conversions: 1_100, null_reason: null });
    expect(treatment!.mean).toBeCloseTo(0.11, 12);
    expect(treatment!.variance).toBeCloseTo(0.11 * 0.89, 12);
    expect(treatment!.relative_uplift).toBeCloseTo(0.1, 12);
    expect(treatment!.p_value).toBeCloseTo(0.0278781, 7);
    expect(treatment!.sequential_ci).not.toBeNull();
  });

  it('averages a mean metric over every exposed unit, those without events counting 0', () => {
    // Four exposed units; two of them spent 10 and 30, two spent nothing: mean 10, variance 200.
    const totals = [10, 30];
    const agg: MetricAggregate = { conversions: 0, sum: 0, sum_of_squares: 0 };
    for (const t of totals) {
      const d = eventDelta('mean', null, t);
      agg.sum += d.sum;
      agg.sum_of_squares += d.sum_of_squares;
    }
    const exp = experiment({ metrics: [{ key: 'revenue', type: 'mean', goal: 'increase' }] });
    const data: ExperimentAggregates = {
      variants: { control: { units: 4, metrics: { revenue: agg } }, treatment: { units: 4, metrics: {} } },
      multiple_exposures: 0,
    };
    const [control, treatment] = readout(exp, data, split, NOW).metrics[0]!.variants;
    const direct = [10, 30, 0, 0];
    const m = direct.reduce((a, b) => a + b) / 4;
    expect(control).toMatchObject({ units: 4, mean: m, variance: direct.reduce((s, x) => s + (x - m) ** 2, 0) / 3 });
    expect(control).not.toHaveProperty('conversions');
    // No events at all in treatment: mean 0, variance 0, uplift −100%.
    expect(treatment).toMatchObject({ units: 4, mean: 0, variance: 0, relative_uplift: -1 });
  });

  it('fills sequential_ci only while running', () => {
    for (const status of ['stopped', 'draft'] as const) {
      const r = readout(experiment({ status, stopped_at: status === 'stopped' ? '2026-12-01T18:00:00Z' : null }), aggregates(10_000, { checkout: 0.11, errors: 0.02 }), split, NOW);
      expect(r.sequential).toBe(false);
      expect(r.metrics[0]!.variants[1]!.sequential_ci).toBeNull();
      expect(r.metrics[0]!.variants[1]!.ci).not.toBeNull();
      if (status === 'stopped') expect(r.duration_seconds).toBe(6 * 3_600);
    }
    expect(readout(experiment({ status: 'draft', started_at: null }), aggregates(10, { checkout: 0.1, errors: 0 }), split, NOW).duration_seconds).toBeNull();
  });

  it('flags a sample-ratio mismatch', () => {
    const data = aggregates(5_000, { checkout: 0.1, errors: 0.02 });
    data.variants.treatment!.units = 4_500;
    expect(readout(experiment(), data, split, NOW).srm.ok).toBe(false);
  });

  it('survives empty and degenerate data without NaN or Infinity', () => {
    const empty: ExperimentAggregates = { variants: {}, multiple_exposures: 0 };
    const tiny: ExperimentAggregates = {
      variants: { control: { units: 1, metrics: { checkout: conv(0), revenue: mean(0, 0) } }, treatment: { units: 1, metrics: { checkout: conv(1) } } },
      multiple_exposures: 0,
    };
    const zeroControl: ExperimentAggregates = {
      variants: { control: { units: 100, metrics: {} }, treatment: { units: 100, metrics: { checkout: conv(5), revenue: mean(50, 500) } } },
      multiple_exposures: 0,
    };
    for (const data of [empty, tiny, zeroControl]) {
      const r = readout(experiment(), data, split, NOW);
      expect(numbers(r).every(Number.isFinite)).toBe(true);
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
    const none = readout(experiment(), empty, split, NOW);
    expect(none.srm).toEqual({ p_value: null, ok: true });
    expect(none.metrics[1]!.variants[1]).toMatchObject({ units: 0, mean: null, variance: null, null_reason: 'too_few_units' });
    expect(readout(experiment(), tiny, split, NOW).metrics[0]!.variants[1]!.null_reason).toBe('too_few_units');
    expect(readout(experiment(), zeroControl, split, NOW).metrics[0]!.variants[1]!.null_reason).toBe('control_mean_zero');
  });

  it('reports variants that have units but are missing from the split, and an SRM for them', () => {
    const data = aggregates(1_000, { checkout: 0.1, errors: 0.02 });
    data.variants.stray = { units: 3, metrics: {} };
    const r = readout(experiment(), data, split, NOW);
    expect(r.metrics[0]!.variants.map((v) => v.variant)).toEqual(['control', 'treatment', 'stray']);
    expect(r.srm).toEqual({ p_value: 0, ok: false });
  });
});

describe('guardrail verdict', () => {
  it('nothing is worse when the sequential interval crosses 0', () => {
    const r = readout(experiment(), aggregates(10_000, { checkout: 0.098, errors: 0.021 }), split, NOW);
    expect(guardrailVerdict(r, ['checkout', 'errors'])).toEqual({ worse: false, breaches: [], unknown_metrics: [] });
  });

  it('an increase metric is worse when the sequential upper bound is below 0', () => {
    const r = readout(experiment(), aggregates(20_000, { checkout: 0.08, errors: 0.02 }), split, NOW);
    const v = guardrailVerdict(r, ['checkout']);
    expect(v.worse).toBe(true);
    expect(v.breaches).toEqual([{ metric: 'checkout', variant: 'treatment', goal: 'increase', sequential_ci: expect.any(Array) }]);
    expect(v.breaches[0]!.sequential_ci[1]).toBeLessThan(0);
  });

  it('a decrease metric is worse when the sequential lower bound is above 0', () => {
    const r = readout(experiment(), aggregates(20_000, { checkout: 0.1, errors: 0.03 }), split, NOW);
    const v = guardrailVerdict(r, ['checkout', 'errors']);
    expect(v.breaches.map((b) => [b.metric, b.variant, b.goal])).toEqual([['errors', 'treatment', 'decrease']]);
    expect(v.breaches[0]!.sequential_ci[0]).toBeGreaterThan(0);
    // A drop in errors is good news, never a breach.
    const better = readout(experiment(), aggregates(20_000, { checkout: 0.1, errors: 0.01 }), split, NOW);
    expect(guardrailVerdict(better, ['errors']).worse).toBe(false);
  });

  it('decides on the sequential interval, not the fixed one', () => {
    // 1,500 per arm, 10% vs 8%: the fixed interval is already below 0, the sequential one is not.
    const r = readout(experiment(), aggregates(1_500, { checkout: 0.08, errors: 0.02 }), split, NOW);
    const row = r.metrics[0]!.variants[1]!;
    expect(row.ci![1]).toBeLessThan(0);
    expect(row.sequential_ci![1]).toBeGreaterThan(0);
    expect(guardrailVerdict(r, ['checkout']).worse).toBe(false);
  });

  it('no verdict from a stopped experiment; unknown guardrail keys are reported', () => {
    const stopped = readout(experiment({ status: 'stopped', stopped_at: '2026-12-02T00:00:00Z' }), aggregates(20_000, { checkout: 0.08, errors: 0.02 }), split, NOW);
    expect(guardrailVerdict(stopped, ['checkout', 'latency'])).toEqual({ worse: false, breaches: [], unknown_metrics: ['latency'] });
  });
});
