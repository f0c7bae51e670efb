/**
 * The bundle cache's logic against a fake source and a fake clock: reads per time-to-live, shared
 * reads, failures, stepping back, slow and abandoned reads. No real waiting: time moves by hand.
 */
import { describe, expect, it } from 'vitest';
import { BundleCache } from '../../src/sdk/bundle-cache';
import { FakeClock, settle } from '../support/fake-clock';
import { bundleOf, FakeSource, snapshot } from './fakes';

const V1 = bundleOf([snapshot({ id: 'a' })], '2026-01-01T00:00:01.000Z');
const V2 = bundleOf([snapshot({ id: 'a', version: 2 })], '2026-01-01T00:00:02.000Z');

function setup(bundle = V1, loadTimeoutMs = 2_000) {
  const clock = new FakeClock();
  const source = new FakeSource(bundle);
  const cache = new BundleCache(source, 5_000, clock.now, { loadTimeoutMs, clock });
  return { clock, source, cache };
}

describe('BundleCache', () => {
  it('reads once per time-to-live, and concurrent callers share the read', async () => {
    const { clock, source, cache } = setup();
    source.hold();
    const callers = Array.from({ length: 50 }, () => cache.get());
    source.release();
    expect(new Set(await Promise.all(callers))).toEqual(new Set([V1]));
    expect(source.reads).toBe(1);
    await clock.advance(4_999);
    await cache.get();
    expect(source.reads).toBe(1);
    source.bundle = V2;
    await clock.advance(1);
    expect(await cache.get()).toBe(V2);
    expect(source.reads).toBe(2);
    expect(clock.pending).toBe(0); // the wait timers were cleared
  });

  it('keeps the last good bundle when a read fails, and waits a full period before retrying', async () => {
    const { clock, source, cache } = setup();
    await cache.get();
    source.fail = true;
    await clock.advance(5_000);
    expect(await cache.get()).toBe(V1);
    expect(cache.stats).toMatchObject({ reads: 2, failures: 1 });
    await clock.advance(4_000);
    expect(await cache.get()).toBe(V1);
    expect(source.reads).toBe(2);
    source.fail = false;
    source.bundle = V2;
    await clock.advance(1_000);
    expect(await cache.get()).toBe(V2);
  });

  it('answers null (every flag off) when there has never been a bundle', async () => {
    const { source, cache } = setup(V1);
    source.bundle = null;
    expect(await cache.get()).toBeNull();
    source.fail = true;
    cache.invalidate();
    expect(await cache.get()).toBeNull();
    expect(cache.peek()).toBeNull();
  });

  it('never steps back to an older bundle', async () => {
    const { clock, source, cache } = setup(V2);
    await cache.get();
    source.bundle = V1;
    await clock.advance(5_000);
    expect(await cache.get()).toBe(V2);
  });

  it('answers from memory when a read is slow, and takes its bundle when it arrives', async () => {
    const { clock, source, cache } = setup(V1, 2_000);
    await cache.get();
    source.hold(); // the next read hangs
    await clock.advance(5_000);
    let answered: unknown = 'waiting';
    void cache.get().then((bundle) => (answered = bundle));
    await clock.advance(1_999);
    expect(answered).toBe('waiting');
    await clock.advance(1);
    expect(answered).toBe(V1);
    expect(cache.stats.timeouts).toBe(1);
    expect(source.reads).toBe(2);
    // The read settles later: its bundle is taken, and the next period reads again.
    source.bundle = V2;
    source.release();
    await settle();
    expect(cache.peek()).toBe(V2);
  });

  it('starts a fresh read after an abandoned one instead of waiting on it forever', async () => {
    const { clock, source, cache } = setup(V1, 2_000);
    source.hold();
    const first = cache.get();
    await clock.advance(2_000);
    expect(await first).toBeNull();
    expect(source.reads).toBe(1);
    // Still hung; a caller after the timeout does not join it.
    const second = cache.get();
    await settle();
    expect(source.reads).toBe(2);
    source.release();
    expect(await second).toBe(V1);
  });

  it('reads again after invalidate, keeping the bundle in memory meanwhile', async () => {
    const { source, cache } = setup();
    await cache.get();
    cache.invalidate();
    source.hold();
    const reading = cache.get();
    expect(cache.peek()).toBe(V1);
    source.release();
    await reading;
    expect(source.reads).toBe(2);
  });
});
