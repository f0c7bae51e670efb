/**
 * The admin list (`GET /admin/flags`): cursor paging, search, filters, sort; and bulk actions
 * (`POST /admin/flags/bulk`) through each flag's own object.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import listMigration from '../../migrations/catalog/0003_list.sql';
import type { CatalogObject } from '../../src/do/catalog-object';
import { listQuerySchema } from '../../src/flags/list-query';
import { api, createFlag, TOKENS } from '../helpers/api';
import { catalogEntries, catalogStub, seedCatalog, type SeedFlag } from '../helpers/catalog';

const DAY = 24 * 60 * 60 * 1000;

/** Every page of a query, following next_cursor. */
async function allPages(query: string, limit: number): Promise<{ ids: string[]; pages: number; totals: number[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response: { status: number; body: any } = await api('GET', `/admin/flags?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.flags.length).toBeLessThanOrEqual(limit);
    ids.push(...response.body.flags.map((f: any) => f.id));
    totals.push(response.body.total);
    cursor = response.body.next_cursor;
    pages++;
  } while (cursor);
  return { ids, pages, totals };
}

const ids = (response: { body: { flags: { id: string }[] } }) => response.body.flags.map((f) => f.id);

describe('paging', () => {
  it('pages 50 at a time by default, each flag exactly once, with the total', async () => {
    const flags = Array.from({ length: 130 }, (_, i) => ({ id: `pg-${String(i).padStart(3, '0')}` }));
    await seedCatalog(flags);
    const first = await api('GET', '/admin/flags?q=pg-');
    expect(first.status).toBe(200);
    expect(first.body.flags).toHaveLength(50);
    expect(first.body.total).toBe(130);
    expect(typeof first.body.next_cursor).toBe('string');
    expect(first.body.flags[0]).toMatchObject({ id: 'pg-000', status: 'off', archived: false, last_evaluated_at: null });

    const walked = await allPages('q=pg-', 50);
    expect(walked.pages).toBe(3);
    expect(walked.ids).toEqual(flags.map((f) => f.id));
    expect(new Set(walked.totals)).toEqual(new Set([130]));
    // The last page says so.
    const last = await api('GET', '/admin/flags?q=pg-&limit=500');
    expect(last.body.flags).toHaveLength(130);
    expect(last.body.next_cursor).toBeNull();
  });

  it('refuses a bad limit, a forged cursor and a cursor from another query, naming the field', async () => {
    await seedCatalog([{ id: 'cur-a' }, { id: 'cur-b' }, { id: 'cur-c' }]);
    for (const [query, path] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor!', 'cursor'],
      [`cursor=${btoa('{"v":2}')}`, 'cursor'],
      ['sort=rollout', 'sort'],
      ['order=up', 'order'],
      ['status=on,sideways', 'status.1'],
      ['stale=yes', 'stale'],
      ['archived=true&include_archived=true', 'archived'],
      ['include_archived=maybe', 'include_archived'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['colour=red', ''],
    ] as const) {
      const response = await api('GET', `/admin/flags?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      if (path) expect(response.body.error.details.map((d: any) => d.path), query).toContain(path);
    }
    const page = await api('GET', '/admin/flags?q=cur-&limit=1');
    const cursor = encodeURIComponent(page.body.next_cursor);
    expect((await api('GET', `/admin/flags?q=cur-&limit=1&cursor=${cursor}`)).body.flags[0].id).toBe('cur-b');
    for (const other of ['q=cur-&sort=owner', 'q=cur-&order=desc', 'q=cur-b', 'q=cur-&status=on']) {
      const response = await api('GET', `/admin/flags?${other}&limit=1&cursor=${cursor}`);
      expect(response.status, other).toBe(400);
      expect(response.body.error.details[0].path).toBe('cursor');
    }
  });

  it('is stable while flags are created: every flag that existed once, nothing twice', async () => {
    const name = (n: number) => `live-${String(n).padStart(4, '0')}`;
    const existing = Array.from({ length: 150 }, (_, i) => name(i * 10));
    await seedCatalog(existing.map((id) => ({ id })));
    const seen: string[] = [];
    const createdAhead: string[] = [];
    const createdBehind: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const response: { body: any } = await api('GET', `/admin/flags?q=live-&limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...ids(response));
      cursor = response.body.next_cursor;
      // Between two pages, flags appear both behind the reader and ahead of it (one through the
      // API, the rest straight into the catalog), while another page request is in flight.
      const last = Number(seen[seen.length - 1]!.slice(5));
      const behind = [name(last - 3), name(Math.max(1, last - 7))].filter((id) => !seen.includes(id) && !existing.includes(id));
      const ahead = [name(last + 1), name(last + 5), name(last + 13)].filter((id) => !existing.includes(id));
      const inFlight = api('GET', '/admin/flags?q=live-&limit=20');
      await createFlag({ id: ahead[0]! });
      await seedCatalog([...ahead.slice(1), ...behind].map((id) => ({ id })));
      await inFlight;
      createdAhead.push(...ahead);
      createdBehind.push(...behind);
      round++;
    } while (cursor);
    expect(round).toBeGreaterThan(7);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
    // Paging is by key, not offset: what was created ahead is found, what was created behind is not.
    const lastSeen = seen[seen.length - 1]!;
    for (const id of createdAhead.filter((id) => id <= lastSeen)) expect(seen).toContain(id);
    for (const id of createdBehind) expect(seen).not.toContain(id);
    expect([...seen].sort()).toEqual(seen);
  });
});

describe('search, filters and sort', () => {
  const base = Date.parse('2026-06-01T00:00:00.000Z');
  const at = (days: number) => new Date(base + days * DAY).toISOString();
  const flags: SeedFlag[] = [
    { id: 'sf-checkout', description: 'New checkout flow', owner: 'Payments', enabled: true, rollout_percentage: 100, at: at(0) },
    { id: 'sf-search', description: 'Search ranking v2', owner: 'discovery', enabled: true, rollout_percentage: 30, at: at(1) },
    { id: 'sf-banner', description: 'Holiday banner for CHECKOUT page', owner: 'web', at: at(2), updated_at: at(9) },
    { id: 'sf-kill', description: 'Ops kill switch', owner: 'Équipe SRE', enabled: false, killed: true, at: at(3), permanent: true },
    { id: 'sf-old', description: 'Retired experiment', owner: 'web', archived: true, at: at(4) },
    { id: 'sf-beta', description: 'Beta programme', owner: 'platform', enabled: true, allowed_users: ['u1'], at: at(5) },
  ];

  it('searches id, description and owner, case-insensitively', async () => {
    await seedCatalog(flags);
    expect(ids(await api('GET', '/admin/flags?q=checkout'))).toEqual(['sf-banner', 'sf-checkout']);
    expect(ids(await api('GET', '/admin/flags?q=PAYMENTS'))).toEqual(['sf-checkout']);
    expect(ids(await api('GET', '/admin/flags?q=%C3%A9quipe'))).toEqual(['sf-kill']); // "équipe" finds "Équipe"
    expect(ids(await api('GET', '/admin/flags?q=sf-se'))).toEqual(['sf-search']);
    // No wildcards: % and _ are plain characters.
    expect(ids(await api('GET', '/admin/flags?q=sf%25'))).toEqual([]);
    expect(ids(await api('GET', '/admin/flags?q=sf_'))).toEqual([]);
    expect(ids(await api('GET', '/admin/flags?q=experiment'))).toEqual([]);
    expect(ids(await api('GET', '/admin/flags?q=experiment&archived=true'))).toEqual(['sf-old']);
    expect((await api('GET', '/admin/flags?q=%20%20')).body.total).toBeGreaterThanOrEqual(5); // blank: no search
  });

  it('filters by status, archived and permanent; combines filters with search', async () => {
    await seedCatalog(flags);
    expect(ids(await api('GET', '/admin/flags?q=sf-&status=on'))).toEqual(['sf-checkout']);
    expect(ids(await api('GET', '/admin/flags?q=sf-&status=killed,allowlist-only'))).toEqual(['sf-beta', 'sf-kill']);
    expect(ids(await api('GET', '/admin/flags?q=sf-&status=off'))).toEqual(['sf-banner']);
    expect(ids(await api('GET', '/admin/flags?q=sf-&archived=true'))).toEqual(['sf-old']);
    expect(ids(await api('GET', '/admin/flags?q=sf-&archived=any'))).toHaveLength(6);
    expect(ids(await api('GET', '/admin/flags?q=sf-&include_archived=true'))).toHaveLength(6);
    expect(ids(await api('GET', '/admin/flags?q=sf-&include_archived=false'))).toHaveLength(5);
    expect(ids(await api('GET', '/admin/flags?q=sf-&permanent=true'))).toEqual(['sf-kill']);
    expect(ids(await api('GET', '/admin/flags?q=web&archived=any&status=off'))).toEqual(['sf-banner', 'sf-old']);
    const page = await api('GET', '/admin/flags?q=sf-&permanent=true');
    expect(page.body.flags[0].permanent).toBe(true);
    expect(page.body.total).toBe(1);
  });

  it('sorts by id, owner, created_at or updated_at either way, and pages in that order', async () => {
    await seedCatalog(flags);
    const live = flags.filter((f) => !f.archived);
    const byOwner = [...live].sort((a, b) => (a.owner! < b.owner! ? -1 : a.owner! > b.owner! ? 1 : a.id < b.id ? -1 : 1)).map((f) => f.id);
    expect((await allPages('q=sf-&sort=owner', 2)).ids).toEqual(byOwner);
    expect((await allPages('q=sf-&sort=owner&order=desc', 2)).ids).toEqual([...byOwner].reverse());
    expect((await allPages('q=sf-&sort=created_at', 4)).ids).toEqual(['sf-checkout', 'sf-search', 'sf-banner', 'sf-kill', 'sf-beta']);
    expect((await allPages('q=sf-&sort=updated_at&order=desc', 1)).ids).toEqual(['sf-banner', 'sf-beta', 'sf-kill', 'sf-search', 'sf-checkout']);
    expect((await allPages('q=sf-&order=desc', 3)).ids).toEqual(live.map((f) => f.id).sort().reverse());
  });

  it('stale=true picks exactly the flags of the stale report; a permanent flag is never stale', async () => {
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * DAY).toISOString();
    await seedCatalog([
      { id: 'st-on', enabled: true, rollout_percentage: 100, at: ago(40) },
      { id: 'st-off', at: ago(40) },
      { id: 'st-rolling', enabled: true, rollout_percentage: 30, at: ago(40) },
      { id: 'st-fresh', enabled: true, rollout_percentage: 100, at: ago(1) },
      { id: 'st-kill-switch', at: ago(40), permanent: true },
      { id: 'st-archived', at: ago(40), archived: true },
    ]);
    const report = await api('GET', '/admin/flags/stale?days=30');
    const reported = report.body.flags.map((f: any) => f.id).filter((id: string) => id.startsWith('st-')).sort();
    expect(reported).toEqual(['st-off', 'st-on', 'st-rolling']);
    expect(ids(await api('GET', '/admin/flags?q=st-&stale=true'))).toEqual(reported);
    expect(ids(await api('GET', '/admin/flags?q=st-&stale=false'))).toEqual(['st-fresh', 'st-kill-switch']);
    expect(ids(await api('GET', '/admin/flags?q=st-&stale=true&stale_days=60'))).toEqual([]);
    // Usage within the threshold takes a flag out of "not evaluated"; st-rolling had no other reason.
    await catalogStub().recordUsage('st-rolling', now - DAY);
    expect(ids(await api('GET', '/admin/flags?q=st-&stale=true'))).toEqual(['st-off', 'st-on']);
  });
});

describe('migration 0003', () => {
  it('fills the list columns of rows stored before it', async () => {
    const [entry] = catalogEntries([{ id: 'mig-old', owner: 'Legacy Team', description: 'From before paging', enabled: true, rollout_percentage: 100, permanent: true }]);
    const page = await runInDurableObject(catalogStub(), (catalog: CatalogObject, state) => {
      const sql = state.storage.sql;
      // The catalog as it was before 0003: no list columns, a row written by the old upsert.
      for (const index of ['flags_by_updated', 'flags_by_created', 'flags_by_owner']) sql.exec(`DROP INDEX ${index}`);
      for (const column of ['status', 'owner', 'created_at', 'permanent', 'search_text']) sql.exec(`ALTER TABLE flags DROP COLUMN ${column}`);
      sql.exec(
        'INSERT INTO flags (id, version, archived, summary, snapshot, updated_at) VALUES (?, ?, 0, ?, ?, ?)',
        'mig-old', 1, JSON.stringify(entry!.summary), JSON.stringify(entry!.snapshot), entry!.summary.updated_at,
      );
      sql.exec(listMigration);
      return catalog.listPage(listQuerySchema.parse({ q: 'legacy', status: 'on', permanent: 'true', sort: 'owner' }));
    });
    expect(page.flags.map((f) => f.id)).toEqual(['mig-old']);
    expect(page.flags[0]).toMatchObject({ owner: 'Legacy Team', permanent: true, status: 'on' });
  });
});

describe('bulk actions', () => {
  it('archives, marks permanent and changes owner: one history entry and one result per flag', async () => {
    for (const id of ['bk-a', 'bk-b', 'bk-c']) await createFlag({ id, owner: 'old-team', enabled: true, rollout_percentage: 100 });

    const owner = await api('POST', '/admin/flags/bulk', { action: 'set_owner', ids: ['bk-a', 'bk-b', 'bk-missing'], owner: 'new-team', reason: 'team rename' });
    expect(owner.status).toBe(200);
    expect(owner.body.results).toEqual([
      { id: 'bk-a', ok: true, status: 200, version: 2 },
      { id: 'bk-b', ok: true, status: 200, version: 2 },
      { id: 'bk-missing', ok: false, status: 404, error: { code: 'not_found', message: expect.any(String) } },
    ]);
    const history = await api('GET', '/admin/flags/bk-a/history');
    expect(history.body.entries.map((e: any) => e.action)).toEqual(['update', 'create']);
    expect(history.body.entries[0]).toMatchObject({ actor: 'admin', reason: 'team rename' });
    expect(history.body.entries[0].after.owner).toBe('new-team');
    expect(ids(await api('GET', '/admin/flags?q=new-team'))).toEqual(['bk-a', 'bk-b']);

    const permanent = await api('POST', '/admin/flags/bulk', { action: 'mark_permanent', ids: ['bk-a', 'bk-c'] });
    expect(permanent.body.results.map((r: any) => [r.id, r.ok, r.version])).toEqual([['bk-a', true, 3], ['bk-c', true, 2]]);
    expect((await api('GET', '/admin/flags/bk-c')).body.flag.permanent).toBe(true);
    expect(ids(await api('GET', '/admin/flags?q=bk-&permanent=true'))).toEqual(['bk-a', 'bk-c']);
    // Marking again changes nothing: no new version.
    expect((await api('POST', '/admin/flags/bulk', { action: 'mark_permanent', ids: ['bk-c'] })).body.results[0].version).toBe(2);
    const unmark = await api('POST', '/admin/flags/bulk', { action: 'unmark_permanent', ids: ['bk-c'] });
    expect(unmark.body.results[0]).toMatchObject({ ok: true, version: 3 });
    expect((await api('GET', '/admin/flags/bk-c')).body.flag.permanent).toBeUndefined();

    const archive = await api('POST', '/admin/flags/bulk', { action: 'archive', ids: ['bk-b', 'bk-c'], reason: 'clean-up' });
    expect(archive.body.results.map((r: any) => [r.id, r.ok, r.status])).toEqual([['bk-b', true, 200], ['bk-c', true, 200]]);
    const again = await api('POST', '/admin/flags/bulk', { action: 'archive', ids: ['bk-a', 'bk-b'] });
    expect(again.body.results.map((r: any) => [r.id, r.ok, r.status, r.error?.code])).toEqual([['bk-a', true, 200, undefined], ['bk-b', false, 409, 'flag_archived']]);
    expect((await api('GET', '/admin/flags/bk-b/history')).body.entries.map((e: any) => [e.action, e.reason])).toEqual([['archive', 'clean-up'], ['update', 'team rename'], ['create', null]]);
    expect(ids(await api('GET', '/admin/flags?q=bk-'))).toEqual([]);
    expect(ids(await api('GET', '/admin/flags?q=bk-&archived=true'))).toEqual(['bk-a', 'bk-b', 'bk-c']);
  });

  it('validates the whole request before changing anything, and needs flags:write', async () => {
    await createFlag({ id: 'bk-safe', owner: 'keep' });
    const bad: [unknown, string][] = [
      [{ action: 'delete', ids: ['bk-safe'] }, 'action'],
      [{ action: 'archive', ids: [] }, 'ids'],
      [{ action: 'archive', ids: ['bk-safe', '-bad'] }, 'ids.1'],
      [{ action: 'archive', ids: ['bk-safe', 'bk-safe'] }, 'ids.1'],
      [{ action: 'archive', ids: Array.from({ length: 501 }, (_, i) => `x${i}`) }, 'ids'],
      [{ action: 'set_owner', ids: ['bk-safe'] }, 'owner'],
      [{ action: 'set_owner', ids: ['bk-safe'], owner: 'x'.repeat(129) }, 'owner'],
      [{ action: 'archive', ids: ['bk-safe'], owner: 'someone' }, 'owner'],
      [{ action: 'archive', ids: ['bk-safe'], extra: 1 }, ''],
    ];
    for (const [body, path] of bad) {
      const response = await api('POST', '/admin/flags/bulk', body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      if (path) expect(response.body.error.details.map((d: any) => d.path)).toContain(path);
    }
    expect((await api('POST', '/admin/flags/bulk', { action: 'archive', ids: ['bk-safe'] }, { token: TOKENS.viewer })).status).toBe(403);
    expect((await api('POST', '/admin/flags/bulk', { action: 'archive', ids: ['bk-safe'] }, { token: null })).status).toBe(401);
    const flag = (await api('GET', '/admin/flags/bk-safe')).body.flag;
    expect(flag).toMatchObject({ version: 1, archived: false, owner: 'keep' });
  });
});
