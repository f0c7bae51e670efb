/**
 * Propagation receipts from a real FlagClient (issue 13): its usage flush to the real coordinator
 * carries its reader id, the versions it served and `seen_version`, and the flag's propagation
 * shows the reader moving to the killed version.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FlagClient } from '../../src/sdk/client';
import { admin, bundleWith, CountingReporter, createFlag, withContext } from './helpers';

describe('a FlagClient usage flush', () => {
  it('carries the propagation receipt, and the flag shows the reader moving to the new version', async () => {
    const flag = await createFlag({ id: 'receipt-sdk', enabled: true, rollout_percentage: 100 });
    await bundleWith({ 'receipt-sdk': flag.version });
    const reporter = new CountingReporter();
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', reporter, reporting: { flushIntervalMs: 0 } });

    const before = Date.now();
    await withContext(async (ctx) => {
      const flags = await client.forRequest(ctx, { userId: 'a' });
      expect(flags.isEnabled('receipt-sdk')).toBe(true);
      expect(flags.isEnabled('receipt-sdk')).toBe(true);
    });
    const first = reporter.usage.find((u) => u.flagId === 'receipt-sdk')!.usage;
    expect(first).toMatchObject({ reader: client.reader, seen_version: 1, served: [{ version: 1, count: 2 }] });
    expect(first.served![0]!.first_at).toBeGreaterThanOrEqual(before);
    expect(first.served![0]!.last_at).toBeGreaterThanOrEqual(first.served![0]!.first_at);
    const start = await admin('GET', '/admin/flags/receipt-sdk/propagation');
    expect(start.body.readers).toEqual([expect.objectContaining({ reader: client.reader, version: 1 })]);

    const killed = await admin('POST', '/admin/flags/receipt-sdk/kill', { reason: 'receipt test' });
    expect(killed.status).toBe(200);
    // The next flush (still version 1: KV is cached) learns the kill from its answer…
    await withContext(async (ctx) => {
      expect((await client.forRequest(ctx, { userId: 'b' })).isEnabled('receipt-sdk')).toBe(true);
    });
    expect((await admin('GET', '/admin/flags/receipt-sdk/propagation')).body).toMatchObject({ version: 2, confirmed_at: null, stale_readers: 1 });
    // …and the one after serves version 2 and says so.
    const switched = Date.now();
    await withContext(async (ctx) => {
      expect((await client.forRequest(ctx, { userId: 'c' })).isEnabled('receipt-sdk')).toBe(false);
    });
    const last = reporter.usage.filter((u) => u.flagId === 'receipt-sdk').at(-1)!.usage;
    expect(last).toMatchObject({ reader: client.reader, seen_version: 2, served: [{ version: 2, count: 1 }] });
    const done = (await admin('GET', '/admin/flags/receipt-sdk/propagation')).body;
    expect(done).toMatchObject({ version: 2, stale_readers: 0, readers: [{ reader: client.reader, version: 2 }] });
    expect(done.readers[0].last_stale_at).not.toBeNull();
    expect(Date.parse(done.confirmed_at)).toBeGreaterThanOrEqual(switched);
    expect(Date.parse(done.confirmed_at)).toBe(last.served![0]!.first_at);
  });
});
