import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, bundleVersion, createFlag, kvBundle, TOKENS, waitFor } from '../helpers/api';

const CLIENT_KEY = 'test-client-key';
const APP = 'https://app.example.com';

/** An OFREP call as a page at `origin` makes it with `key`. */
function fromPage(path: string, body: unknown, { key = CLIENT_KEY, origin = APP as string | null, headers = {} as Record<string, string> } = {}) {
  return api('POST', `/ofrep/v1/evaluate/flags${path}`, body, { token: key, headers: origin === null ? headers : { Origin: origin, ...headers } });
}

async function preflight(path: string, origin: string, extra: Record<string, string> = {}): Promise<Response> {
  const response = await exports.default.fetch(`https://flags.test${path}`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,if-none-match', ...extra },
  });
  await response.arrayBuffer();
  return response;
}

function corsHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name.startsWith('access-control-')));
}

describe('client keys and CORS on OFREP', () => {
  it('a preflight from an allowed origin answers 204 with the CORS headers', async () => {
    for (const path of ['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/any-flag']) {
      const response = await preflight(path, APP);
      expect(response.status, path).toBe(204);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe(APP);
      expect(response.headers.get('Access-Control-Allow-Methods')).toBe('POST, OPTIONS');
      expect(response.headers.get('Access-Control-Allow-Headers')).toBe('Authorization, Content-Type, If-None-Match');
      expect(Number(response.headers.get('Access-Control-Max-Age'))).toBeGreaterThan(0);
      expect(response.headers.get('Access-Control-Allow-Credentials')).toBeNull();
      expect(response.headers.get('Vary')).toBe('Origin');
    }
    // Port wildcards and subdomain wildcards.
    expect((await preflight('/ofrep/v1/evaluate/flags', 'http://localhost:5173')).headers.get('Access-Control-Allow-Origin')).toBe('http://localhost:5173');
    expect((await preflight('/ofrep/v1/evaluate/flags', 'https://pr-12.preview.example.com')).status).toBe(204);
  });

  it('a preflight from an origin no key allows gets no CORS headers', async () => {
    for (const origin of ['https://evil.example', 'http://app.example.com', 'https://app.example.com:8443', 'https://preview.example.com', 'null', 'http://localhost.evil.example:80']) {
      const response = await preflight('/ofrep/v1/evaluate/flags', origin);
      expect(response.status, origin).toBe(403);
      expect(corsHeaders(response.headers), origin).toEqual({});
    }
  });

  it('admin and report routes never answer CORS', async () => {
    for (const path of ['/admin/flags', '/admin/flags/x', '/v1/flags/x/failures', '/admin/segments']) {
      const response = await preflight(path, APP);
      expect(response.status, path).not.toBe(204);
      expect(corsHeaders(response.headers), path).toEqual({});
    }
    const listed = await api('GET', '/admin/flags', undefined, { headers: { Origin: APP } });
    expect(listed.status).toBe(200);
    expect(corsHeaders(listed.headers)).toEqual({});
  });

  it('serves client-side flags to a page with the origin, the exposed ETag and a 304 when unchanged', async () => {
    await createFlag({ id: 'ck-banner', enabled: true, rollout_percentage: 100, client_side: true });
    await bundleVersion('ck-banner', 1);
    const single = await fromPage('/ck-banner', { context: { targetingKey: 'u1' } });
    expect(single.status).toBe(200);
    expect(single.body).toEqual({ key: 'ck-banner', value: true, reason: 'STATIC', variant: 'on', metadata: { version: 1 } });
    expect(single.headers.get('Access-Control-Allow-Origin')).toBe(APP);

    const bulk = await fromPage('', { context: { targetingKey: 'u1' } });
    expect(bulk.status).toBe(200);
    expect(bulk.headers.get('Access-Control-Allow-Origin')).toBe(APP);
    expect(bulk.headers.get('Access-Control-Expose-Headers')).toContain('ETag');
    expect(bulk.headers.get('Vary')).toBe('Origin');
    const etag = bulk.headers.get('ETag')!;
    expect(etag).toBeTruthy();
    const unchanged = await fromPage('', { context: { targetingKey: 'u1' } }, { headers: { 'If-None-Match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('Access-Control-Allow-Origin')).toBe(APP);
    expect(unchanged.headers.get('ETag')).toBe(etag);
  });

  it('a client key sees only client-side flags: bulk leaves the others out, single says FLAG_NOT_FOUND', async () => {
    await createFlag({ id: 'ck-public', enabled: true, rollout_percentage: 100, client_side: true });
    await createFlag({ id: 'ck-server-only', enabled: true, rollout_percentage: 100, allowed_users: ['vip-1'], rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['secret-plan'] }], serve: { variant: 'on' } }] });
    await bundleVersion('ck-public', 1);
    await bundleVersion('ck-server-only', 1);

    const bulk = await fromPage('', { context: { targetingKey: 'vip-1' } });
    const keys = bulk.body.flags.map((f: any) => f.key);
    expect(keys).toContain('ck-public');
    expect(keys).not.toContain('ck-server-only');
    const bundle = await bundleVersion('ck-public', 1);
    for (const key of keys) expect(bundle.flags[key]!.client_side, key).toBe(true);
    // Nothing but the OFREP evaluation fields: no rules, allowlists or other users.
    for (const flag of bulk.body.flags) expect(Object.keys(flag).sort()).toEqual(['key', 'metadata', 'reason', 'value', 'variant']);
    expect(Object.keys(bulk.body.flags[0].metadata)).toEqual(['version']);
    expect(JSON.stringify(bulk.body)).not.toMatch(/secret-plan|vip-1|allowed_users|rules/);

    const single = await fromPage('/ck-server-only', { context: { targetingKey: 'vip-1' } });
    expect(single.status).toBe(404);
    expect(single.body).toEqual({ key: 'ck-server-only', errorCode: 'FLAG_NOT_FOUND', errorDetails: "Flag 'ck-server-only' was not found" });
    expect(single.headers.get('Access-Control-Allow-Origin')).toBe(APP);

    // A server token still evaluates everything, server-side, without CORS headers.
    const server = await api('POST', '/ofrep/v1/evaluate/flags/ck-server-only', { context: { targetingKey: 'vip-1' } }, { token: TOKENS.reporter });
    expect(server.status).toBe(200);
    expect(server.body).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    const serverBulk = await api('POST', '/ofrep/v1/evaluate/flags', { context: {} }, { token: TOKENS.reporter, headers: { Origin: APP } });
    expect(serverBulk.body.flags.map((f: any) => f.key)).toContain('ck-server-only');
    expect(corsHeaders(serverBulk.headers)).toEqual({});
    // Client and server answers differ, so they never share an ETag.
    expect(serverBulk.headers.get('ETag')).not.toBe(bulk.headers.get('ETag'));
  });

  it('a key used from an origin it does not list is refused without CORS headers', async () => {
    await createFlag({ id: 'ck-origin', enabled: true, rollout_percentage: 100, client_side: true });
    await bundleVersion('ck-origin', 1);
    // other.example.com is allowed for another key, not for this one; no Origin at all is refused too.
    for (const origin of ['https://other.example.com', 'https://evil.example', null]) {
      const refused = await fromPage('/ck-origin', { context: {} }, { origin });
      expect(refused.status, String(origin)).toBe(403);
      expect(refused.body.error.code).toBe('origin_not_allowed');
      expect(corsHeaders(refused.headers)).toEqual({});
    }
    const other = await fromPage('/ck-origin', { context: {} }, { key: 'test-other-client-key', origin: 'https://other.example.com' });
    expect(other.status).toBe(200);
    expect(other.headers.get('Access-Control-Allow-Origin')).toBe('https://other.example.com');
  });

  it('an unknown key from an allowed origin is a 401 the page can read', async () => {
    const refused = await fromPage('', { context: {} }, { key: 'not-a-key-at-all' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('Access-Control-Allow-Origin')).toBe(APP);
  });

  it('a client key is refused on admin and report routes', async () => {
    const headers = { Origin: APP };
    for (const [method, path, body] of [
      ['GET', '/admin/flags', undefined],
      ['GET', '/admin/whoami', undefined],
      ['POST', '/admin/flags', { id: 'ck-made-by-browser' }],
      ['PATCH', '/admin/flags/ck-banner', { enabled: false }],
      ['GET', '/admin/segments', undefined],
      ['POST', '/v1/flags/ck-banner/failures', { count: 1 }],
    ] as const) {
      const refused = await api(method, path, body, { token: CLIENT_KEY, headers });
      expect(refused.status, `${method} ${path}`).toBe(401);
      expect(corsHeaders(refused.headers)).toEqual({});
    }
    expect((await api('GET', '/admin/flags/ck-made-by-browser')).status).toBe(404);
  });
});

describe('client_side in the admin API', () => {
  it('defaults to false, is set and cleared by PATCH, recorded in the history and restored by revert', async () => {
    const created = await createFlag({ id: 'ck-toggle', enabled: true, rollout_percentage: 100 });
    expect(created.client_side).toBe(false);
    const on = await api('PATCH', '/admin/flags/ck-toggle', { client_side: true, reason: 'the web page needs it' });
    expect(on.status).toBe(200);
    expect(on.body.flag).toMatchObject({ client_side: true, version: 2 });
    expect((await bundleVersion('ck-toggle', 2)).flags['ck-toggle']!.client_side).toBe(true);
    expect((await fromPage('/ck-toggle', { context: {} })).status).toBe(200);

    const history = (await api('GET', '/admin/flags/ck-toggle/history')).body.entries;
    expect(history[0]).toMatchObject({ version: 2, action: 'update', before: { client_side: false }, after: { client_side: true } });
    expect(history[0].details.changed).toEqual(['client_side']);

    const reverted = await api('POST', '/admin/flags/ck-toggle/revert', { version: 1 });
    expect(reverted.body.flag).toMatchObject({ client_side: false, version: 3 });
    const bundle = await bundleVersion('ck-toggle', 3);
    expect(bundle.flags['ck-toggle']!.client_side).toBeUndefined();
    const hidden = await fromPage('/ck-toggle', { context: {} });
    expect(hidden.status).toBe(404);
    expect(hidden.body.errorCode).toBe('FLAG_NOT_FOUND');
  });

  it('refuses a client_side that is not a boolean, naming the field', async () => {
    const bad = await api('POST', '/admin/flags', { id: 'ck-bad', client_side: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'client_side' })]);
    expect((await api('GET', '/admin/flags/ck-bad')).status).toBe(404);
  });
});

describe('limits on client keys', () => {
  it('a body over the client limit is 413, and a server token keeps the general limit', async () => {
    const big = { context: { targetingKey: 'u1', blob: 'x'.repeat(20_000) } };
    const refused = await fromPage('', big);
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe('payload_too_large');
    expect(refused.headers.get('Access-Control-Allow-Origin')).toBe(APP);
    expect((await api('POST', '/ofrep/v1/evaluate/flags', big, { token: TOKENS.reporter })).status).toBe(200);
  });

  it('a context with too many attributes is 400 INVALID_CONTEXT naming the context', async () => {
    const context = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, i]));
    const refused = await fromPage('', { context });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    expect(refused.body.errorDetails).toMatch(/^context: at most 50 attributes/);
    const single = await fromPage('/any', { context });
    expect(single.status).toBe(400);
    delete context['a50'];
    expect((await fromPage('', { context })).status).toBe(200);
  });

  it('at most 200 flags are client-side, so a bulk answer to a browser stays small', async () => {
    await createFlag({ id: 'ck-many-0', client_side: true });
    const before = Object.values((await bundleVersion('ck-many-0', 1)).flags).filter((f) => f.client_side).length;
    const ids = Array.from({ length: 200 - before }, (_, i) => `ck-many-${i + 1}`);
    for (let i = 0; i < ids.length; i += 25) await Promise.all(ids.slice(i, i + 25).map((id) => createFlag({ id, client_side: true })));
    await waitFor(async () => ((await kvBundle())?.flags[ids.at(-1)!] ? true : undefined), 20_000, 'the last flag in the bundle');
    await waitFor(async () => (Object.values((await kvBundle())!.flags).filter((f) => f.client_side).length === 200 ? true : undefined), 20_000, '200 client-side flags');

    const refused = await api('POST', '/admin/flags', { id: 'ck-one-too-many', client_side: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'client_side', message: expect.stringContaining('at most 200') }]);
    expect((await api('GET', '/admin/flags/ck-one-too-many')).status).toBe(404);
    await createFlag({ id: 'ck-server-side-more' });
    expect((await api('PATCH', '/admin/flags/ck-server-side-more', { client_side: true })).status).toBe(400);
    // A flag that already is client-side is not counted against itself.
    expect((await api('PATCH', '/admin/flags/ck-many-0', { client_side: true, description: 'still fine' })).status).toBe(200);
    expect((await fromPage('', { context: {} })).body.flags.length).toBe(200);
  });

  it('over the rate is 429 with Retry-After the page can read; other clients are unaffected', async () => {
    const limited = { key: 'test-limited-client-key', origin: 'https://limited.example.com' };
    const ip = { 'CF-Connecting-IP': '203.0.113.7' };
    for (let i = 0; i < 3; i++) expect((await fromPage('', { context: {} }, { ...limited, headers: ip })).status).toBe(200);
    const refused = await fromPage('', { context: {} }, { ...limited, headers: ip });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    const retryAfter = Number(refused.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('Access-Control-Allow-Origin')).toBe('https://limited.example.com');
    expect(refused.headers.get('Access-Control-Expose-Headers')).toContain('Retry-After');
    // The window is per key and client IP.
    expect((await fromPage('', { context: {} }, { ...limited, headers: { 'CF-Connecting-IP': '203.0.113.8' } })).status).toBe(200);
  });
});
