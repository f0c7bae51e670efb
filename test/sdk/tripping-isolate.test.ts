/**
 * Issue 13, item 1, against the real coordinator: the isolate whose own failure report trips the
 * kill applies the answer's snapshot, so its next evaluation serves the off variant although its
 * KV cache (an hour here) still holds the old config and no change channel is configured.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FlagClient } from '../../src/sdk/client';
import { CountingKv } from '../support/kv-reader';
import { bundleWith, CountingReporter, createExecutionContext, createFlag, health, waitOnExecutionContext } from './helpers';

describe('the tripping isolate', () => {
  it('serves the off variant on its next evaluation after the tripping answer, with KV cached for an hour', async () => {
    const flag = await createFlag({ id: 'trip-here', enabled: true, rollout_percentage: 100, auto_kill: { max_failures: 3 } });
    await bundleWith({ 'trip-here': flag.version });
    const reporter = new CountingReporter();
    const kv = new CountingKv(env.FLAGS_KV);
    const client = new FlagClient({
      kv,
      environment: 'production',
      cacheTtlSeconds: 3_600,
      reporter,
      reporting: { failureIntervalMs: 0 },
    });
    expect(await client.evaluate('trip-here', { userId: 'u-0' })).toMatchObject({ value: true, version: 1 });

    for (let i = 1; i <= 3; i++) {
      const ctx = createExecutionContext();
      const served = await client.withFallback(ctx, 'trip-here', { userId: `u-${i}` }, {
        enabled: async () => {
          throw new Error('the new code path is broken');
        },
        fallback: async () => 'fallback',
      });
      expect(served).toBe('fallback');
      await waitOnExecutionContext(ctx);
    }
    // The coordinator killed the flag on the third report, and this isolate already knows it.
    kv.reset();
    expect(await health('trip-here')).toMatchObject({ enabled: false, version: 2 });
    expect(await client.evaluate('trip-here', { userId: 'u-0' })).toMatchObject({ value: false, variant: 'off', version: 2 });
    for (let i = 0; i < 50; i++) expect(await client.isEnabled('trip-here', { userId: `user-${i}` })).toBe(false);
    // The kill came in the report's answer, not from KV.
    expect(kv.reads.operations).toBe(0);
    expect(reporter.reportCallsFor('trip-here')).toBe(3);
  });
});
