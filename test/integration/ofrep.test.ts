import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/flags/evaluate';
import { api, bundleVersion, createFlag, kvBundle, TOKENS, waitFor } from '../helpers/api';

const ofrep = (path: string, body: unknown, token: string = TOKENS.reporter) =>
  api('POST', `/ofrep/v1/evaluate/flags${path}`, body, { token });

describe('OFREP evaluation from the KV bundle', () => {
  it('evaluates boolean, string, number and object flags with reason, variant and version', async () => {
    await createFlag({ id: 'o-bool', enabled: true, rollout_percentage: 100 });
    await createFlag({ id: 'o-string', enabled: true, rollout_percentage: 100, type: 'string', variants: { a: 'blue', b: 'green' }, on_variant: 'b', off_variant: 'a' });
    await createFlag({ id: 'o-number', enabled: false, type: 'number', variants: { low: 1, high: 2.5 }, on_variant: 'high', off_variant: 'low' });
    await createFlag({ id: 'o-json', enabled: true, rollout_percentage: 100, type: 'json', variants: { v1: { layout: 'grid', cols: 3 }, v0: null }, on_variant: 'v1', off_variant: 'v0' });
    await bundleVersion('o-json', 1);
    await bundleVersion('o-bool', 1);
    await bundleVersion('o-string', 1);
    await bundleVersion('o-number', 1);
    const ctx = { context: { targetingKey: 'user-1' } };
    expect((await ofrep('/o-bool', ctx)).body).toEqual({ key: 'o-bool', value: true, reason: 'STATIC', variant: 'on', metadata: { version: 1 } });
    expect((await ofrep('/o-string', ctx)).body).toMatchObject({ value: 'green', variant: 'b' });
    expect((await ofrep('/o-number', ctx)).body).toMatchObject({ value: 1, variant: 'low', reason: 'DISABLED' });
    expect((await ofrep('/o-json', ctx)).body).toMatchObject({ value: { layout: 'grid', cols: 3 }, variant: 'v1' });
  });

  it('uses targetingKey as the user and tenantId as the tenant', async () => {
    await createFlag({ id: 'o-allow', enabled: true, rollout_percentage: 0, allowed_users: ['vip'], allowed_tenants: ['acme'] });
    await bundleVersion('o-allow', 1);
    expect((await ofrep('/o-allow', { context: { targetingKey: 'vip' } })).body).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect((await ofrep('/o-allow', { context: { targetingKey: 'x', tenantId: 'acme' } })).body).toMatchObject({ value: true });
    expect((await ofrep('/o-allow', { context: { targetingKey: 'x' } })).body).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('an unknown flag is FLAG_NOT_FOUND with 404; a malformed context is INVALID_CONTEXT with 400', async () => {
    const missing = await ofrep('/does-not-exist', { context: {} });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ key: 'does-not-exist', errorCode: 'FLAG_NOT_FOUND' });
    for (const body of [{ context: 'nope' }, { context: { targetingKey: 42 } }, { context: [] }]) {
      const bad = await ofrep('/o-bool', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.errorCode).toBe('INVALID_CONTEXT');
    }
    const malformed = await api('POST', '/ofrep/v1/evaluate/flags/o-bool', undefined, {
      token: TOKENS.reporter,
      rawBody: '{',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errorCode).toBe('INVALID_CONTEXT');
  });

  it('bulk evaluation returns every live flag', async () => {
    await createFlag({ id: 'o-bulk', enabled: true, rollout_percentage: 100 });
    await bundleVersion('o-bulk', 1);
    const bulk = await ofrep('', { context: { targetingKey: 'user-1' } });
    expect(bulk.status).toBe(200);
    expect(bulk.headers.get('ETag')).toBeTruthy();
    expect(bulk.body.flags.find((f: any) => f.key === 'o-bulk')).toMatchObject({ value: true, variant: 'on' });
    const etag = bulk.headers.get('ETag')!;
    const unchanged = await api('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-1' } }, { token: TOKENS.reporter, headers: { 'If-None-Match': etag } });
    expect(unchanged.status).toBe(304);
    const otherUser = await api('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-2' } }, { token: TOKENS.reporter, headers: { 'If-None-Match': etag } });
    expect(otherUser.status).toBe(200);
  });

  it('bulk answers are evaluate()\'s for every flag: rules, segments, splits, allowlists, environments', async () => {
    const seg = await api('POST', '/admin/segments', { id: 'o-eq-seg', conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }] });
    expect(seg.status).toBe(201);
    const flags = [
      { id: 'o-eq-rule', enabled: true, rollout_percentage: 10, rules: [{ conditions: [{ attribute: 'country', op: 'in_segment', values: ['o-eq-seg'] }], serve: { variant: 'on' } }] },
      { id: 'o-eq-split', enabled: true, type: 'string', variants: { a: 'A', b: 'B', c: 'C' }, on_variant: 'a', off_variant: 'c', split: [{ variant: 'a', weight: 3000 }, { variant: 'b', weight: 7000 }] },
      { id: 'o-eq-half', enabled: true, rollout_percentage: 50, allowed_users: ['vip'] },
      { id: 'o-eq-staging', enabled: true, rollout_percentage: 100, environments: ['staging'] },
      { id: 'o-eq-off', enabled: false, rollout_percentage: 100 },
    ];
    for (const flag of flags) await createFlag(flag);
    for (const flag of flags) await bundleVersion(flag.id, 1);
    const bundle = await kvBundle();
    for (const context of [{ targetingKey: 'vip' }, { targetingKey: 'u-1', country: 'NL' }, { targetingKey: 'u-2', country: 'DE' }, { targetingKey: 'u-3' }, {}]) {
      const bulk = await ofrep('', { context });
      expect(bulk.status).toBe(200);
      for (const flag of flags) {
        const expected = evaluate(bundle!.flags[flag.id], context, { environment: 'production', segments: bundle!.segments });
        const got = bulk.body.flags.find((f: { key: string }) => f.key === flag.id);
        expect(got, `${flag.id} for ${JSON.stringify(context)}`).toEqual({ key: flag.id, value: expected.value, reason: expected.reason, variant: expected.variant, metadata: { version: 1 } });
        expect((await ofrep(`/${flag.id}`, { context })).body, `${flag.id} single`).toEqual(got);
      }
    }
  });

  it('needs the evaluate scope', async () => {
    expect((await ofrep('/o-bool', { context: {} }, TOKENS.viewer)).status).toBe(403);
    expect((await api('POST', '/ofrep/v1/evaluate/flags/o-bool', { context: {} }, { token: null })).status).toBe(401);
  });

  it('counts what it served as exposures per variant', async () => {
    await createFlag({ id: 'o-exposed', enabled: true, rollout_percentage: 50 });
    await bundleVersion('o-exposed', 1);
    const served: Record<string, number> = {};
    for (let u = 0; u < 40; u++) {
      const answer = await ofrep('/o-exposed', { context: { targetingKey: `user-${u}` } });
      served[answer.body.variant] = (served[answer.body.variant] ?? 0) + 1;
    }
    const exposures = await waitFor(async () => {
      const health = (await api('GET', '/admin/flags/o-exposed/health')).body;
      const total = Object.values(health.exposures as Record<string, { count: number }>).reduce((n, e) => n + e.count, 0);
      return total >= 40 ? health.exposures : undefined;
    }, 15_000, 'OFREP exposures to be flushed');
    expect(exposures.on?.count ?? 0).toBe(served['on'] ?? 0);
    expect(exposures.off?.count ?? 0).toBe(served['off'] ?? 0);
  });
});
