import { env } from 'cloudflare:workers';
import { createExecutionContext, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { flagMigrations } from '../../migrations/flag';
import { api, bundleVersion, createFlag, kvVersion, TOKENS } from '../helpers/api';
import { flagObject } from '../helpers/stubs';

describe('create, read, list', () => {
  it('creates with 201, Location and ETag; a second create is a 409', async () => {
    const created = await api('POST', '/admin/flags', { id: 'checkout-v2', enabled: true, rollout_percentage: 12.5, owner: 'payments' });
    expect(created.status).toBe(201);
    expect(created.headers.get('Location')).toBe('/admin/flags/checkout-v2');
    expect(created.headers.get('ETag')).toBe('"1"');
    expect(created.body.flag).toMatchObject({ id: 'checkout-v2', version: 1, enabled: true, rollout_percentage: 12.5, owner: 'payments' });
    const again = await api('POST', '/admin/flags', { id: 'checkout-v2' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('flag_exists');
  });

  it('lists flags through the catalog, with status', async () => {
    await createFlag({ id: 'list-a', enabled: true, rollout_percentage: 100 });
    await createFlag({ id: 'list-b', enabled: true, rollout_percentage: 0, allowed_users: ['u1'] });
    const listed = await api('GET', '/admin/flags');
    expect(listed.status).toBe(200);
    const byId = Object.fromEntries(listed.body.flags.map((f: any) => [f.id, f]));
    expect(byId['list-a'].status).toBe('on');
    expect(byId['list-b'].status).toBe('allowlist-only');
  });

  it('unknown flag → 404 on every route', async () => {
    for (const [method, path, body] of [
      ['GET', '/admin/flags/nope', undefined],
      ['PATCH', '/admin/flags/nope', { enabled: true }],
      ['DELETE', '/admin/flags/nope', undefined],
      ['POST', '/admin/flags/nope/rollout', { percentage: 5 }],
      ['POST', '/admin/flags/nope/kill', {}],
      ['GET', '/admin/flags/nope/history', undefined],
      ['POST', '/admin/flags/nope/revert', { version: 1 }],
      ['GET', '/admin/flags/nope/health', undefined],
    ] as const) {
      const response = await api(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
  });
});

describe('validation: 400 naming the field, nothing written', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['id', { id: '-bad' }, 'id'],
    ['id too long', { id: 'a'.repeat(65) }, 'id'],
    ['enabled', { id: 'v1', enabled: 'yes' }, 'enabled'],
    ['percentage range', { id: 'v2', rollout_percentage: 101 }, 'rollout_percentage'],
    ['percentage decimals', { id: 'v3', rollout_percentage: 1.234 }, 'rollout_percentage'],
    ['allowed_users type', { id: 'v4', allowed_users: 'u1' }, 'allowed_users'],
    ['allowed_users size', { id: 'v5', allowed_users: Array.from({ length: 1001 }, (_, i) => `u${i}`) }, 'allowed_users'],
    ['allowed_tenants item', { id: 'v6', allowed_tenants: [''] }, 'allowed_tenants.0'],
    ['environments', { id: 'v7', environments: [42] }, 'environments.0'],
    ['metadata size', { id: 'v8', metadata: { blob: 'x'.repeat(9000) } }, 'metadata'],
    ['description', { id: 'v9', description: 'x'.repeat(1001) }, 'description'],
    ['auto_kill', { id: 'v10', auto_kill: { max_failures: 0 } }, 'auto_kill.max_failures'],
    ['unknown field', { id: 'v11', colour: 'red' }, ''],
  ];
  for (const [name, body, field] of bad) {
    it(`create: ${name}`, async () => {
      const response = await api('POST', '/admin/flags', body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      const paths = response.body.error.details.map((d: any) => d.path);
      if (field) expect(paths).toContain(field);
      else expect(response.body.error.details.length).toBeGreaterThan(0);
    });
  }

  it('patch: bad fields are refused and the flag is unchanged', async () => {
    await createFlag({ id: 'patch-bad', enabled: true, rollout_percentage: 5 });
    for (const [body, field] of [
      [{ rollout_percentage: -1 }, 'rollout_percentage'],
      [{ enabled: null }, 'enabled'],
      [{ auto_kill: { window_seconds: 5 } }, 'auto_kill.window_seconds'],
      [{}, ''],
    ] as const) {
      const response = await api('PATCH', '/admin/flags/patch-bad', body);
      expect(response.status).toBe(400);
      if (field) expect(response.body.error.details.map((d: any) => d.path)).toContain(field);
    }
    const after = await api('GET', '/admin/flags/patch-bad');
    expect(after.body.flag.version).toBe(1);
  });

  it('malformed JSON is a 400, a non-JSON content type a 415, a huge body a 413', async () => {
    const malformed = await api('POST', '/admin/flags', undefined, { rawBody: '{"id":', headers: { 'Content-Type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');
    const text = await api('POST', '/admin/flags', undefined, { rawBody: 'id=x', headers: { 'Content-Type': 'text/plain' } });
    expect(text.status).toBe(415);
    const huge = await api('POST', '/admin/flags', undefined, {
      rawBody: JSON.stringify({ id: 'huge', description: 'x'.repeat(300_000) }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(huge.status).toBe(413);
  });

  it('an invalid path id is a 400 naming id', async () => {
    const response = await api('GET', '/admin/flags/-nope');
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('id');
  });

  it('history query bounds', async () => {
    await createFlag({ id: 'hist-bounds' });
    const response = await api('GET', '/admin/flags/hist-bounds/history?limit=501');
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('limit');
  });
});

describe('rollout, kill, If-Match, archive', () => {
  it("the article's rollout body works, and a mismatched flagId is a 400", async () => {
    await createFlag({ id: 'roll', enabled: true, rollout_percentage: 1 });
    const good = await api('POST', '/admin/flags/roll/rollout', { flagId: 'roll', percentage: 5, reason: 'day 2' });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ success: true, flag: { rollout_percentage: 5, version: 2 } });
    const mismatch = await api('POST', '/admin/flags/roll/rollout', { flagId: 'other', percentage: 25 });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.details[0].path).toBe('flagId');
    const history = await api('GET', '/admin/flags/roll/history');
    expect(history.body.entries[0]).toMatchObject({ version: 2, action: 'rollout_update', actor: 'admin', reason: 'day 2' });
    expect(history.body.entries[0].before.rollout_percentage).toBe(1);
    expect(history.body.entries[0].after.rollout_percentage).toBe(5);
  });

  it('kill sets enabled false and rollout 0', async () => {
    await createFlag({ id: 'killme', enabled: true, rollout_percentage: 50 });
    const killed = await api('POST', '/admin/flags/killme/kill', { reason: 'errors' });
    expect(killed.body.flag).toMatchObject({ enabled: false, rollout_percentage: 0, version: 2, status: 'killed' });
    expect((await api('GET', '/admin/flags/killme')).body.flag.status).toBe('killed');
    const listed = await api('GET', '/admin/flags');
    expect(listed.body.flags.find((f: any) => f.id === 'killme').status).toBe('killed');
    const snapshot = await kvVersion('killme', 2);
    expect(snapshot).toMatchObject({ enabled: false, rollout_percentage: 0 });
  });

  it('PATCH with a stale If-Match is a 412 carrying the current flag', async () => {
    await createFlag({ id: 'etag', enabled: false });
    const first = await api('PATCH', '/admin/flags/etag', { enabled: true }, { headers: { 'If-Match': '"1"' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('ETag')).toBe('"2"');
    const stale = await api('PATCH', '/admin/flags/etag', { rollout_percentage: 50 }, { headers: { 'If-Match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('version_mismatch');
    expect(stale.body.error.details.current.version).toBe(2);
    expect(stale.body.error.details.current.status).toBe('off');
    const bad = await api('PATCH', '/admin/flags/etag', { rollout_percentage: 50 }, { headers: { 'If-Match': 'abc' } });
    expect(bad.status).toBe(400);
  });

  it('archive keeps the history, refuses further changes and drops the flag from the bundle', async () => {
    await createFlag({ id: 'old-flag', enabled: true, rollout_percentage: 100 });
    await bundleVersion('old-flag', 1);
    const archived = await api('DELETE', '/admin/flags/old-flag');
    expect(archived.status).toBe(200);
    expect(archived.body.flag.archived).toBe(true);
    expect((await api('PATCH', '/admin/flags/old-flag', { enabled: false })).status).toBe(409);
    expect((await api('GET', '/admin/flags/old-flag')).body.flag.archived).toBe(true);
    expect((await api('GET', '/admin/flags/old-flag/history')).body.entries.map((e: any) => e.action)).toEqual(['archive', 'create']);
    expect((await api('GET', '/admin/flags')).body.flags.some((f: any) => f.id === 'old-flag')).toBe(false);
    await bundleVersion('old-flag', null);
    expect((await kvVersion('old-flag', 2)).archived).toBe(true);
    expect((await api('POST', '/admin/flags', { id: 'old-flag' })).status).toBe(409);
  });
});

describe('history and revert', () => {
  it('pages newest first and reverts to an earlier version as a new version', async () => {
    await createFlag({ id: 'rev', enabled: true, rollout_percentage: 1, allowed_users: ['a'] });
    for (const p of [5, 25, 50]) await api('POST', '/admin/flags/rev/rollout', { percentage: p });
    await api('PATCH', '/admin/flags/rev', { allowed_users: ['a', 'b'] });
    const page1 = await api('GET', '/admin/flags/rev/history?limit=2');
    expect(page1.body.entries.map((e: any) => e.version)).toEqual([5, 4]);
    expect(page1.body.next_before).toBe(4);
    const page2 = await api('GET', `/admin/flags/rev/history?limit=2&before=${page1.body.next_before}`);
    expect(page2.body.entries.map((e: any) => e.version)).toEqual([3, 2]);
    const page3 = await api('GET', '/admin/flags/rev/history?limit=2&before=2');
    expect(page3.body.entries.map((e: any) => e.version)).toEqual([1]);
    expect(page3.body.next_before).toBeUndefined();

    const reverted = await api('POST', '/admin/flags/rev/revert', { version: 2 });
    expect(reverted.status).toBe(200);
    expect(reverted.body.flag).toMatchObject({ version: 6, rollout_percentage: 5, allowed_users: ['a'] });
    const latest = (await api('GET', '/admin/flags/rev/history?limit=1')).body.entries[0];
    expect(latest).toMatchObject({ version: 6, action: 'revert', reason: 'revert to version 2' });
    expect((await api('POST', '/admin/flags/rev/revert', { version: 99 })).status).toBe(404);
  });
});

describe('auth', () => {
  it('no token, a wrong token → 401; a missing scope → 403', async () => {
    await createFlag({ id: 'authz' });
    expect((await api('GET', '/admin/flags', undefined, { token: null })).status).toBe(401);
    expect((await api('GET', '/admin/flags', undefined, { token: 'wrong-token-value' })).status).toBe(401);
    expect((await api('GET', '/admin/flags', undefined, { headers: { Authorization: 'Basic abc' }, token: null })).status).toBe(401);
    expect((await api('GET', '/admin/flags', undefined, { token: TOKENS.viewer })).status).toBe(200);
    const write = await api('PATCH', '/admin/flags/authz', { enabled: true }, { token: TOKENS.viewer });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('forbidden');
    expect((await api('POST', '/v1/flags/authz/failures', {}, { token: TOKENS.viewer })).status).toBe(403);
    expect((await api('GET', '/admin/flags', undefined, { token: TOKENS.reporter })).status).toBe(403);
    expect((await api('GET', '/admin/flags/authz')).body.flag.version).toBe(1);
  });

  it('with no tokens configured every protected route refuses', async () => {
    const ctx = createExecutionContext();
    const unconfigured = { ...env, ADMIN_TOKENS: undefined };
    for (const [method, path] of [
      ['GET', '/admin/flags'],
      ['POST', '/admin/flags'],
      ['POST', '/v1/flags/x/failures'],
      ['POST', '/ofrep/v1/evaluate/flags/x'],
    ]) {
      const response = await worker.fetch(
        new Request(`https://flags.test${path}`, { method: method!, headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined }),
        unconfigured,
        ctx,
      );
      expect(response.status, path).toBe(401);
    }
  });
});

describe('durability', () => {
  it('data survives eviction and migrations run once', async () => {
    await createFlag({ id: 'durable', enabled: true, rollout_percentage: 30 });
    await api('POST', '/admin/flags/durable/rollout', { percentage: 40 });
    const stub = flagObject('durable');
    await evictDurableObject(stub);
    const after = await api('GET', '/admin/flags/durable');
    expect(after.body.flag).toMatchObject({ version: 2, rollout_percentage: 40 });
    const migrations = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ name: string }>('SELECT name FROM _migrations').toArray(),
    );
    expect(migrations.map((m) => m.name)).toEqual(flagMigrations.map((m) => m.name));
  });
});
