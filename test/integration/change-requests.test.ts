/**
 * Protected flags, change requests and scheduled changes (issue 16): people signed in through
 * Access (an editor, two admins), API tokens alongside, scheduled changes applied by the flag's
 * alarm on an injected clock.
 */
import { runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessTeam, ROLES } from '../helpers/access';
import { api, createFlag, TOKENS } from '../helpers/api';
import { TestClock, useClock } from '../helpers/clock';
import { flagObject } from '../helpers/stubs';

const HOUR = 3_600_000;

let team: AccessTeam | undefined;
afterEach(() => {
  team?.restore();
  team = undefined;
});

/** An Access team and a call as each of its people: eve (editor), ada and ann (admins). */
async function people() {
  const access = (team = await AccessTeam.create());
  const jwts = {
    eve: await access.token('eve@acme.test'),
    ada: await access.token('ada@acme.test'),
    ann: await access.token('ann@acme.test'),
    vic: await access.token('vic@partner.test'),
  };
  const as = (who: keyof typeof jwts) => (method: string, path: string, body?: unknown, env?: Record<string, string>) =>
    access.call(method, path, { jwt: jwts[who], body, ...(env ? { env } : {}) });
  return { access, eve: as('eve'), ada: as('ada'), ann: as('ann'), vic: as('vic') };
}

async function protectedFlag(id: string, ada: Awaited<ReturnType<typeof people>>['ada']) {
  await createFlag({ id, enabled: true, rollout_percentage: 10 });
  const marked = await ada('PUT', `/admin/flags/${id}/protection`, { protected: true, reason: 'production' });
  expect(marked.status).toBe(200);
  expect(marked.body.flag).toMatchObject({ protected: true, version: 2 });
}

const getFlag = async (id: string) => (await api('GET', `/admin/flags/${id}`)).body.flag;
const history = async (id: string) => (await api('GET', `/admin/flags/${id}/history`)).body.entries as any[];

describe('protected flags', () => {
  it("an editor's write is held; the author cannot approve it; another admin's approval applies it as one version", async () => {
    const { access, eve, ada, ann } = await people();
    await protectedFlag('cr-flow', ada);

    const held = await eve('PATCH', '/admin/flags/cr-flow', { rollout_percentage: 50, reason: 'more traffic' });
    expect(held.status).toBe(202);
    expect(held.body.change_request).toEqual({
      id: 'cr-flow~1',
      flag: 'cr-flow',
      author: 'eve@acme.test',
      base_version: 2,
      change: { kind: 'patch', patch: { rollout_percentage: 50 } },
      reason: 'more traffic',
      status: 'pending',
      needs_approval: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      revision: 1,
    });
    // Nothing changed: same version, same rollout, same history.
    expect(await getFlag('cr-flow')).toMatchObject({ version: 2, rollout_percentage: 10 });
    expect(await history('cr-flow')).toHaveLength(2);

    const pending = await api('GET', '/admin/change-requests?status=pending');
    expect(pending.body.change_requests.map((r: { id: string }) => r.id)).toContain('cr-flow~1');
    const onFlag = await api('GET', '/admin/flags/cr-flow/change-requests?status=pending,scheduled');
    expect(onFlag.body.change_requests.map((r: { id: string }) => r.id)).toEqual(['cr-flow~1']);

    // The author may not approve: not as an editor, nor as an admin.
    const byEditor = await eve('POST', '/admin/change-requests/cr-flow~1/approve');
    expect(byEditor.status).toBe(403);
    const eveAsAdmin = JSON.stringify({ ...ROLES, admin: [...ROLES.admin, 'eve@acme.test'] });
    const own = await eve('POST', '/admin/change-requests/cr-flow~1/approve', undefined, { ACCESS_ROLES: eveAsAdmin });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe('nobody may approve their own change request');
    expect((await getFlag('cr-flow')).version).toBe(2);

    const approved = await ann('POST', '/admin/change-requests/cr-flow~1/approve');
    expect(approved.status).toBe(200);
    expect(approved.body.change_request).toMatchObject({ status: 'applied', approved_by: 'ann@acme.test', applied_version: 3 });
    expect(approved.body.flag).toMatchObject({ version: 3, rollout_percentage: 50 });
    const [entry, ...older] = await history('cr-flow');
    expect(older).toHaveLength(2);
    expect(entry).toMatchObject({
      version: 3,
      action: 'rollout_update',
      actor: 'eve@acme.test',
      reason: 'more traffic',
      details: { change_request: { id: 'cr-flow~1', author: 'eve@acme.test', approved_by: 'ann@acme.test' } },
    });

    // Decided once: a second approval is a conflict, and the index shows it applied.
    expect((await ann('POST', '/admin/change-requests/cr-flow~1/approve')).status).toBe(409);
    expect((await api('GET', '/admin/change-requests/cr-flow~1')).body.change_request.status).toBe('applied');
    const listed = await api('GET', '/admin/change-requests?flag=cr-flow');
    expect(listed.body.change_requests[0]).toMatchObject({ id: 'cr-flow~1', status: 'applied' });

    // Notified like other changes: the request, its approval, and the rollout change it made.
    const events = access.notifications.filter((d) => d.url.includes('flag-events')).map((d) => JSON.parse(d.body).event);
    expect(events).toEqual(expect.arrayContaining(['flag.change_requested', 'flag.change_approved', 'flag.rollout_changed']));
    const requested = access.notifications.find((d) => d.url.includes('flag-events') && d.body.includes('flag.change_requested'))!;
    expect(requested.headers.get('Idempotency-Key')).toBe('cr-flow~1:flag.change_requested');
  });

  it('a request made against an older version is refused with 409 and stays pending; it can be rejected', async () => {
    const { eve, ada, ann } = await people();
    await protectedFlag('cr-stale', ada);
    expect((await eve('POST', '/admin/flags/cr-stale/rollout', { percentage: 75 })).status).toBe(202);
    expect((await ada('PATCH', '/admin/flags/cr-stale', { description: 'moved on' })).body.flag.version).toBe(3);

    const stale = await ann('POST', '/admin/change-requests/cr-stale~1/approve');
    expect(stale.status).toBe(409);
    expect(stale.body.error.details).toEqual({ base_version: 2, current_version: 3 });
    expect(await getFlag('cr-stale')).toMatchObject({ version: 3, rollout_percentage: 10 });
    expect((await api('GET', '/admin/change-requests/cr-stale~1')).body.change_request.status).toBe('pending');

    const rejected = await ann('POST', '/admin/change-requests/cr-stale~1/reject', { reason: 'out of date' });
    expect(rejected.body.change_request).toMatchObject({ status: 'rejected', decided_by: 'ann@acme.test', note: 'out of date' });
    expect((await ann('POST', '/admin/change-requests/cr-stale~1/approve')).status).toBe(409);
  });

  it("an editor's kill applies at once; so do an admin's and an approving token's writes", async () => {
    const { eve, ada } = await people();
    await protectedFlag('cr-kill', ada);
    const killed = await eve('POST', '/admin/flags/cr-kill/kill', { reason: 'errors' });
    expect(killed.status).toBe(200);
    expect(killed.body.flag).toMatchObject({ version: 3, enabled: false, status: 'killed' });
    expect((await ada('PATCH', '/admin/flags/cr-kill', { enabled: true })).status).toBe(200);
    expect((await api('POST', '/admin/flags/cr-kill/rollout', { percentage: 20 })).body.flag.version).toBe(5);
  });

  it('only an approver marks a flag protected, and a revert does not lift it', async () => {
    const { eve, ada, vic } = await people();
    await createFlag({ id: 'cr-mark' });
    const byEditor = await eve('PATCH', '/admin/flags/cr-mark', { protected: true });
    expect(byEditor.status).toBe(403);
    expect(byEditor.body.error.details).toEqual([{ path: 'protected', message: expect.any(String) }]);
    expect((await eve('PUT', '/admin/flags/cr-mark/protection', { protected: true })).status).toBe(403);
    expect((await eve('POST', '/admin/flags', { id: 'cr-mark-2', protected: true })).status).toBe(403);
    expect((await vic('GET', '/admin/change-requests')).status).toBe(200);
    expect((await ada('PATCH', '/admin/flags/cr-mark', { protected: true })).body.flag.protected).toBe(true);
    const reverted = await ada('POST', '/admin/flags/cr-mark/revert', { version: 1 });
    expect(reverted.body.flag).toMatchObject({ version: 3, protected: true });
    const unmarked = await api('PUT', '/admin/flags/cr-mark/protection', { protected: false });
    expect(unmarked.body.flag).toMatchObject({ version: 4, protected: false });
  });

  it('bad input is a 4xx naming the field, and nothing is held', async () => {
    const { eve, ada, ann } = await people();
    await protectedFlag('cr-bad', ada);
    const invalid = await eve('PATCH', '/admin/flags/cr-bad', { rollout_percentage: 150 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0].path).toBe('rollout_percentage');
    const refused = await eve('POST', '/admin/flags/cr-bad/revert', { version: 9 });
    expect(refused.status).toBe(404);
    expect((await eve('PATCH', '/admin/flags/cr-bad', { rollout_percentage: 10 })).body.flag.version).toBe(2);
    const past = await eve('PATCH', '/admin/flags/cr-bad', { rollout_percentage: 20, apply_at: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.error.details).toEqual([{ path: 'apply_at', message: 'must lie in the future' }]);
    expect((await eve('PATCH', '/admin/flags/cr-bad', { rollout_percentage: 20, apply_at: 'tomorrow' })).body.error.details[0].path).toBe('apply_at');
    expect((await api('GET', '/admin/flags/cr-bad/change-requests')).body.change_requests).toEqual([]);
    expect((await ann('POST', '/admin/change-requests/cr-bad/approve')).body.error.details[0].path).toBe('id');
    expect((await ann('POST', '/admin/change-requests/cr-bad~7/approve')).status).toBe(404);
    expect((await api('GET', '/admin/change-requests?status=waiting')).body.error.details[0].path).toMatch(/^status/);
  });

  it('a bulk action holds the protected flags and applies the others', async () => {
    const { eve, ada } = await people();
    await protectedFlag('cr-bulk-a', ada);
    await createFlag({ id: 'cr-bulk-b' });
    const bulk = await eve('POST', '/admin/flags/bulk', { action: 'set_owner', owner: 'payments', ids: ['cr-bulk-a', 'cr-bulk-b'] });
    expect(bulk.body.results).toEqual([
      { id: 'cr-bulk-a', ok: true, status: 202, change_request: 'cr-bulk-a~1' },
      { id: 'cr-bulk-b', ok: true, status: 200, version: 2 },
    ]);
    expect((await getFlag('cr-bulk-a')).owner).toBe('');
  });
});

describe('scheduled changes', () => {
  async function scheduled(id: string) {
    await createFlag({ id, enabled: true, rollout_percentage: 10 });
    const clock = new TestClock(Date.now());
    const stub = flagObject(id);
    await useClock(stub, clock);
    return { clock, stub, at: (ms: number) => new Date(clock.now() + ms).toISOString() };
  }

  it('applies at its time through the alarm, recorded in the history', async () => {
    const { clock, stub, at } = await scheduled('cr-at');
    const applyAt = at(HOUR);
    const held = await api('POST', '/admin/flags/cr-at/rollout', { percentage: 60, reason: 'evening', apply_at: applyAt });
    expect(held.status).toBe(202);
    expect(held.body.change_request).toMatchObject({ id: 'cr-at~1', status: 'scheduled', needs_approval: false, apply_at: applyAt, author: 'admin' });

    await runDurableObjectAlarm(stub);
    expect((await getFlag('cr-at')).version).toBe(1);
    clock.advance(HOUR);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await getFlag('cr-at')).toMatchObject({ version: 2, rollout_percentage: 60 });
    expect((await history('cr-at'))[0]).toMatchObject({
      version: 2,
      actor: 'admin',
      reason: 'evening',
      details: { change_request: { id: 'cr-at~1', author: 'admin', apply_at: applyAt } },
    });
    expect((await api('GET', '/admin/change-requests/cr-at~1')).body.change_request).toMatchObject({ status: 'applied', applied_version: 2 });
  });

  it('a cancelled one never applies', async () => {
    const { clock, stub, at } = await scheduled('cr-cancel');
    const { eve } = await people();
    const held = await eve('PATCH', '/admin/flags/cr-cancel', { enabled: false, apply_at: at(HOUR) });
    expect(held.body.change_request).toMatchObject({ status: 'scheduled', author: 'eve@acme.test' });
    const cancelled = await eve('POST', '/admin/change-requests/cr-cancel~1/cancel', { reason: 'not tonight' });
    expect(cancelled.body.change_request).toMatchObject({ status: 'cancelled', decided_by: 'eve@acme.test', note: 'not tonight' });
    clock.advance(2 * HOUR);
    await runDurableObjectAlarm(stub);
    expect(await getFlag('cr-cancel')).toMatchObject({ version: 1, enabled: true });
    expect((await api('GET', '/admin/change-requests?flag=cr-cancel')).body.change_requests[0].status).toBe('cancelled');
  });

  it('on a protected flag it waits for approval, then for its time; a flag that moved meanwhile fails it', async () => {
    const { clock, stub, at } = await scheduled('cr-both');
    const { eve, ann } = await people();
    await api('PUT', '/admin/flags/cr-both/protection', { protected: true });
    const held = await eve('PATCH', '/admin/flags/cr-both', { rollout_percentage: 40, apply_at: at(HOUR) });
    expect(held.body.change_request).toMatchObject({ status: 'pending', needs_approval: true });
    clock.advance(2 * HOUR);
    await runDurableObjectAlarm(stub);
    expect((await getFlag('cr-both')).version).toBe(2);
    // Approved after its time: it applies at once.
    const approved = await ann('POST', '/admin/change-requests/cr-both~1/approve');
    expect(approved.body.change_request).toMatchObject({ status: 'applied', applied_version: 3 });

    const later = await eve('PATCH', '/admin/flags/cr-both', { rollout_percentage: 80, apply_at: at(HOUR) });
    expect((await ann('POST', `/admin/change-requests/${later.body.change_request.id}/approve`)).body.change_request.status).toBe('scheduled');
    expect((await eve('POST', '/admin/flags/cr-both/kill')).status).toBe(200);
    clock.advance(HOUR);
    await runDurableObjectAlarm(stub);
    expect(await getFlag('cr-both')).toMatchObject({ version: 4, enabled: false });
    const failed = (await api('GET', `/admin/change-requests/${later.body.change_request.id}`)).body.change_request;
    expect(failed).toMatchObject({ status: 'failed', note: 'the flag moved from version 3 to 4' });
  });
});
