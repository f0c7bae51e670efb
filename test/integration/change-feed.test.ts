/**
 * The change channel's server half (issue 13): the catalog's feed, the relays, `changes` on the
 * RPC entrypoint, and what report and usage answers say about the flag.
 */
import { env, exports } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { readChanges } from '../../src/channel';
import { catalogStub, relayStub } from '../../src/do/stubs';
import type { ChangeEntry, ChangesAnswer } from '../../src/flags/model';
import type { Result } from '../../src/flags/result';
import { api, createFlag } from '../helpers/api';
import { TestClock, useClock } from '../helpers/clock';

const coordinator = () => exports.FlagCoordinator;

async function changes(cursor: unknown, options?: unknown): Promise<ChangesAnswer> {
  const answer = (await coordinator().changes(cursor, options)) as Result<ChangesAnswer>;
  if (!answer.ok) throw new Error(`changes failed: ${answer.message}`);
  return answer.value;
}

/** What a relay holds, read from its storage (so a fill on asking cannot hide a missing push). */
const storedHead = (relay: number) =>
  runInDurableObject(relayStub(env, relay) as unknown as DurableObjectStub, (_, state) =>
    Number(state.storage.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'feed_head'").one().value),
  );

const head = async () => (await changes(0)).cursor;
const entryOf = (answer: ChangesAnswer, id: string): ChangeEntry | undefined => answer.changes.find((e) => e.id === id);

describe('the change feed', () => {
  it('a kill is in `changes` as soon as the admin answer returns, on every relay', async () => {
    await createFlag({ id: 'feed-kill', enabled: true, rollout_percentage: 100 });
    const cursor = await head();
    const before = Date.now();
    const killed = await api('POST', '/admin/flags/feed-kill/kill', { reason: 'incident' });
    expect(killed.status).toBe(200);
    // The push reached every relay before the answer returned.
    const catalogHead = await runInDurableObject(catalogStub(env) as unknown as DurableObjectStub, (_, state) =>
      Number(state.storage.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'feed_head'").one().value),
    );
    expect(catalogHead).toBeGreaterThan(cursor);
    for (let relay = 0; relay < 4; relay++) expect(await storedHead(relay)).toBe(catalogHead);
    // Readers hash to every relay: each must already hold the kill.
    for (const reader of ['reader-a', 'reader-b', 'reader-c', 'reader-d', 'reader-e', 'reader-f']) {
      const answer = await changes(cursor, { reader });
      expect(answer.reset).toBe(false);
      expect(answer.changes).toHaveLength(1);
      expect(answer.changes[0]).toMatchObject({ kind: 'flag', id: 'feed-kill', version: 2, snapshot: { enabled: false, version: 2 } });
      expect(answer.changes[0]!.changed_at).toBeGreaterThanOrEqual(before - 1_000);
      expect(answer.cursor).toBe(answer.changes[0]!.seq);
    }
    for (let relay = 0; relay < 4; relay++) {
      const answer = await relayStub(env, relay).changes(cursor);
      expect(entryOf(answer, 'feed-kill')?.version).toBe(2);
    }
  });

  it('cursor semantics: newest entry per id, nothing after the head, segments and archives too', async () => {
    await createFlag({ id: 'feed-cursor', enabled: true, rollout_percentage: 10 });
    const cursor = await head();
    expect((await changes(cursor)).changes).toEqual([]);
    await api('POST', '/admin/flags/feed-cursor/rollout', { percentage: 20 });
    await api('POST', '/admin/flags/feed-cursor/rollout', { percentage: 30 });
    const seg = await api('POST', '/admin/segments', { id: 'feed-seg', conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }] });
    expect(seg.status).toBe(201);
    const answer = await changes(cursor, { reader: 'r1' });
    expect(answer.changes.map((e) => [e.kind, e.id, e.version])).toEqual([
      ['flag', 'feed-cursor', 3],
      ['segment', 'feed-seg', 1],
    ]);
    expect(entryOf(answer, 'feed-cursor')!.snapshot).toMatchObject({ rollout_percentage: 30 });
    expect(entryOf(answer, 'feed-seg')!.snapshot).toEqual({ id: 'feed-seg', version: 1, conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }] });
    // Seqs grow in order; the cursor is the last one; asking from it gives nothing.
    expect(answer.changes[0]!.seq).toBeLessThan(answer.changes[1]!.seq);
    expect(answer.cursor).toBe(answer.changes[1]!.seq);
    expect((await changes(answer.cursor, { reader: 'r2' })).changes).toEqual([]);

    await api('DELETE', '/admin/flags/feed-cursor');
    const archived = await changes(answer.cursor);
    expect(archived.changes).toMatchObject([{ kind: 'flag', id: 'feed-cursor', version: 4, snapshot: null }]);
  });

  it('a cold relay fills from the catalog before it answers', async () => {
    await createFlag({ id: 'feed-cold', enabled: true });
    // Relay 17 is outside RELAY_COUNT: the catalog has never pushed to it.
    const answer = await relayStub(env, 17).changes(0);
    expect(entryOf(answer, 'feed-cold')).toMatchObject({ version: 1, snapshot: { enabled: true } });
    expect(answer.cursor).toBe(await head());
    expect(await relayStub(env, 17).changes(answer.cursor)).toMatchObject({ reset: false, changes: [] });
  });

  it('a cursor from a relay further on makes a lagging relay catch up with the catalog', async () => {
    await createFlag({ id: 'feed-behind', enabled: true });
    const cold = await relayStub(env, 18).changes(0);
    await api('POST', '/admin/flags/feed-behind/kill', {});
    // Relay 18 gets no pushes; a reader with a newer cursor still gets the right answer from it.
    const cursor = await head();
    expect(await relayStub(env, 18).changes(cursor)).toMatchObject({ cursor, reset: false, changes: [] });
    const fromOld = await relayStub(env, 18).changes(cold.cursor);
    expect(entryOf(fromOld, 'feed-behind')?.version).toBe(2);
  });

  it('a cursor older than the retention resets, with every retained change', async () => {
    await createFlag({ id: 'feed-old', enabled: true });
    const old = await head();
    await api('POST', '/admin/flags/feed-old/rollout', { percentage: 5 });
    const clock = new TestClock(Date.now() + 601_000);
    await useClock(catalogStub(env) as unknown as DurableObjectStub, clock);
    await createFlag({ id: 'feed-new', enabled: true });
    const answer = await changes(old, { reader: 'late' });
    expect(answer.reset).toBe(true);
    expect(answer.changes.map((e) => e.id)).toEqual(['feed-new']);
    // A reader that was up to date before the drop is not reset.
    const current = await head();
    expect(await changes(current)).toMatchObject({ reset: false, changes: [] });
    await useClock(catalogStub(env) as unknown as DurableObjectStub, { now: () => Date.now() });
  });

  it('bad input is { ok: false } naming the field, never a throw', async () => {
    const cases: [unknown, unknown, string][] = [
      [-1, undefined, 'cursor'],
      [1.5, undefined, 'cursor'],
      ['3', undefined, 'cursor'],
      [undefined, undefined, 'cursor'],
      [0, { reader: '' }, 'options.reader'],
      [0, { reader: 'x'.repeat(65) }, 'options.reader'],
      [0, { reader: 7 }, 'options.reader'],
      [0, { other: true }, 'options'],
      [0, 'reader', 'options'],
    ];
    for (const [cursor, options, field] of cases) {
      const answer = (await coordinator().changes(cursor, options)) as Result<ChangesAnswer>;
      expect(answer).toMatchObject({ ok: false, status: 400, code: 'validation_failed' });
      if (!answer.ok) expect((answer.details as { path: string }[]).map((d) => d.path)).toContain(field);
    }
  });

  it('the per-data-centre cache shares one answer per cursor while it is fresh', async () => {
    await createFlag({ id: 'feed-cached', enabled: true });
    const cursor = await head();
    const cached = { ...env, CHANNEL_CACHE_MS: '60000' };
    const pending: Promise<unknown>[] = [];
    const first = await readChanges(cached, (p) => pending.push(p), cursor, 'cache-reader');
    await Promise.all(pending);
    await api('POST', '/admin/flags/feed-cached/kill', {});
    // Same cursor within the period: the cached answer (the bound counts this period in).
    const again = await readChanges(cached, (p) => pending.push(p), cursor, 'other-reader');
    expect(again).toEqual(first);
    // Without the cache the kill is there.
    expect(entryOf(await readChanges(env, () => undefined, cursor), 'feed-cached')?.version).toBe(2);
  });

  it('an isolate keeps the answers it got for the cache period, without asking the Cache API; past half of it one caller refreshes in the background', async () => {
    await createFlag({ id: 'feed-recent', enabled: true });
    const cursor = await head();
    const shortCache = { ...env, CHANNEL_CACHE_MS: '400' };
    const first = await readChanges(shortCache, () => undefined, cursor, 'recent-reader');
    const match = vi.spyOn(caches.default, 'match');
    try {
      await api('POST', '/admin/flags/feed-recent/kill', {});
      const refreshes: Promise<unknown>[] = [];
      const read = () => readChanges(shortCache, (p) => refreshes.push(p), cursor, 'other-reader');
      // Within half the period: the same answer, from memory.
      expect(await read()).toBe(first);
      expect(match).not.toHaveBeenCalled();
      expect(refreshes).toHaveLength(0);
      // Past half of it: still the held answer, and one refresh (the next caller starts none).
      await scheduler.wait(first.served_at + 250 - Date.now());
      expect(await read()).toBe(first);
      expect(await read()).toBe(first);
      expect(refreshes).toHaveLength(1);
      await Promise.all(refreshes);
      const refreshed = await read();
      expect(refreshed.served_at).toBeGreaterThan(first.served_at);
      expect(entryOf(refreshed, 'feed-recent')?.version).toBe(2);
    } finally {
      match.mockRestore();
    }
  });
});

describe('report and usage answers carry the flag state', () => {
  it('the snapshot comes when the caller saw an older version (or says none), not when it is current', async () => {
    await createFlag({ id: 'state-answers', enabled: true, rollout_percentage: 50 });
    await api('POST', '/admin/flags/state-answers/rollout', { percentage: 60 });
    const stale = await coordinator().report('state-answers', { successes: 1, seen_version: 1 });
    expect(stale).toMatchObject({ ok: true, value: { version: 2, enabled: true, snapshot: { version: 2, rollout_percentage: 60 } } });
    const none = await coordinator().report('state-answers', { successes: 1 });
    expect(none).toMatchObject({ ok: true, value: { snapshot: { version: 2 } } });
    const current = (await coordinator().report('state-answers', { successes: 1, seen_version: 2 })) as Result<object>;
    expect(current.ok && 'snapshot' in current.value).toBe(false);

    const usage = await coordinator().recordUsage('state-answers', { variants: { on: 3 }, last_at: Date.now(), seen_version: 1 });
    expect(usage).toMatchObject({ ok: true, value: { recorded: 3, version: 2, enabled: true, snapshot: { version: 2 } } });
    const usageCurrent = (await coordinator().recordUsage('state-answers', { variants: { on: 1 }, last_at: Date.now(), seen_version: 2 })) as Result<object>;
    expect(usageCurrent.ok && 'snapshot' in usageCurrent.value).toBe(false);
    expect(await coordinator().report('state-answers', { seen_version: -1 })).toMatchObject({ ok: false, details: [{ path: 'seen_version' }] });
  });

  it('the tripping report answers with the killed snapshot, and the kill is already in `changes`', async () => {
    await createFlag({ id: 'state-trip', enabled: true, rollout_percentage: 100, auto_kill: { max_failures: 3, window_seconds: 60 } });
    const cursor = await head();
    const tripped = await coordinator().report('state-trip', { failures: 3, seen_version: 1 });
    expect(tripped).toMatchObject({ ok: true, value: { tripped: true, enabled: false, version: 2, snapshot: { enabled: false, version: 2 } } });
    const answer = await changes(cursor, { reader: 'tripper' });
    expect(entryOf(answer, 'state-trip')).toMatchObject({ version: 2, snapshot: { enabled: false } });
  });

  it('over HTTP too', async () => {
    await createFlag({ id: 'state-http', enabled: true });
    const answer = await api('POST', '/v1/flags/state-http/failures', { successes: 2, seen_version: 0 });
    expect(answer.body).toMatchObject({ version: 1, enabled: true, snapshot: { id: 'state-http', version: 1 } });
  });
});
