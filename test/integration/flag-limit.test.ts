/**
 * The live-flag limit (MAX_FLAGS, issue 14): the catalog counts live flags with the rows (catalog
 * migration 0008) rather than per create, and a create at the limit is a 409 that writes nothing.
 * Reaching 20,000 flags over HTTP would take minutes, so the test sets the count the catalog
 * keeps, as if the other flags were there.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { KV_KEYS } from '../../src/flags/model';
import { MAX_FLAGS } from '../../src/flags/shards';
import { api } from '../helpers/api';
import { catalogEntries, catalogStub, seedCatalog } from '../helpers/catalog';
import { flagObject } from '../helpers/stubs';

/** The catalog's count of live flags, and what a count of its rows says. */
function counts() {
  return runInDurableObject(catalogStub(), (_catalog, state) => {
    const sql = state.storage.sql;
    return {
      kept: JSON.parse(sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'live_flags'").one().value) as number,
      rows: sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM flags WHERE archived = 0').one().n,
    };
  });
}

function setLiveCount(live: number) {
  return runInDurableObject(catalogStub(), (_catalog, state) => {
    state.storage.sql.exec("UPDATE state SET value = ? WHERE key = 'live_flags'", String(live));
  });
}

describe('the live-flag count', () => {
  it('follows creates and archives, and ignores a publish arriving late', async () => {
    expect(await counts()).toEqual({ kept: 0, rows: 0 });
    for (const id of ['count-a', 'count-b', 'count-c']) expect((await api('POST', '/admin/flags', { id })).status).toBe(201);
    expect(await counts()).toEqual({ kept: 3, rows: 3 });
    expect((await api('DELETE', '/admin/flags/count-b')).status).toBe(200);
    expect(await counts()).toEqual({ kept: 2, rows: 2 });
    // An update of a live flag counts nothing; an older version of an archived one is ignored.
    expect((await api('PATCH', '/admin/flags/count-a', { enabled: true })).status).toBe(200);
    await seedCatalog([{ id: 'count-b' }]);
    expect(await counts()).toEqual({ kept: 2, rows: 2 });
    // Straight into the catalog, as the flag objects' publishes: two new flags, then one archived.
    await seedCatalog([{ id: 'count-d' }, { id: 'count-e' }]);
    expect(await counts()).toEqual({ kept: 4, rows: 4 });
    const [entry] = catalogEntries([{ id: 'count-d', archived: true }]);
    await catalogStub().upsertFlag({ summary: { ...entry!.summary, version: 2 }, snapshot: { ...entry!.snapshot, version: 2 } });
    expect(await counts()).toEqual({ kept: 3, rows: 3 });
  });
});

describe('at the limit of live flags', () => {
  it('a create answers 409 naming the limit and writes nothing; archiving one makes room', async () => {
    expect((await api('POST', '/admin/flags', { id: 'limit-old' })).status).toBe(201);
    await setLiveCount(MAX_FLAGS);

    const refused = await api('POST', '/admin/flags', { id: 'limit-new', description: 'one too many', enabled: true });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', details: { live: MAX_FLAGS, limit: MAX_FLAGS } });
    expect(refused.body.error.message).toContain(String(MAX_FLAGS));

    // Nothing of it anywhere: no flag object state, no list row, no history, no KV snapshot.
    const stored = await runInDurableObject(flagObject('limit-new'), (_flag, state) => {
      const sql = state.storage.sql;
      const rows = (table: string) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
      return { flag: rows('flag'), history: rows('history'), outbox: rows('outbox') };
    });
    expect(stored).toEqual({ flag: 0, history: 0, outbox: 0 });
    expect((await api('GET', '/admin/flags/limit-new')).status).toBe(404);
    expect((await api('GET', '/admin/flags/limit-new/history')).status).toBe(404);
    expect((await api('GET', '/admin/flags?q=limit-new')).body.total).toBe(0);
    expect(await env.FLAGS_KV.get(KV_KEYS.flag('limit-new'))).toBeNull();
    expect((await counts()).kept).toBe(MAX_FLAGS);

    expect((await api('DELETE', '/admin/flags/limit-old')).status).toBe(200);
    expect((await counts()).kept).toBe(MAX_FLAGS - 1);
    expect((await api('POST', '/admin/flags', { id: 'limit-new' })).status).toBe(201);
    expect((await counts()).kept).toBe(MAX_FLAGS);
  });
});
