/**
 * Propagation receipts (issue 13): readers' usage flushes say which versions they served, and
 * `GET /admin/flags/:id/propagation` says when the current version reached all live readers.
 * The flag object runs on a test clock, so readers age out without sleeping.
 */
import { describe, expect, it } from 'vitest';
import { READER_MAX_AGE_MS } from '../../src/flags/propagation';
import { api, bundleVersion, createFlag, TOKENS, waitFor } from '../helpers/api';
import { TestClock, useClock } from '../helpers/clock';
import { flagObject } from '../helpers/stubs';

const served = (version: number, first_at: number, last_at = first_at, count = 1) => ({ version, count, first_at, last_at });

function usage(flagId: string, reader: string, entries: ReturnType<typeof served>[], extra: Record<string, unknown> = {}) {
  const last_at = Math.max(...entries.map((e) => e.last_at));
  return api('POST', `/v1/flags/${flagId}/usage`, { variants: { on: 1 }, last_at, reader, served: entries, ...extra }, { token: TOKENS.reporter });
}

const propagation = (flagId: string, token?: string | null) => api('GET', `/admin/flags/${flagId}/propagation`, undefined, token === undefined ? {} : { token });

describe('propagation receipts', () => {
  it('two readers, one lagging: confirmed only when the lagging one reports the new version, at its switch time', async () => {
    const clock = new TestClock();
    await useClock(flagObject('receipts'), clock);
    await createFlag({ id: 'receipts', enabled: true, rollout_percentage: 100 });
    const t0 = clock.now();
    clock.advance(1_000);
    expect((await usage('receipts', 'fast', [served(1, t0, t0 + 900)])).status).toBe(200);
    expect((await usage('receipts', 'slow', [served(1, t0, t0 + 900)])).status).toBe(200);
    const before = await propagation('receipts');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ version: 1, stale_readers: 0, confirmed_at: new Date(t0).toISOString() });

    clock.advance(1_000);
    const killed = await api('POST', '/admin/flags/receipts/kill', { reason: 'receipts test' });
    expect(killed.status).toBe(200);
    const changedAt = clock.now();
    expect(killed.body.flag.updated_at).toBe(new Date(changedAt).toISOString());

    // The fast reader switches 300 ms after the kill; the slow one still serves version 1.
    clock.advance(1_000);
    const answer = await usage('receipts', 'fast', [served(1, changedAt + 50, changedAt + 200), served(2, changedAt + 300, changedAt + 900)], { seen_version: 2 });
    expect(answer.body).toMatchObject({ version: 2, enabled: false });
    expect(answer.body.snapshot).toBeUndefined(); // the caller holds version 2 already
    await usage('receipts', 'slow', [served(1, changedAt + 10, changedAt + 950)]);
    const lagging = await propagation('receipts');
    expect(lagging.body).toMatchObject({ version: 2, changed_at: new Date(changedAt).toISOString(), confirmed_at: null, stale_readers: 1 });
    expect(lagging.body.readers).toEqual([
      { reader: 'slow', version: 1, last_seen_at: new Date(clock.now()).toISOString(), last_stale_at: new Date(changedAt + 950).toISOString() },
      { reader: 'fast', version: 2, last_seen_at: new Date(clock.now()).toISOString(), last_stale_at: new Date(changedAt + 200).toISOString() },
    ]);

    // The slow reader's next flush: it switched 1.4 s after the kill.
    clock.advance(1_000);
    await usage('receipts', 'slow', [served(1, changedAt + 1_000, changedAt + 1_300), served(2, changedAt + 1_400, changedAt + 1_900)]);
    const confirmed = await propagation('receipts');
    expect(confirmed.body).toMatchObject({ confirmed_at: new Date(changedAt + 1_400).toISOString(), stale_readers: 0 });
    expect(confirmed.body.readers.map((r: any) => [r.reader, r.version])).toEqual([
      ['slow', 2],
      ['fast', 2],
    ]);
  });

  it('a reader silent for longer than the age drops out, and the lagging one no longer holds the confirmation', async () => {
    const clock = new TestClock();
    await useClock(flagObject('receipts-age'), clock);
    await createFlag({ id: 'receipts-age', enabled: true, rollout_percentage: 100 });
    const t0 = clock.now();
    await usage('receipts-age', 'idle', [served(1, t0)]);
    clock.advance(1_000);
    await api('POST', '/admin/flags/receipts-age/kill', {});
    const changedAt = clock.now();
    clock.advance(2_000);
    await usage('receipts-age', 'busy', [served(1, changedAt - 500, changedAt + 100), served(2, changedAt + 200, changedAt + 1_500)]);
    expect((await propagation('receipts-age')).body).toMatchObject({ confirmed_at: null, stale_readers: 1 });

    clock.advance(READER_MAX_AGE_MS - 3_000); // idle was last heard from exactly the age ago
    const aged = await propagation('receipts-age');
    expect(aged.body.readers.map((r: any) => r.reader)).toEqual(['busy']);
    expect(aged.body).toMatchObject({ confirmed_at: new Date(changedAt + 200).toISOString(), stale_readers: 0 });
    // Pruned, not only hidden: reporting again makes it a new reader (no memory of version 1).
    await usage('receipts-age', 'idle', [served(2, clock.now())]);
    const back = await propagation('receipts-age');
    expect(back.body.readers.map((r: any) => [r.reader, r.version])).toEqual([
      ['idle', 2],
      ['busy', 2],
    ]);
    expect(back.body.confirmed_at).toBe(new Date(changedAt + 200).toISOString());
  });

  it('no readers yet: not confirmed, no readers', async () => {
    await createFlag({ id: 'receipts-none', enabled: true });
    const answer = await propagation('receipts-none');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ version: 1, confirmed_at: null, stale_readers: 0, readers: [] });
    expect((await propagation('receipts-missing')).status).toBe(404);
  });

  it('bad receipts are 400s naming the field, and store nothing', async () => {
    await createFlag({ id: 'receipts-bad', enabled: true });
    const now = Date.now();
    const cases: [unknown, string][] = [
      [{ variants: {}, last_at: now, served: [served(1, now)] }, 'reader'],
      [{ variants: {}, last_at: now, reader: '', served: [served(1, now)] }, 'reader'],
      [{ variants: {}, last_at: now, reader: 'x'.repeat(65), served: [served(1, now)] }, 'reader'],
      [{ variants: {}, last_at: now, reader: 'r', served: Array.from({ length: 21 }, (_, i) => served(i + 1, now)) }, 'served'],
      [{ variants: {}, last_at: now, reader: 'r', served: [served(0, now)] }, 'served.0.version'],
      [{ variants: {}, last_at: now, reader: 'r', served: [served(1, now, now - 1)] }, 'served.0.first_at'],
      [{ variants: {}, last_at: now, reader: 'r', served: [{ ...served(1, now), extra: 1 }] }, 'served.0'],
      [{ variants: {}, last_at: now, reader: 'r', served: [{ version: 1, first_at: now, last_at: now }] }, 'served.0.count'],
    ];
    for (const [body, path] of cases) {
      const answer = await api('POST', '/v1/flags/receipts-bad/usage', body, { token: TOKENS.reporter });
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error.details.map((d: any) => d.path)).toContain(path);
    }
    expect((await propagation('receipts-bad')).body.readers).toEqual([]);
  });

  it('an isolate serving OFREP is a reader too', async () => {
    await createFlag({ id: 'receipts-ofrep', enabled: true, rollout_percentage: 100 });
    await bundleVersion('receipts-ofrep', 1);
    const evaluated = await api('POST', '/ofrep/v1/evaluate/flags/receipts-ofrep', { context: { targetingKey: 'u1' } }, { token: TOKENS.reporter });
    expect(evaluated.body).toMatchObject({ value: true, metadata: { version: 1 } });
    // Usage-only batches leave an isolate at most every 5 s.
    const answer = await waitFor(async () => {
      const p = await propagation('receipts-ofrep');
      return p.body.readers.length > 0 ? p.body : undefined;
    }, 12_000, 'an OFREP receipt');
    expect(answer.readers).toEqual([expect.objectContaining({ version: 1, last_stale_at: null })]);
    expect(answer.readers[0].reader).toMatch(/^[0-9a-f]{24}$/);
  });

  it('the endpoint needs a token with flags:read', async () => {
    await createFlag({ id: 'receipts-auth', enabled: true });
    expect((await propagation('receipts-auth', null)).status).toBe(401);
    expect((await propagation('receipts-auth', TOKENS.reporter)).status).toBe(403);
    expect((await propagation('receipts-auth', TOKENS.viewer)).status).toBe(200);
  });
});
