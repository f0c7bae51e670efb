/**
 * FlagClient against the real coordinator in workerd: the KV bundle the catalog publishes, read
 * through the isolate cache, evaluated exactly as the coordinator's OFREP route evaluates it.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { FlagBundle } from '../../src/flags/schema';
import { FlagClient, getFlagClient, toEvaluationContext } from '../../src/sdk/client';
import { BucketHashCache } from '../../src/sdk/bucket-hash-cache';
import type { SnapshotSource } from '../../src/sdk/bundle-cache';
import { bundleWith, CountingReporter, CountingSource, createFlag, health, ManualClock, withContext } from './helpers';

describe('reading the bundle', () => {
  it('one KV read serves many evaluations of many flags, and concurrent first calls share it', async () => {
    const a = await createFlag({ id: 'cache-a', enabled: true, rollout_percentage: 50 });
    const b = await createFlag({ id: 'cache-b', enabled: true, rollout_percentage: 100 });
    const c = await createFlag({ id: 'cache-c', enabled: false });
    await bundleWith({ 'cache-a': a.version, 'cache-b': b.version, 'cache-c': c.version });

    const source = new CountingSource();
    const clock = new ManualClock();
    const client = new FlagClient({ source, environment: 'production', cacheTtlSeconds: 30, now: clock.now });

    // 300 concurrent first calls over three flags: one read.
    const first = await Promise.all(
      Array.from({ length: 300 }, (_, i) => client.evaluate(['cache-a', 'cache-b', 'cache-c'][i % 3]!, { userId: `u${i}` })),
    );
    expect(source.reads).toBe(1);
    expect(first.every((r) => r.errorCode === undefined)).toBe(true);

    // 3,000 more within the period: still that one read.
    for (let i = 0; i < 3_000; i++) await client.isEnabled(['cache-a', 'cache-b', 'cache-c'][i % 3]!, { userId: `u${i}` });
    expect(source.reads).toBe(1);

    // After the period, one more read (again shared by concurrent callers).
    clock.advance(30_000);
    await Promise.all(Array.from({ length: 50 }, () => client.evaluate('cache-a', { userId: 'x' })));
    expect(source.reads).toBe(2);
  });

  it('reads the KV binding itself at most once per period', async () => {
    const flag = await createFlag({ id: 'kv-direct', enabled: true, rollout_percentage: 100 });
    await bundleWith({ 'kv-direct': flag.version });
    let gets = 0;
    const kv = {
      get: (key: string, type: 'json') => {
        gets++;
        return env.FLAGS_KV.get(key, type);
      },
    };
    const clock = new ManualClock();
    const client = new FlagClient({ kv, environment: 'production', cacheTtlSeconds: 5, now: clock.now });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.isEnabled('kv-direct', { userId: `u${i}` })));
    expect(answers.every(Boolean)).toBe(true);
    expect(gets).toBe(1);
    clock.advance(4_999);
    await client.isEnabled('kv-direct', { userId: 'late' });
    expect(gets).toBe(1);
    clock.advance(1);
    await client.isEnabled('kv-direct', { userId: 'later' });
    expect(gets).toBe(2);
  });

  it('keeps the last good bundle when KV fails, and picks up changes when it recovers', async () => {
    const flag = await createFlag({ id: 'kv-outage', enabled: true, rollout_percentage: 100 });
    await bundleWith({ 'kv-outage': flag.version });
    const source = new CountingSource();
    const clock = new ManualClock();
    const client = new FlagClient({ source, environment: 'production', cacheTtlSeconds: 5, now: clock.now });
    expect(await client.evaluate('kv-outage', { userId: 'a' })).toMatchObject({ value: true, reason: 'STATIC', version: 1 });

    source.failing = true;
    clock.advance(10_000);
    expect(await client.evaluate('kv-outage', { userId: 'a' })).toMatchObject({ value: true, reason: 'STATIC', version: 1 });
    expect(client.cache.stats.failures).toBe(1);
    // A failed read also waits out the period: an outage does not multiply reads.
    await client.evaluate('kv-outage', { userId: 'b' });
    expect(source.reads).toBe(2);

    const killed = await exports.default.fetch('https://flags.test/admin/flags/kv-outage/kill', {
      method: 'POST',
      headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'test' }),
    });
    expect(killed.status).toBe(200);
    await bundleWith({ 'kv-outage': 2 });
    source.failing = false;
    clock.advance(10_000);
    expect(await client.evaluate('kv-outage', { userId: 'a' })).toMatchObject({ value: false, reason: 'DISABLED', version: 2 });
  });

  it('with no bundle ever, every flag is off (fail safe)', async () => {
    const empty: SnapshotSource = { load: async () => null };
    const broken: SnapshotSource = {
      load: async () => {
        throw new Error('KV unavailable');
      },
    };
    for (const source of [empty, broken]) {
      const reporter = new CountingReporter();
      const client = new FlagClient({ source, environment: 'production', reporter });
      expect(await client.isEnabled('new-chatbot', { userId: 'user_internal_1' })).toBe(false);
      expect(await client.evaluate('new-chatbot', { userId: 'u' })).toMatchObject({
        value: undefined,
        reason: 'ERROR',
        errorCode: 'PROVIDER_NOT_READY',
      });
      expect(await client.getStringValue('theme', 'light', { userId: 'u' })).toBe('light');
      let ranNew = false;
      const answer = await withContext((ctx) =>
        client.withFallback(ctx, 'new-chatbot', { userId: 'u' }, {
          enabled: async () => {
            ranNew = true;
            return 'new';
          },
          fallback: async () => 'legacy',
        }),
      );
      expect(answer).toBe('legacy');
      expect(ranNew).toBe(false);
      expect(reporter.reports).toHaveLength(0);
      expect(reporter.usage).toHaveLength(0);
    }
  });

  it('a read that never settles does not hold callers hostage', async () => {
    let calls = 0;
    const source: SnapshotSource = {
      load: () => {
        calls++;
        return new Promise<FlagBundle | null>(() => {}); // never settles
      },
    };
    const client = new FlagClient({ source, environment: 'production', loadTimeoutMs: 50 });
    expect(await client.isEnabled('anything', { userId: 'u' })).toBe(false);
    expect(client.cache.stats.timeouts).toBeGreaterThanOrEqual(1);
    // The stuck read is abandoned: the next caller starts a fresh one.
    expect(await client.isEnabled('anything', { userId: 'u' })).toBe(false);
    expect(calls).toBe(2);
  });

  it('getFlagClient returns one client per isolate for a KV binding', () => {
    const one = getFlagClient({ kv: env.FLAGS_KV, environment: 'production' });
    const two = getFlagClient({ kv: env.FLAGS_KV, environment: 'production' });
    const other = getFlagClient({ kv: env.FLAGS_KV, environment: 'staging' });
    expect(two).toBe(one);
    expect(other).not.toBe(one);
  });
});

describe('evaluation', () => {
  it('answers exactly as the coordinator (OFREP) does, with the article\'s userId as targetingKey', async () => {
    const boolean = await createFlag({
      id: 'same-bool',
      enabled: true,
      rollout_percentage: 37.5,
      allowed_users: ['vip-1'],
      allowed_tenants: ['acme'],
      environments: ['production'],
    });
    const variants = await createFlag({
      id: 'same-theme',
      type: 'string',
      enabled: true,
      variants: { blue: 'blue', green: 'green', red: 'red' },
      on_variant: 'red',
      off_variant: 'blue',
      split: [
        { variant: 'blue', weight: 3333 },
        { variant: 'green', weight: 3333 },
        { variant: 'red', weight: 3334 },
      ],
      rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['enterprise'] }], serve: { variant: 'red' } }],
    });
    const staging = await createFlag({ id: 'same-staging', enabled: true, rollout_percentage: 100, environments: ['staging'] });
    await bundleWith({ 'same-bool': boolean.version, 'same-theme': variants.version, 'same-staging': staging.version });

    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', cacheTtlSeconds: 60 });
    const contexts = [
      ...Array.from({ length: 150 }, (_, i) => ({ userId: `user-${i}` })),
      ...Array.from({ length: 50 }, (_, i) => ({ userId: `user-${i}`, attrs: { plan: i % 2 ? 'enterprise' : 'free' } })),
      { userId: 'vip-1' },
      { userId: 'nobody', tenantId: 'acme' },
      {},
    ];
    for (const flagId of ['same-bool', 'same-theme', 'same-staging', 'no-such-flag']) {
      for (const context of contexts) {
        const ours = await client.evaluate(flagId, context);
        const response = await exports.default.fetch(`https://flags.test/ofrep/v1/evaluate/flags/${flagId}`, {
          method: 'POST',
          headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' },
          body: JSON.stringify({ context: toEvaluationContext(context) }),
        });
        const theirs = await response.json<any>();
        if (theirs.errorCode) {
          expect(ours.errorCode).toBe(theirs.errorCode);
          continue;
        }
        expect({ value: ours.value, variant: ours.variant, reason: ours.reason, version: ours.version }).toEqual({
          value: theirs.value,
          variant: theirs.variant,
          reason: theirs.reason,
          version: theirs.metadata.version,
        });
      }
    }
    // The article's context shape and OpenFeature's give the same answer.
    for (let i = 0; i < 100; i++) {
      const article = await client.evaluate('same-bool', { userId: `user-${i}` });
      const openFeature = await client.evaluate('same-bool', { targetingKey: `user-${i}` });
      expect(article).toEqual(openFeature);
    }
    expect(await client.evaluate('same-staging', { userId: 'u' })).toMatchObject({ value: false, reason: 'DISABLED' });
  });

  it('remembers bucket hashes in a bounded cache', async () => {
    const flag = await createFlag({ id: 'lru', enabled: true, rollout_percentage: 50 });
    await bundleWith({ lru: flag.version });
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', bucketCacheSize: 100 });
    const buckets = (client as unknown as { buckets: BucketHashCache }).buckets;
    for (let i = 0; i < 50; i++) await client.evaluate('lru', { userId: `u${i}` });
    expect(buckets.size).toBe(50);
    for (let i = 0; i < 50; i++) await client.evaluate('lru', { userId: `u${i}` });
    expect(buckets.size).toBe(50);
    for (let i = 0; i < 500; i++) await client.evaluate('lru', { userId: `v${i}` });
    expect(buckets.size).toBe(100);

    const lru = new BucketHashCache(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });

  it('typed getters return string, number and object values, or the default with an error code', async () => {
    const theme = await createFlag({
      id: 'typed-theme',
      type: 'string',
      enabled: true,
      rollout_percentage: 100,
      variants: { dark: 'dark', light: 'light' },
      on_variant: 'dark',
      off_variant: 'light',
    });
    const limit = await createFlag({
      id: 'typed-limit',
      type: 'number',
      enabled: true,
      rollout_percentage: 100,
      variants: { low: 10, high: 1000 },
      on_variant: 'high',
      off_variant: 'low',
    });
    const config = await createFlag({
      id: 'typed-config',
      type: 'json',
      enabled: false,
      variants: { v1: { model: 'small', retries: 1 }, v2: { model: 'large', retries: 3 } },
      on_variant: 'v2',
      off_variant: 'v1',
    });
    await bundleWith({ 'typed-theme': theme.version, 'typed-limit': limit.version, 'typed-config': config.version });
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production' });
    const ctx = { userId: 'u1' };

    expect(await client.getStringValue('typed-theme', 'none', ctx)).toBe('dark');
    expect(await client.getNumberValue('typed-limit', 0, ctx)).toBe(1000);
    expect(await client.getObjectValue('typed-config', {}, ctx)).toEqual({ model: 'small', retries: 1 });
    expect(await client.getStringDetails('typed-theme', 'none', ctx)).toMatchObject({
      value: 'dark',
      variant: 'dark',
      reason: 'STATIC',
      version: 1,
      flagType: 'string',
    });
    expect(await client.getObjectDetails('typed-config', null, ctx)).toMatchObject({ variant: 'v1', reason: 'DISABLED' });

    expect(await client.getBooleanDetails('typed-theme', true, ctx)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(await client.getNumberDetails('typed-theme', 7, ctx)).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
    expect(await client.getStringDetails('typed-config', 'x', ctx)).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH' });
    expect(await client.getStringDetails('missing', 'fallback', ctx)).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await client.isEnabled('typed-theme', ctx)).toBe(false); // not a boolean `true`
  });
});

describe('withFallback', () => {
  it('runs the new handler when on, the fallback when off or failing, and never rethrows the new handler\'s error', async () => {
    const on = await createFlag({ id: 'wf-on', enabled: true, rollout_percentage: 100, auto_kill: { max_failures: 1000 } });
    const off = await createFlag({ id: 'wf-off', enabled: true, rollout_percentage: 0 });
    await bundleWith({ 'wf-on': on.version, 'wf-off': off.version });
    const reporter = new CountingReporter();
    const client = new FlagClient({
      kv: env.FLAGS_KV,
      environment: 'production',
      reporter,
      reporting: { flushIntervalMs: 20, failureIntervalMs: 0 },
    });
    const handlers = (fail: boolean) => ({
      enabled: async () => {
        if (fail) throw new TypeError('boom: the new code path\nhas a bug');
        return 'new';
      },
      fallback: async () => 'legacy',
    });

    expect(await withContext((ctx) => client.withFallback(ctx, 'wf-on', { userId: 'a' }, handlers(false)))).toBe('new');
    expect(await withContext((ctx) => client.withFallback(ctx, 'wf-on', { userId: 'a' }, handlers(true)))).toBe('legacy');
    expect(await withContext((ctx) => client.withFallback(ctx, 'wf-off', { userId: 'a' }, handlers(false)))).toBe('legacy');
    // A result judged a failure (say, a 5xx Response) falls back too.
    const judged = await withContext((ctx) =>
      client.withFallback(ctx, 'wf-on', { userId: 'a' }, {
        enabled: async () => new Response('upstream error', { status: 502 }),
        fallback: async () => new Response('legacy'),
        isFailure: (response) => (response.status >= 500 ? `status ${response.status}` : false),
      }),
    );
    expect(await judged.text()).toBe('legacy');
    // The fallback's own errors are the caller's.
    await expect(
      withContext((ctx) =>
        client.withFallback(ctx, 'wf-off', { userId: 'a' }, {
          enabled: async () => 'new',
          fallback: async () => {
            throw new Error('legacy broke');
          },
        }),
      ),
    ).rejects.toThrow('legacy broke');

    const sent = reporter.reports.filter((r) => r.flagId === 'wf-on');
    const totals = sent.reduce((t, r) => ({ failures: t.failures + r.report.failures, successes: t.successes + r.report.successes }), {
      failures: 0,
      successes: 0,
    });
    expect(totals).toEqual({ failures: 2, successes: 1 });
    expect(sent.every((r) => r.report.variant === 'on')).toBe(true);
    expect(sent.map((r) => r.report.error).filter(Boolean)).toEqual(['TypeError: boom: the new code path has a bug', 'status 502']);
    expect(reporter.reportCallsFor('wf-off')).toBe(0);

    const state = await health('wf-on');
    expect(state).toMatchObject({ enabled: true, failures: 2, successes: 1 });
    expect(state.by_variant.on).toMatchObject({ failures: 2, successes: 1 });
    expect(state.exposures.on.count).toBe(3);
    expect((await health('wf-off')).exposures.off.count).toBe(2);
  });
});
