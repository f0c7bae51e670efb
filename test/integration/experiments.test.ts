/**
 * Experiments end to end in workerd: the `experiment` field (validation, PATCH with If-Match,
 * history, revert), units and events stored by the flag object with their aggregates, the
 * read-out route, and exposures recorded through the real SDK and the OFREP route.
 */
import { describe, expect, it } from 'vitest';
import { FlagClient } from '../../src/sdk/client';
import { api, bundleVersion, createFlag, TOKENS, waitFor } from '../helpers/api';
import { CountingReporter } from '../sdk/helpers';
import { runningExperiment, threeWayFlag } from '../support/experiment-flags';
import { env } from 'cloudflare:workers';

function fiftyFifty(id: string, metrics?: unknown[]) {
  return {
    id,
    enabled: true,
    type: 'string',
    variants: { control: 'a', treatment: 'b' },
    on_variant: 'treatment',
    off_variant: 'control',
    split: [
      { variant: 'control', weight: 5000 },
      { variant: 'treatment', weight: 5000 },
    ],
    experiment: runningExperiment(metrics),
  };
}

const readout = async (id: string) => {
  const response = await api('GET', `/admin/flags/${id}/experiment`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};
const unitsOf = (body: any) => Object.fromEntries(body.metrics[0].variants.map((v: any) => [v.variant, v.units]));
const usage = (id: string, units: { unit: string; variant: string; at: number }[], events?: unknown[]) =>
  api('POST', `/v1/flags/${id}/usage`, { variants: {}, last_at: Date.now(), units, ...(events ? { events } : {}) });
const events = (id: string, list: unknown[], token: string = TOKENS.reporter) => api('POST', `/v1/flags/${id}/events`, { events: list }, { token });

describe('the experiment field', () => {
  it('is validated with the path named, patched with If-Match, kept in the history and reverted', async () => {
    const bad = await api('POST', '/admin/flags', threeWayFlag('x-field-bad', { ...runningExperiment(), control: 'nope' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'experiment.control' })]);
    const badMetric = await api('POST', '/admin/flags', threeWayFlag('x-field-bad', { ...runningExperiment(), metrics: [{ key: 'm', type: 'ratio', goal: 'increase' }] }));
    expect(badMetric.status).toBe(400);
    expect(badMetric.body.error.details[0].path).toBe('experiment.metrics.0.type');

    const flag = await createFlag(threeWayFlag('x-field', { ...runningExperiment(), status: 'draft', started_at: null }));
    expect(flag.experiment).toMatchObject({ status: 'draft', started_at: null, stopped_at: null });
    const stale = await api('PATCH', '/admin/flags/x-field', { experiment: runningExperiment() }, { headers: { 'If-Match': '"0"' } });
    expect(stale.status).toBe(412);
    const started = await api('PATCH', '/admin/flags/x-field', { experiment: runningExperiment() }, { headers: { 'If-Match': `"${flag.version}"` } });
    expect(started.status).toBe(200);
    expect(started.body.flag.experiment.status).toBe('running');
    const snapshot = await bundleVersion('x-field', started.body.flag.version);
    expect(snapshot.flags['x-field']!.experiment?.status).toBe('running');

    const history = await api('GET', '/admin/flags/x-field/history');
    expect(history.body.entries[0].details.changed).toEqual(['experiment']);
    const reverted = await api('POST', '/admin/flags/x-field/revert', { version: flag.version });
    expect(reverted.body.flag.experiment.status).toBe('draft');
    const cleared = await api('PATCH', '/admin/flags/x-field', { experiment: null });
    expect(cleared.body.flag.experiment).toBeUndefined();
    expect((await api('GET', '/admin/flags/x-field/experiment')).status).toBe(404);
  });
});

describe('units and events in the flag object', () => {
  it('counts an event only for an exposed unit at or after its exposure; a mean sums per unit; a multiple exposure is shown', async () => {
    await createFlag(fiftyFifty('x-store', [
      { key: 'checkout', type: 'conversion', goal: 'increase' },
      { key: 'revenue', type: 'mean', goal: 'increase' },
    ]));
    const first = await usage('x-store', [
      { unit: 'u1', variant: 'control', at: 1_000 },
      { unit: 'u2', variant: 'control', at: 1_000 },
      { unit: 'u3', variant: 'treatment', at: 1_000 },
      { unit: 'u4', variant: 'treatment', at: 1_000 },
      { unit: 'u1', variant: 'control', at: 1_500 },
    ]);
    expect(first.body.experiment).toMatchObject({ new_units: 4, multiple: 0 });

    const answer = await events('x-store', [
      { unit: 'u1', metric: 'checkout', at: 500 }, // before its exposure
      { unit: 'nobody', metric: 'checkout', at: 2_000 }, // never exposed
      { unit: 'u1', metric: 'nope', at: 2_000 },
      { unit: 'u1', metric: 'checkout', at: 2_000 },
      { unit: 'u1', metric: 'checkout', at: 3_000 }, // a conversion counts a unit once
      { unit: 'u1', metric: 'revenue', value: 10, at: 2_000 },
      { unit: 'u1', metric: 'revenue', value: 5, at: 2_500 },
      { unit: 'u3', metric: 'revenue', value: 4, at: 2_000 },
      { unit: 'u4', metric: 'revenue', value: 2, at: 2_000 },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ counted: 6, not_exposed: 1, before_exposure: 1, multiple_exposure: 0, unknown_metric: 1, not_running: 0 });

    let body = await readout('x-store');
    const checkout = body.metrics.find((m: any) => m.key === 'checkout');
    const revenue = body.metrics.find((m: any) => m.key === 'revenue');
    expect(checkout.variants[0]).toMatchObject({ variant: 'control', units: 2, conversions: 1, mean: 0.5 });
    // u1 = 10 + 5, u2 = 0: mean 7.5, sample variance ((15 − 7.5)² + (0 − 7.5)²) / 1 = 112.5
    expect(revenue.variants[0].mean).toBeCloseTo(7.5, 12);
    expect(revenue.variants[0].variance).toBeCloseTo(112.5, 9);
    expect(revenue.variants[1].mean).toBeCloseTo(3, 12);
    expect(revenue.variants[1].variance).toBeCloseTo(2, 9);
    expect(body.multiple_exposures).toBe(0);

    // u1 is later served the treatment: counted as a multiple exposure and taken out of control.
    const moved = await usage('x-store', [{ unit: 'u1', variant: 'treatment', at: 4_000 }]);
    expect(moved.body.experiment).toMatchObject({ new_units: 0, multiple: 1 });
    body = await readout('x-store');
    expect(body.multiple_exposures).toBe(1);
    expect(unitsOf(body)).toEqual({ control: 1, treatment: 2 });
    const after = body.metrics.find((m: any) => m.key === 'revenue').variants;
    expect(after[0]).toMatchObject({ units: 1, mean: 0 });
    expect(body.metrics[0].variants[0].conversions).toBe(0);
    expect((await events('x-store', [{ unit: 'u1', metric: 'revenue', value: 1, at: 5_000 }])).body.multiple_exposure).toBe(1);
  });

  it('refuses a bad events body naming the field, without the scope, and for a flag without an experiment', async () => {
    await createFlag(fiftyFifty('x-events'));
    const bad = await events('x-events', [{ unit: 'u1', metric: 'checkout', value: 'much' }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('events.0.value');
    expect((await events('x-events', [])).body.error.details[0].path).toBe('events');
    expect((await events('x-events', [{ unit: '', metric: 'checkout' }])).body.error.details[0].path).toBe('events.0.unit');
    expect((await events('x-events', [{ unit: 'u1', metric: 'checkout' }], TOKENS.viewer)).status).toBe(403);
    expect((await events('x-events', [{ unit: 'u1', metric: 'checkout' }], null as unknown as string)).status).toBe(401);
    await createFlag({ id: 'x-plain', enabled: true });
    expect((await events('x-plain', [{ unit: 'u1', metric: 'checkout' }])).status).toBe(409);
    expect((await events('x-missing', [{ unit: 'u1', metric: 'checkout' }])).status).toBe(404);
    expect((await api('GET', '/admin/flags/x-events/experiment', undefined, { token: TOKENS.reporter })).status).toBe(403);
  });

  it('flags a sample-ratio mismatch: 5,000 against 4,500 units on a 50/50 split', async () => {
    await createFlag(fiftyFifty('x-srm'));
    const units = [
      ...Array.from({ length: 5_000 }, (_, i) => ({ unit: `c${i}`, variant: 'control', at: 1_000 })),
      ...Array.from({ length: 4_500 }, (_, i) => ({ unit: `t${i}`, variant: 'treatment', at: 1_000 })),
    ];
    for (let i = 0; i < units.length; i += 2_000) expect((await usage('x-srm', units.slice(i, i + 2_000))).status).toBe(200);
    const body = await readout('x-srm');
    expect(unitsOf(body)).toEqual({ control: 5_000, treatment: 4_500 });
    // χ² = 2 · 250² / 4,750 ≈ 26.3 with 1 df: p = 2 (1 − Φ(√26.3)) ≈ 2.9e-7
    expect(body.srm.ok).toBe(false);
    expect(body.srm.p_value).toBeLessThan(1e-6);
  });
});

describe('exposures from the SDK and OFREP', () => {
  it('a unit evaluated 100 times counts once, through either path', async () => {
    const flag = await createFlag(fiftyFifty('x-once'));
    await bundleVersion('x-once', flag.version);
    const reporter = new CountingReporter();
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', reporter, reporting: { flushIntervalMs: 0 } });
    for (let i = 0; i < 100; i++) (await client.forRequest(undefined, { userId: 'sdk-user' })).evaluate('x-once');
    for (let i = 0; i < 100; i++) await api('POST', '/ofrep/v1/evaluate/flags/x-once', { context: { targetingKey: 'ofrep-user' } }, { token: TOKENS.reporter });
    await client.flush();
    const sent = reporter.usage.filter((u) => u.flagId === 'x-once');
    expect(sent.flatMap((u) => u.usage.units ?? []).map((u) => u.unit)).toEqual(['sdk-user']);
    expect(sent.reduce((n, u) => n + Object.values(u.usage.variants).reduce((a, b) => a + b, 0), 0)).toBe(100);
    const body = await waitFor(async () => {
      const r = await readout('x-once');
      return r.metrics[0].variants.reduce((n: number, v: any) => n + v.units, 0) === 2 ? r : undefined;
    }, 15_000, 'both units');
    expect(body.multiple_exposures).toBe(0);

    // track: attributed to the running experiment listing the metric, counted after the exposure.
    await client.track('checkout', { userId: 'sdk-user' });
    await client.track('checkout', { userId: 'never-seen' });
    await client.track('other-metric', { userId: 'sdk-user' });
    await client.flush();
    // Every running experiment in the bundle that lists "checkout" gets the events (this file has four).
    const tracked = reporter.usage.filter((u) => u.usage.events?.length);
    expect(tracked.filter((u) => u.flagId === 'x-once').flatMap((u) => u.usage.events!).map((e) => e.unit)).toEqual(['sdk-user', 'never-seen']);
    expect(new Set(tracked.map((u) => u.flagId))).toEqual(new Set(['x-store', 'x-events', 'x-srm', 'x-once']));
    const converted = await readout('x-once');
    expect(converted.metrics[0].variants.reduce((n: number, v: any) => n + v.conversions, 0)).toBe(1);
  });

  it('10,000 units over three variants through the real SDK and OFREP: units per variant within tolerance, srm ok', async () => {
    const flag = await createFlag(threeWayFlag('x-many'));
    await bundleVersion('x-many', flag.version);
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', reporter: new CountingReporter(), reporting: { flushIntervalMs: 0 } });
    for (let i = 0; i < 8_500; i++) (await client.forRequest(undefined, { userId: `user-${i}` })).getStringValue('x-many', 'a');
    while (client.reporter!.hasPending) await client.flush();
    for (let i = 8_500; i < 10_000; i++) {
      const answer = await api('POST', '/ofrep/v1/evaluate/flags/x-many', { context: { targetingKey: `user-${i}` } }, { token: TOKENS.reporter });
      expect(answer.status).toBe(200);
    }
    const body = await waitFor(async () => {
      const r = await readout('x-many');
      return r.metrics[0].variants.reduce((n: number, v: any) => n + v.units, 0) === 10_000 ? r : undefined;
    }, 60_000, '10,000 units');
    const units = unitsOf(body);
    console.log(`10,000 units: ${JSON.stringify(units)}, srm p = ${body.srm.p_value}`);
    // Binomial sd at n = 10,000, p = 1/3 is about 47; five of them is far outside chance.
    for (const n of Object.values(units) as number[]) expect(Math.abs(n - 10_000 / 3)).toBeLessThan(5 * 47);
    expect(body.srm.ok).toBe(true);
    expect(body.multiple_exposures).toBe(0);
    expect(client.reporter!.stats.dropped).toBe(0);
  }, 180_000);
});

describe('guardrails in rollout plans', () => {
  async function guarded(id: string, onUnhealthy: string) {
    await createFlag({
      id,
      enabled: false,
      rollout_percentage: 0,
      experiment: { ...runningExperiment([{ key: 'errors', type: 'conversion', goal: 'decrease' }]), control: 'off' },
    });
    const plan = await api('PUT', `/admin/flags/${id}/plan`, {
      stages: [
        { percentage: 10, hold_seconds: 3_600 },
        { percentage: 50, hold_seconds: 3_600, guardrails: ['errors'] },
        { percentage: 100 },
      ],
      on_unhealthy: onUnhealthy,
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect((await api('POST', `/admin/flags/${id}/plan/start`, {})).status).toBe(200);
    expect((await api('POST', `/admin/flags/${id}/plan/advance`, {})).body.flag.rollout_percentage).toBe(50);
    // 2,000 units a side; 5% of the control has an error, 10% of the treatment ("on").
    const units = [
      ...Array.from({ length: 2_000 }, (_, i) => ({ unit: `off-${i}`, variant: 'off', at: 1_000 })),
      ...Array.from({ length: 2_000 }, (_, i) => ({ unit: `on-${i}`, variant: 'on', at: 1_000 })),
    ];
    for (let i = 0; i < units.length; i += 2_000) expect((await usage(id, units.slice(i, i + 2_000))).status).toBe(200);
    const harmless = await events(id, Array.from({ length: 100 }, (_, i) => ({ unit: `off-${i}`, metric: 'errors', at: 2_000 })));
    expect(harmless.body.counted).toBe(100);
    expect((await api('GET', `/admin/flags/${id}`)).body.flag.plan.status).toBe('running');
    const harmful = Array.from({ length: 200 }, (_, i) => ({ unit: `on-${i}`, metric: 'errors', at: 2_000 }));
    expect((await events(id, harmful)).body.counted).toBe(200);
    const flag = (await api('GET', `/admin/flags/${id}`)).body.flag;
    const sequential = (await readout(id)).metrics[0].variants[1].sequential_ci;
    expect(sequential[0]).toBeGreaterThan(0); // worse for a metric whose goal is a decrease
    return flag;
  }

  it('a guardrail breach pauses a running plan, in the history with the metric named', async () => {
    const flag = await guarded('x-guard', 'pause');
    expect(flag.plan.status).toBe('paused');
    expect(flag.plan.paused_reason).toContain('guardrail "errors"');
    expect(flag.rollout_percentage).toBe(50);
    const history = await api('GET', '/admin/flags/x-guard/history?limit=1');
    expect(history.body.entries[0]).toMatchObject({ action: 'plan_pause', actor: 'rollout-plan' });
    expect(history.body.entries[0].details).toMatchObject({ guardrail: 'errors', guardrail_variant: 'on' });
  });

  it('rolls back one stage when the plan says so', async () => {
    const flag = await guarded('x-guard-back', 'rollback');
    expect(flag.plan.status).toBe('paused');
    expect(flag.rollout_percentage).toBe(10);
  });
});
