/**
 * The change channel and overlay against fakes with a fake clock: the overlay wins by version over
 * the KV bundle, checks are spaced by the interval and run through `ctx.waitUntil`, an evaluation
 * waits (bounded) only when the last confirmation is too old, a failing channel degrades to KV and
 * is counted, and snapshots of report answers are applied before the next evaluation.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeEntry, ChangesAnswer } from '../../src/flags/model';
import { FlagClient } from '../../src/sdk/client';
import type { FlagReporterBinding } from '../../src/sdk/reporter';
import { FakeClock, settle } from '../support/fake-clock';
import { bundleOf, FakeSource, snapshot } from './fakes';

const ON = snapshot({ id: 'chat', version: 1 });
const KILLED = snapshot({ id: 'chat', version: 2, enabled: false });

/** A feed the test writes to; `fail` makes `changes` throw, `hold` keeps answers pending. */
class FakeFeed {
  entries: ChangeEntry[] = [];
  calls: { cursor: number; reader?: string }[] = [];
  fail = false;
  reset = false;
  hold = false;

  changes = async (cursor: number, options?: { reader?: string }): Promise<unknown> => {
    this.calls.push({ cursor, reader: options?.reader });
    if (this.hold) await new Promise(() => {});
    if (this.fail) throw new Error('relay down');
    const changes = this.entries.filter((e) => e.seq > cursor);
    const answer: ChangesAnswer = { cursor: Math.max(cursor, ...this.entries.map((e) => e.seq)), reset: this.reset, served_at: 0, changes };
    return { ok: true, value: answer };
  };

  kill(seq = 1): void {
    this.entries.push({ kind: 'flag', id: 'chat', version: 2, seq, changed_at: 0, snapshot: KILLED });
  }
}

class Ctx {
  promises: Promise<unknown>[] = [];
  waitUntil(promise: Promise<unknown>): void {
    this.promises.push(promise);
  }
}

function setup(options: { cacheTtlSeconds?: number } = {}) {
  const clock = new FakeClock();
  const source = new FakeSource(bundleOf([ON]));
  const feed = new FakeFeed();
  const client = new FlagClient({ source, environment: 'production', clock, changes: feed, cacheTtlSeconds: options.cacheTtlSeconds ?? 30 });
  const evaluate = async (ctx = new Ctx()) => (await client.forRequest(ctx, { userId: 'u' })).evaluate('chat');
  return { clock, source, feed, client, evaluate };
}

describe('ChangeChannel', () => {
  it('applies a feed entry over the KV bundle within the interval, and KV catching up changes nothing', async () => {
    const { clock, source, feed, client, evaluate } = setup();
    expect((await evaluate()).value).toBe(true);
    feed.kill();
    await clock.advance(1_000);
    await evaluate(); // starts the background check
    await settle();
    const after = await evaluate();
    expect(after).toMatchObject({ value: false, version: 2, reason: 'DISABLED' });
    expect(feed.calls.every((c) => c.reader === client.reader)).toBe(true);
    expect(feed.calls.map((c) => c.cursor)).toEqual([0, 0]);
    // KV still at version 1 at its next read: the overlay wins by version.
    await clock.advance(30_000);
    expect((await evaluate()).value).toBe(false);
    expect(source.reads).toBe(2);
    // A newer KV version wins over the overlay.
    source.bundle = bundleOf([snapshot({ id: 'chat', version: 3 })], '2026-01-01T00:01:00.000Z');
    await clock.advance(30_000);
    expect(await evaluate()).toMatchObject({ value: true, version: 3 });
  });

  it('checks at most once per interval, in the background through ctx.waitUntil', async () => {
    const { clock, feed, evaluate } = setup();
    const ctx = new Ctx();
    for (let i = 0; i < 20; i++) {
      await evaluate(ctx);
      await clock.advance(100);
    }
    expect(feed.calls).toHaveLength(2); // at 0 and at 1,000 ms of 2,000
    expect(ctx.promises).toHaveLength(2);
  });

  it('an isolate idle past maxAge waits for a check (bounded) and does not serve the old config', async () => {
    const { clock, feed, client, evaluate } = setup();
    await evaluate();
    await settle();
    await clock.advance(5 * 60_000);
    feed.kill(7);
    expect((await evaluate()).value).toBe(false);
    expect(client.channel!.stats.waits).toBe(2); // the isolate's first evaluation waited too
    // A check that hangs holds the evaluation at most waitMs (300 ms), then KV answers.
    await clock.advance(5 * 60_000);
    feed.hold = true;
    let answered = false;
    const pending = evaluate().then((e) => ((answered = true), e));
    await clock.advance(299);
    expect(answered).toBe(false);
    await clock.advance(1);
    expect((await pending).version).toBe(2);
  });

  it('a failing channel serves KV, is counted as degraded, and never throws', async () => {
    const { clock, source, feed, client, evaluate } = setup({ cacheTtlSeconds: 5 });
    feed.fail = true;
    for (let i = 0; i < 30; i++) {
      expect((await evaluate()).value).toBe(true);
      await clock.advance(100);
    }
    const stats = client.channel!.stats;
    expect(stats).toMatchObject({ checks: 3, failures: 3, degraded: true, last_confirmed_at: null });
    source.bundle = bundleOf([KILLED], '2026-01-01T00:00:09.000Z');
    await clock.advance(5_000);
    await evaluate();
    expect((await evaluate()).value).toBe(false); // KV freshness
    feed.fail = false;
    await clock.advance(1_000);
    await evaluate();
    await settle();
    expect(stats.degraded).toBe(false);
    expect(stats.last_confirmed_at).toBe(clock.ms - 0);
  });

  it('a reset answer reloads the bulk source', async () => {
    const { clock, source, feed, client, evaluate } = setup();
    await evaluate();
    await settle();
    feed.reset = true;
    await clock.advance(1_000);
    await evaluate();
    await settle();
    expect(client.channel!.stats.resets).toBe(1);
    await evaluate();
    expect(source.reads).toBe(2);
  });

  it('segment entries win by version too', async () => {
    const clock = new FakeClock();
    const rule = { conditions: [{ attribute: 'segment', op: 'in_segment', values: ['staff'] }], serve: { variant: 'on' } };
    const flag = snapshot({ id: 'chat', rollout_percentage: 0, rules: [rule] as never });
    const source = new FakeSource(bundleOf([flag], undefined, { staff: { id: 'staff', version: 1, conditions: [{ attribute: 'tenantId', op: 'in', values: ['a'] }] } } as never));
    const feed = new FakeFeed();
    const client = new FlagClient({ source, environment: 'production', clock, changes: feed, cacheTtlSeconds: 30 });
    const check = async () => (await client.forRequest(new Ctx(), { userId: 'u', tenantId: 'b' })).isEnabled('chat');
    expect(await check()).toBe(false);
    feed.entries.push({ kind: 'segment', id: 'staff', version: 2, seq: 1, changed_at: 0, snapshot: { id: 'staff', version: 2, conditions: [{ attribute: 'tenantId', op: 'in', values: ['b'] }] } as never });
    await clock.advance(1_000);
    await check();
    await settle();
    expect(await check()).toBe(true);
  });
});

describe('report answers', () => {
  it('the snapshot of a report answer is applied before the next evaluation', async () => {
    const clock = new FakeClock();
    const source = new FakeSource(bundleOf([ON]));
    const binding: FlagReporterBinding = {
      report: async () => ({ ok: true, value: { version: 2, enabled: false, snapshot: KILLED, failures: 1, successes: 0, tripped: true } }),
      recordUsage: async () => ({ ok: true, value: { recorded: 1, version: 1, enabled: true } }),
    };
    const client = new FlagClient({ source, environment: 'production', clock, reporter: binding, cacheTtlSeconds: 30 });
    const ctx = new Ctx();
    const served = await client.withFallback(ctx, 'chat', { userId: 'u' }, {
      enabled: () => {
        throw new Error('boom');
      },
      fallback: (e) => e.value,
    });
    expect(served).toBe(true);
    await clock.advance(200);
    await Promise.all(ctx.promises);
    expect(await client.evaluate('chat', { userId: 'u' })).toMatchObject({ value: false, version: 2 });
  });
});
