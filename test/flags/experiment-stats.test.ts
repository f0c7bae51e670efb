import { describe, expect, it } from 'vitest';
import { eventDelta, summarize, sumOfSquaresDelta, type MetricAggregate } from '../../src/flags/experiment/aggregates';
import { compare, Z_95 } from '../../src/flags/experiment/compare';
import { normalCdf } from '../../src/flags/experiment/distributions';
import { sequentialHalfWidth, sequentialRho } from '../../src/flags/experiment/sequential';
import { sampleRatioMismatch } from '../../src/flags/experiment/srm';

/** Per-unit totals folded event by event the way the storage will do it. */
function foldEvents(events: [unit: string, value: number][], exposed: string[]) {
  const totals = new Map<string, number>();
  const agg: MetricAggregate = { conversions: 0, sum: 0, sum_of_squares: 0 };
  const conv: MetricAggregate = { conversions: 0, sum: 0, sum_of_squares: 0 };
  for (const [unit, value] of events) {
    const previous = totals.has(unit) ? totals.get(unit)! : null;
    for (const [target, type] of [[agg, 'mean'], [conv, 'conversion']] as const) {
      const d = eventDelta(type, previous, value);
      target.conversions += d.conversions;
      target.sum += d.sum;
      target.sum_of_squares += d.sum_of_squares;
    }
    totals.set(unit, (previous ?? 0) + value);
  }
  const perUnit = exposed.map((u) => totals.get(u) ?? 0);
  return { agg, conv, perUnit };
}

describe('aggregates', () => {
  it('sumOfSquaresDelta is (t + v)² − t²', () => {
    for (const [t, v] of [[0, 5], [3, 4], [10, -2.5], [7, -7]] as const) {
      expect(sumOfSquaresDelta(t, v)).toBeCloseTo((t + v) ** 2 - t ** 2, 12);
    }
    // A large running total: the direct difference loses the change to rounding (≈ 20000.000122),
    // the helper keeps it: 0.01 · (2 · 10⁶ + 0.01) = 20000.0001.
    expect(sumOfSquaresDelta(1e6, 0.01)).toBeCloseTo(20000.0001, 9);
  });

  it('folding events keeps sum and sum_of_squares equal to those of the per-unit totals', () => {
    const exposed = ['a', 'b', 'c', 'd', 'e'];
    const events: [string, number][] = [['a', 10], ['b', 3], ['a', 5], ['c', 2.5], ['a', 1], ['b', 7]];
    const { agg, conv, perUnit } = foldEvents(events, exposed);
    expect(perUnit).toEqual([16, 10, 2.5, 0, 0]);
    expect(agg.sum).toBeCloseTo(28.5, 12);
    expect(agg.sum_of_squares).toBeCloseTo(16 ** 2 + 10 ** 2 + 2.5 ** 2, 12);
    expect(conv.conversions).toBe(3); // a, b, c once each

    // Mean over all exposed units (d and e count as 0) and the unbiased sample variance, computed directly.
    const mean = perUnit.reduce((a, b) => a + b) / perUnit.length;
    const variance = perUnit.reduce((s, x) => s + (x - mean) ** 2, 0) / (perUnit.length - 1);
    const summary = summarize('mean', exposed.length, agg);
    expect(summary.mean).toBeCloseTo(mean, 12);
    expect(summary.variance).toBeCloseTo(variance, 10);
  });

  it('conversion rate and p(1 − p)', () => {
    expect(summarize('conversion', 200, { conversions: 50, sum: 0, sum_of_squares: 0 })).toEqual({ units: 200, mean: 0.25, variance: 0.1875 });
  });

  it('no units, one unit, identical totals', () => {
    expect(summarize('mean', 0, { conversions: 0, sum: 0, sum_of_squares: 0 })).toEqual({ units: 0, mean: null, variance: null });
    expect(summarize('mean', 1, { conversions: 0, sum: 4, sum_of_squares: 16 })).toEqual({ units: 1, mean: 4, variance: null });
    // 3 units of 0.1 each: Σx² − (Σx)²/n rounds to a hair below 0; reported as 0, never negative.
    expect(summarize('mean', 3, { conversions: 0, sum: 0.1 + 0.1 + 0.1, sum_of_squares: 0.01 + 0.01 + 0.01 }).variance).toBeGreaterThanOrEqual(0);
  });
});

describe('comparison (delta method)', () => {
  const control = summarize('conversion', 10_000, { conversions: 1_000, sum: 0, sum_of_squares: 0 });
  const variant = summarize('conversion', 10_000, { conversions: 1_100, sum: 0, sum_of_squares: 0 });

  it('matches the formulas recomputed by hand', () => {
    const [mc, mv] = [0.1, 0.11];
    const [sc, sv] = [mc * (1 - mc), mv * (1 - mv)];
    const u = mv / mc - 1;
    const varU = sv / (10_000 * mc ** 2) + (mv ** 2 * sc) / (10_000 * mc ** 4);
    const se = Math.sqrt(varU);
    const r = compare(control, variant, 'increase', false);
    expect(r.null_reason).toBeNull();
    expect(r.relative_uplift).toBeCloseTo(0.1, 12);
    expect(r.ci![0]).toBeCloseTo(u - 1.959964 * se, 12);
    expect(r.ci![1]).toBeCloseTo(u + 1.959964 * se, 12);
    expect(r.p_value).toBeCloseTo(2 * (1 - normalCdf(Math.abs(u) / se)), 12);
    expect(r.chance_to_win).toBeCloseTo(normalCdf(u / se), 12);
    expect(r.sequential_ci).toBeNull();
    // The worked example in docs/experiments.md.
    expect(se).toBeCloseTo(0.0454753, 7);
    expect(r.ci![0]).toBeCloseTo(0.0108701, 7);
    expect(r.ci![1]).toBeCloseTo(0.1891299, 7);
    expect(r.p_value).toBeCloseTo(0.0278781, 7);
    expect(r.chance_to_win).toBeCloseTo(0.9860609, 7);
    const seq = compare(control, variant, 'increase', true).sequential_ci!;
    expect(seq[0]).toBeCloseTo(-0.0422064, 7);
    expect(seq[1]).toBeCloseTo(0.2422064, 7);
  });

  it('reverses chance to win for a decrease', () => {
    const up = compare(control, variant, 'increase', false);
    const down = compare(control, variant, 'decrease', false);
    expect(down.chance_to_win).toBeCloseTo(1 - up.chance_to_win!, 12);
    expect(down.p_value).toBe(up.p_value);
  });

  it('says why when a number is undefined', () => {
    const zero = summarize('conversion', 1_000, { conversions: 0, sum: 0, sum_of_squares: 0 });
    const one = summarize('conversion', 1, { conversions: 1, sum: 0, sum_of_squares: 0 });
    expect(compare(zero, variant, 'increase', true)).toMatchObject({ relative_uplift: null, ci: null, p_value: null, null_reason: 'control_mean_zero' });
    expect(compare(control, one, 'increase', true)).toMatchObject({ relative_uplift: null, null_reason: 'too_few_units' });
    // Everyone converted in both arms: u = 0 is defined, its variance is 0, so no interval or test.
    const all = summarize('conversion', 50, { conversions: 50, sum: 0, sum_of_squares: 0 });
    expect(compare(all, all, 'increase', true)).toMatchObject({ relative_uplift: 0, ci: null, p_value: null, chance_to_win: null, sequential_ci: null, null_reason: 'zero_variance' });
  });

  it('never lets non-finite numbers through', () => {
    const tiny = summarize('mean', 10, { conversions: 0, sum: 1e-300, sum_of_squares: 1e-300 });
    const big = summarize('mean', 10, { conversions: 0, sum: 1e300, sum_of_squares: 1e300 });
    const r = compare(tiny, big, 'increase', true);
    expect(r.null_reason).toBe('not_finite');
    expect(Object.values(r).filter((v) => typeof v === 'number' && !Number.isFinite(v))).toEqual([]);
  });
});

describe('sequential interval', () => {
  const conversions = (n: number, rate: number) => summarize('conversion', n, { conversions: Math.round(n * rate), sum: 0, sum_of_squares: 0 });

  it('uses GrowthBook/Waudby-Smith eq. 9 and eq. 161, recomputed here', () => {
    const alpha = 0.05;
    const S = 5_000;
    const rho2 = (-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / S;
    expect(sequentialRho(alpha, S) ** 2).toBeCloseTo(rho2, 15);
    const varU = 0.002;
    const N = 8_000;
    const s2 = varU * N;
    const expected = Math.sqrt(s2) * Math.sqrt((2 * (N * rho2 + 1) * Math.log(Math.sqrt(N * rho2 + 1) / alpha)) / (N * N * rho2));
    expect(sequentialHalfWidth(varU, N)).toBeCloseTo(expected, 14);
  });

  it('is about 3.03 standard errors wide at N = S, against 1.96 for the fixed interval', () => {
    // At N = S, Nρ² = 2 ln 20 + ln(1 + 2 ln 20) ≈ 7.936.
    const k = 2 * Math.log(20) + Math.log(1 + 2 * Math.log(20));
    const ratio = Math.sqrt((2 * (k + 1) * Math.log(Math.sqrt(k + 1) / 0.05)) / k);
    expect(sequentialHalfWidth(1 / 5_000, 5_000)).toBeCloseTo(ratio * Math.sqrt(1 / 5_000), 14);
    expect(ratio).toBeGreaterThan(3.0);
    expect(ratio).toBeLessThan(3.1);
  });

  it('is wider than the fixed interval and narrows as units grow', () => {
    let previousWidth = Number.POSITIVE_INFINITY;
    for (const n of [500, 2_000, 5_000, 20_000, 100_000, 1_000_000]) {
      const r = compare(conversions(n, 0.1), conversions(n, 0.105), 'increase', true);
      const fixed = r.ci![1] - r.ci![0];
      const seq = r.sequential_ci![1] - r.sequential_ci![0];
      expect(seq).toBeGreaterThan(fixed);
      expect(seq).toBeLessThan(previousWidth);
      expect(r.sequential_ci![0] + r.sequential_ci![1]).toBeCloseTo(2 * r.relative_uplift!, 12); // centred on u
      previousWidth = seq;
    }
    expect(Z_95).toBe(1.959964);
  });
});

describe('sample-ratio mismatch', () => {
  const fiftyFifty = [{ variant: 'control', weight: 5_000 }, { variant: 'treatment', weight: 5_000 }];

  it('5,000 vs 4,500 on 50/50 is a mismatch', () => {
    const r = sampleRatioMismatch({ control: 5_000, treatment: 4_500 }, fiftyFifty);
    // χ² = 2 · 250² / 4,750 ≈ 26.3, far beyond 10.828 (p = 0.001 at df 1).
    expect(r.ok).toBe(false);
    expect(r.p_value!).toBeLessThan(1e-6);
  });

  it('5,000 vs 5,050 on 50/50 is fine', () => {
    const r = sampleRatioMismatch({ control: 5_000, treatment: 5_050 }, fiftyFifty);
    // χ² = 2 · 25² / 5,025 ≈ 0.2488 → p = 2(1 − Φ(√χ²)) for df 1.
    const chi = (2 * 25 ** 2) / 5_025;
    expect(r.ok).toBe(true);
    expect(r.p_value!).toBeCloseTo(2 * (1 - normalCdf(Math.sqrt(chi))), 10);
  });

  it('three-way split with uneven weights, df = 2 (survival e^{−χ²/2})', () => {
    const split = [{ variant: 'a', weight: 5_000 }, { variant: 'b', weight: 2_500 }, { variant: 'c', weight: 2_500 }];
    const good = sampleRatioMismatch({ a: 5_020, b: 2_480, c: 2_500 }, split);
    const chiGood = 20 ** 2 / 5_000 + 20 ** 2 / 2_500 + 0;
    expect(good.p_value!).toBeCloseTo(Math.exp(-chiGood / 2), 12);
    expect(good.ok).toBe(true);
    // 1/3 each instead of 50/25/25.
    const bad = sampleRatioMismatch({ a: 3_334, b: 3_333, c: 3_333 }, split);
    expect(bad.ok).toBe(false);
  });

  it('units in a variant of weight 0 or outside the split are a mismatch', () => {
    const split = [...fiftyFifty, { variant: 'holdout', weight: 0 }];
    expect(sampleRatioMismatch({ control: 100, treatment: 100, holdout: 1 }, split)).toEqual({ p_value: 0, ok: false });
    expect(sampleRatioMismatch({ control: 100, treatment: 100, other: 1 }, fiftyFifty)).toEqual({ p_value: 0, ok: false });
    expect(sampleRatioMismatch({ control: 100, treatment: 100, holdout: 0 }, split).ok).toBe(true);
  });

  it('nothing to test: no units, or one weighted variant', () => {
    expect(sampleRatioMismatch({}, fiftyFifty)).toEqual({ p_value: null, ok: true });
    expect(sampleRatioMismatch({ only: 10 }, [{ variant: 'only', weight: 10_000 }])).toEqual({ p_value: null, ok: true });
  });
});
