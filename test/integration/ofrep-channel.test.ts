/**
 * OFREP on the change channel (issues 13 and 17): with the KV cache an hour long, a kill, a new flag
 * and an archive reach OFREP's single and bulk evaluation within the channel's 2 s bound, the bulk
 * ETag follows them, and an unchanged catalog still answers 304. The route is called with its
 * cache variable overridden (the suite's default reads KV on every request).
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { ofrepRouter } from '../../src/routes/ofrep';
import { api, bundleVersion, createFlag, TOKENS } from '../helpers/api';

const BOUND_MS = 2_000;
/**
 * About an hour: within a test nothing reaches OFREP through KV. Each test sets its own value,
 * which starts the isolate's OFREP state afresh (as a new deployment would), since the storage of
 * one test is not the next one's.
 */
let longCache = { ...env, FLAG_CACHE_TTL_SECONDS: '3600' };
beforeEach(() => {
  longCache = { ...env, FLAG_CACHE_TTL_SECONDS: String(Number(longCache.FLAG_CACHE_TTL_SECONDS) + 1) };
});

/** Background work (exposure flushes, channel checks) runs on; the test does not wait for it. */
const ctx = { waitUntil: (promise: Promise<unknown>) => void promise.catch(() => undefined), passThroughOnException: () => undefined } as unknown as ExecutionContext;

interface Answer {
  status: number;
  etag: string | null;
  body: any;
}

async function ofrep(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const request = new Request(`https://flags.test/ofrep/v1/evaluate/flags${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKENS.reporter}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
  });
  const response = await ofrepRouter.fetch(request, longCache, ctx);
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('ETag'), body: text ? JSON.parse(text) : null };
}

const bulkValue = (answer: Answer, key: string) => answer.body.flags.find((f: { key: string }) => f.key === key)?.value;

/** Asks every 50 ms until `seen` holds; the time from `since` it took (fails past the bound, with margin to report it). */
async function msUntil(since: number, seen: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await seen()) return Date.now() - since;
    if (Date.now() - since > BOUND_MS * 3) throw new Error('not seen within three times the bound');
    await scheduler.wait(50);
  }
}

describe('OFREP on the change channel, KV cached for an hour', () => {
  it('a kill, a new flag and an archive reach single and bulk evaluation within 2 s; the ETag follows; 304 while unchanged', async () => {
    await createFlag({ id: 'oc-kill', enabled: true, rollout_percentage: 100 });
    await createFlag({ id: 'oc-other', enabled: true, rollout_percentage: 100 });
    await bundleVersion('oc-other', 1);

    // Warm: the isolate has read KV (and will not again within the hour).
    expect((await ofrep('/oc-kill')).body).toMatchObject({ value: true, metadata: { version: 1 } });
    const before = await ofrep('');
    expect(before.status).toBe(200);
    expect(bulkValue(before, 'oc-kill')).toBe(true);
    expect(before.etag).toBeTruthy();
    const unchanged = await ofrep('', { 'If-None-Match': before.etag! });
    expect(unchanged).toMatchObject({ status: 304, etag: before.etag });

    // A kill, accepted when the admin's answer returns.
    expect((await api('POST', '/admin/flags/oc-kill/kill', { reason: 'ofrep channel test' })).status).toBe(200);
    const killedAt = Date.now();
    const single = await msUntil(killedAt, async () => (await ofrep('/oc-kill')).body.value === false);
    const bulk = await msUntil(killedAt, async () => bulkValue(await ofrep(''), 'oc-kill') === false);
    expect(single).toBeLessThanOrEqual(BOUND_MS);
    expect(bulk).toBeLessThanOrEqual(BOUND_MS);
    expect((await ofrep('/oc-kill')).body).toMatchObject({ value: false, reason: 'DISABLED', metadata: { version: 2 } });

    // The bulk ETag changed with the kill; the old one gets the new answer, the new one a 304.
    const afterKill = await ofrep('', { 'If-None-Match': before.etag! });
    expect(afterKill.status).toBe(200);
    expect(afterKill.etag).toBeTruthy();
    expect(afterKill.etag).not.toBe(before.etag);
    expect(bulkValue(afterKill, 'oc-kill')).toBe(false);
    expect(bulkValue(afterKill, 'oc-other')).toBe(true);
    expect((await ofrep('', { 'If-None-Match': afterKill.etag! })).status).toBe(304);

    // A flag created after the KV read is in the bulk answer (only the channel has it here).
    await createFlag({ id: 'oc-new', enabled: true, rollout_percentage: 100 });
    const createdAt = Date.now();
    expect(await msUntil(createdAt, async () => bulkValue(await ofrep(''), 'oc-new') === true)).toBeLessThanOrEqual(BOUND_MS);

    // An archived flag leaves single and bulk evaluation.
    expect((await api('DELETE', '/admin/flags/oc-other')).status).toBe(200);
    const archivedAt = Date.now();
    expect(await msUntil(archivedAt, async () => bulkValue(await ofrep(''), 'oc-other') === undefined)).toBeLessThanOrEqual(BOUND_MS);
    expect(await ofrep('/oc-other')).toMatchObject({ status: 404, body: { errorCode: 'FLAG_NOT_FOUND' } });
  });

  it('an isolate idle past the channel\'s freshness bound checks before it answers: the first answer after a change is current', async () => {
    await createFlag({ id: 'oc-idle', enabled: true, rollout_percentage: 100 });
    await bundleVersion('oc-idle', 1);
    expect((await ofrep('/oc-idle')).body.value).toBe(true);
    expect(bulkValue(await ofrep(''), 'oc-idle')).toBe(true);
    // Longer than the channel's maxAgeMs (1.5 s) without a request.
    await scheduler.wait(1_700);
    expect((await api('POST', '/admin/flags/oc-idle/kill', {})).status).toBe(200);
    expect((await ofrep('/oc-idle')).body).toMatchObject({ value: false, reason: 'DISABLED' });
    await scheduler.wait(1_700);
    expect((await api('POST', '/admin/flags/oc-idle/rollout', { percentage: 0 })).status).toBe(200);
    expect(bulkValue(await ofrep(''), 'oc-idle')).toBe(false);
  });
});
