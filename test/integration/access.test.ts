/**
 * Cloudflare Access sign-in (issue 16): tokens the test signs with its own keys, verified by the
 * Worker against the key set the test serves; roles from ACCESS_ROLES; API tokens alongside.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRoles, roleFor } from '../../src/http/roles';
import { AccessTeam, AUDIENCE, signingKey, unsignedToken } from '../helpers/access';
import { api, createFlag, TOKENS } from '../helpers/api';

let team: AccessTeam | undefined;

async function newTeam(): Promise<AccessTeam> {
  team = await AccessTeam.create();
  return team;
}

afterEach(() => {
  team?.restore();
  team = undefined;
  vi.useRealTimers();
});

describe('signing in through Access', () => {
  it('a valid token signs the person in; the key set is fetched once and cached', async () => {
    const access = await newTeam();
    const me = await access.call('GET', '/admin/me', { jwt: await access.token('ada@acme.test') });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ name: 'ada@acme.test', email: 'ada@acme.test', role: 'admin', scopes: ['flags:read', 'flags:write', 'flags:approve'], via: 'access' });
    const again = await access.call('GET', '/admin/whoami', { jwt: await access.token('eve@acme.test') });
    expect(again.body).toMatchObject({ name: 'eve@acme.test', role: 'editor', via: 'access' });
    expect(access.certFetches).toBe(1);
  });

  it("an editor's changes carry their email as the actor in the history", async () => {
    const access = await newTeam();
    const jwt = await access.token('eve@acme.test');
    const created = await access.call('POST', '/admin/flags', { jwt, body: { id: 'access-edit' } });
    expect(created.status).toBe(201);
    const patched = await access.call('PATCH', '/admin/flags/access-edit', { jwt, body: { enabled: true }, headers: { 'Sec-Fetch-Site': 'same-origin' } });
    expect(patched.status).toBe(200);
    const history = await api('GET', '/admin/flags/access-edit/history');
    expect(history.body.entries.map((e: { actor: string }) => e.actor)).toEqual(['eve@acme.test', 'eve@acme.test']);
  });

  it('the CF_Authorization cookie works like the header', async () => {
    const access = await newTeam();
    const cookie = await access.token('eve@acme.test');
    const me = await access.call('GET', '/admin/me', { cookie });
    expect(me.body).toMatchObject({ email: 'eve@acme.test', role: 'editor', via: 'access' });
    const created = await access.call('POST', '/admin/flags', { cookie, body: { id: 'access-cookie' } });
    expect(created.status).toBe(201);
    expect(created.body.flag.id).toBe('access-cookie');
    expect((await api('GET', '/admin/flags/access-cookie/history')).body.entries[0].actor).toBe('eve@acme.test');
  });

  it('a person matching several entries gets the highest role', async () => {
    const access = await newTeam();
    // ada@acme.test is an admin by name and an editor by *@acme.test.
    const me = await access.call('GET', '/admin/me', { jwt: await access.token('Ada@Acme.test') });
    expect(me.body).toMatchObject({ role: 'admin' });
  });

  it('picks up a rotated key: an unknown kid refetches the key set', async () => {
    const access = await newTeam();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    expect((await access.call('GET', '/admin/me', { jwt: await access.token('ada@acme.test') })).status).toBe(200);
    const next = await signingKey('key-2');
    access.published = [next, access.published[0]!];
    // Past the cooldown that stops forged kids from refetching on every request.
    vi.advanceTimersByTime(31_000);
    const rotated = await access.call('GET', '/admin/me', { jwt: await access.token('ada@acme.test', { key: next }) });
    expect(rotated.status).toBe(200);
    expect(rotated.body.email).toBe('ada@acme.test');
    expect(access.certFetches).toBe(2);
  });
});

describe('tokens that fail are 401 with the reason', () => {
  async function refused(access: AccessTeam, jwt: string, message: RegExp): Promise<void> {
    const response = await access.call('GET', '/admin/flags', { jwt });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
    expect(response.body.error.message).toMatch(message);
    for (const key of access.published) expect(response.text).not.toContain(String(key.jwk.n).slice(0, 24));
  }

  it('a wrong signature, an unpublished key, the wrong aud or iss, expired, not yet valid', async () => {
    const access = await newTeam();
    const stranger = await signingKey('key-x');
    await refused(access, await access.token('ada@acme.test', { key: stranger, kid: 'key-1' }), /signature/);
    await refused(access, await access.token('ada@acme.test', { key: stranger }), /key \("kid"\)/);
    await refused(access, await access.token('ada@acme.test', { audience: 'another-application' }), /"aud"/);
    await refused(access, await access.token('ada@acme.test', { issuer: 'https://evil.cloudflareaccess.com' }), /"iss"/);
    await refused(access, await access.token('ada@acme.test', { expiresIn: -120 }), /expired/);
    await refused(access, await access.token('ada@acme.test', { notBeforeIn: 600 }), /not valid yet/);
  });

  it('a token just past exp is still accepted within the leeway', async () => {
    const access = await newTeam();
    expect((await access.call('GET', '/admin/me', { jwt: await access.token('ada@acme.test', { expiresIn: -10 }) })).status).toBe(200);
  });

  it('alg none, garbled tokens and a token with no email', async () => {
    const access = await newTeam();
    const now = Math.floor(Date.now() / 1000);
    const claims = { email: 'ada@acme.test', iss: access.domain, aud: [AUDIENCE], iat: now, exp: now + 600 };
    await refused(access, unsignedToken(claims, 'key-1'), /RS256/);
    await refused(access, 'not-a-jwt', /malformed/);
    await refused(access, 'a.b.c', /malformed/);
    const valid = await access.token('ada@acme.test');
    await refused(access, `${valid.slice(0, -12)}${'A'.repeat(12)}`, /signature/);
    await refused(access, await access.token({ common_name: 'ci.access' }), /no email/);
    expect(access.certFetches).toBeLessThanOrEqual(2);
  });
});

describe('roles', () => {
  it('a viewer reads but cannot write', async () => {
    const access = await newTeam();
    await createFlag({ id: 'access-viewer' });
    const jwt = await access.token('vic@partner.test');
    expect((await access.call('GET', '/admin/flags/access-viewer', { jwt })).status).toBe(200);
    const write = await access.call('PATCH', '/admin/flags/access-viewer', { jwt, body: { enabled: true } });
    expect(write.status).toBe(403);
    expect(write.body.error).toMatchObject({ code: 'forbidden', message: 'the "viewer" role lacks the "flags:write" scope' });
    expect((await access.call('POST', '/admin/flags/access-viewer/kill', { jwt })).status).toBe(403);
    expect((await api('GET', '/admin/flags/access-viewer')).body.flag.version).toBe(1);
  });

  it('a signed-in person with no role gets 403', async () => {
    const access = await newTeam();
    const response = await access.call('GET', '/admin/flags', { jwt: await access.token('mallory@elsewhere.test') });
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: 'forbidden', message: 'mallory@elsewhere.test has no role on this deployment' });
  });

  it('people get no machine scopes', async () => {
    const access = await newTeam();
    const jwt = await access.token('ada@acme.test');
    expect((await access.call('POST', '/v1/flags/any/failures', { jwt, body: {} })).status).toBe(403);
    expect((await access.call('POST', '/ofrep/v1/evaluate/flags/any', { jwt, body: { context: {} } })).status).toBe(403);
  });

  it('ACCESS_ROLES: exact emails and *@domain, case-insensitive; a bad value is refused', () => {
    const parsed = parseRoles('{"admin":["Ada@Acme.com"],"editor":["*@acme.com"],"viewer":["vic@partner.com"]}');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(roleFor('ada@acme.com', parsed.roles)).toBe('admin');
    expect(roleFor('bob@ACME.com', parsed.roles)).toBe('editor');
    expect(roleFor('bob@sub.acme.com', parsed.roles)).toBeNull();
    expect(roleFor('vic@partner.com', parsed.roles)).toBe('viewer');
    expect(roleFor('eve@partner.com', parsed.roles)).toBeNull();
    expect(parseRoles(undefined)).toEqual({ ok: true, roles: {} });
    expect(parseRoles('{"owner":["a@b.c"]}')).toMatchObject({ ok: false });
    expect(parseRoles('{"admin":["*"]}')).toMatchObject({ ok: false, reason: expect.stringContaining('admin.0') });
    expect(parseRoles('not json')).toMatchObject({ ok: false, reason: 'ACCESS_ROLES is not valid JSON' });
  });
});

describe('alongside API tokens', () => {
  it('a bearer token keeps working and wins over an Access header', async () => {
    const access = await newTeam();
    const me = await access.call('GET', '/admin/me', { jwt: 'garbage', headers: { Authorization: `Bearer ${TOKENS.admin}` } });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ name: 'admin', email: null, role: null, scopes: ['flags:read', 'flags:write', 'flags:approve', 'reports:write', 'evaluate'], via: 'token' });
  });

  it('no credential: 401, and /admin/me says whether Access is configured', async () => {
    const access = await newTeam();
    const withAccess = await access.call('GET', '/admin/me');
    expect(withAccess.status).toBe(401);
    expect(withAccess.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('Cloudflare Access'), details: { access: true } });
    const tokensOnly = await api('GET', '/admin/me', undefined, { token: null });
    expect(tokensOnly.status).toBe(401);
    expect(tokensOnly.body.error.details).toEqual({ access: false });
  });

  it('an Access token where Access is not configured is refused', async () => {
    const access = await newTeam();
    const jwt = await access.token('ada@acme.test');
    const response = await access.call('GET', '/admin/flags', { jwt, env: { ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: undefined } });
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/not configured/);
  });

  it('with neither tokens nor Access configured everything refuses', async () => {
    const access = await newTeam();
    const jwt = await access.token('ada@acme.test');
    const none = { ADMIN_TOKENS: undefined, ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: undefined };
    expect((await access.call('GET', '/admin/flags', { jwt, env: none })).status).toBe(401);
    expect((await access.call('GET', '/admin/flags', { headers: { Authorization: `Bearer ${TOKENS.admin}` }, env: none })).status).toBe(401);
  });
});

describe('configuration and browsers', () => {
  it('a misconfigured deployment refuses every Access sign-in', async () => {
    const access = await newTeam();
    const jwt = await access.token('ada@acme.test');
    for (const env of [
      { ACCESS_TEAM_DOMAIN: 'http://acme.cloudflareaccess.com' },
      { ACCESS_TEAM_DOMAIN: 'https://acme.cloudflareaccess.com/some/path' },
      { ACCESS_AUD: '' },
      { ACCESS_ROLES: '{"admin":"ada@acme.test"}' },
    ]) {
      const response = await access.call('GET', '/admin/me', { jwt, env });
      expect(response.status, JSON.stringify(env)).toBe(401);
      expect(response.body.error.message).toMatch(/misconfigured/);
    }
    expect(access.certFetches).toBe(0);
  });

  it('an http:// team domain is accepted on a loopback address; unreachable keys are a 503', async () => {
    const access = await newTeam();
    const jwt = await access.token('ada@acme.test', { issuer: 'http://127.0.0.1:9' });
    const response = await access.call('GET', '/admin/me', { jwt, env: { ACCESS_TEAM_DOMAIN: 'http://127.0.0.1:9' } });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('access_unavailable');
  });

  it('a change from another site is refused; the same origin is allowed', async () => {
    const access = await newTeam();
    await createFlag({ id: 'access-csrf', enabled: true, rollout_percentage: 50 });
    const jwt = await access.token('ada@acme.test');
    const crossSite = await access.call('POST', '/admin/flags/access-csrf/kill', { jwt, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await access.call('POST', '/admin/flags/access-csrf/kill', { jwt, headers: { Origin: 'https://evil.example' } });
    expect(otherOrigin.status).toBe(403);
    expect((await api('GET', '/admin/flags/access-csrf')).body.flag.version).toBe(1);
    const sameOrigin = await access.call('POST', '/admin/flags/access-csrf/kill', { jwt, headers: { Origin: 'https://flags.test' } });
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.body.flag.version).toBe(2);
  });
});
