/**
 * The change channel end to end (issue 13): SDK clients with caches of their own, behind a KV
 * stand-in that makes writes visible only after 60 s (test/support/channel-sim.ts), against the
 * real coordinator (catalog feed, relays, `changes` over RPC); and clients without a channel, which
 * get the same change from KV only. Time is simulated: every client evaluates every 100 ms of the
 * fake clock, and each tick lets the RPC work it started finish, so staleness is measured in
 * simulated time (an RPC costs at most one tick), never against the machine's wall clock.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FlagClient } from '../../src/sdk/client';
import type { ChangesBinding } from '../../src/sdk/change-channel';
import { evaluateOnce, KV_LAG_MS, LaggingKv, StaleTimes } from '../support/channel-sim';
import { FakeClock } from '../support/fake-clock';
import { admin, bundleWith, createFlag } from './helpers';

const TICK_MS = 100;

/** The coordinator's RPC entrypoint as the channel's binding; or one whose every call fails. */
function channelOnly(failing = false): ChangesBinding {
  return {
    changes: async (cursor, options) => {
      if (failing) throw new Error('channel down');
      return exports.FlagCoordinator.changes(cursor, options);
    },
  };
}

describe('the change channel', () => {
  it('100 clients: after a kill and a rollout change, the last stale evaluation is within 2 s; an idle client is not stale; a failing channel degrades to KV', async () => {
    const kill = await createFlag({ id: 'sim-kill', enabled: true, rollout_percentage: 100 });
    const rollout = await createFlag({ id: 'sim-rollout', enabled: true, rollout_percentage: 0 });
    await bundleWith({ 'sim-kill': kill.version, 'sim-rollout': rollout.version });

    const clock = new FakeClock();
    const kv = new LaggingKv(env.FLAGS_KV, clock.now);
    const make = (binding: ChangesBinding) => new FlagClient({ source: kv, environment: 'production', changes: binding, clock });
    const evaluate = async (client: FlagClient, flagId: string, userId: string) => (await evaluateOnce(client, flagId, userId, clock.now)).on;
    const clients = Array.from({ length: 100 }, () => make(channelOnly()));
    const idle = make(channelOnly());
    const cut = make(channelOnly(true));

    // Warm up: every client has read KV and confirmed a check; the idle one evaluates once, then sleeps.
    expect(await evaluate(idle, 'sim-kill', 'idle-user')).toBe(true);
    expect(await evaluate(cut, 'sim-kill', 'cut-user')).toBe(true);
    // Clients start over ten ticks, so their checks do not all fall on the same tick.
    for (let t = 0; t < 30; t++) {
      await Promise.all(clients.map((c, i) => (t >= i % 10 ? evaluate(c, 'sim-kill', `user-${i}`) : undefined)));
      await clock.advance(TICK_MS);
    }
    // Five minutes pass for the idle client (the others keep their confirmation by evaluating).
    await clock.advance(5 * 60_000);
    for (let t = 0; t < 25; t++) {
      await Promise.all(clients.map((c, i) => (t >= i % 10 ? evaluate(c, 'sim-kill', `user-${i}`) : undefined)));
      await clock.advance(TICK_MS);
    }

    // The changes: a kill, and the rollout from 0 % to 100 %; accepted when the admin's answer returns.
    // KV is not read again here: for these 5 s it shows neither change.
    expect((await admin('POST', '/admin/flags/sim-kill/kill', { reason: 'simulation' })).status).toBe(200);
    expect((await admin('POST', '/admin/flags/sim-rollout/rollout', { percentage: 100 })).status).toBe(200);
    const stale = { kill: new StaleTimes(100, clock.ms), rollout: new StaleTimes(100, clock.ms) };
    for (let t = 0; t < 50; t++) {
      await Promise.all(
        clients.map(async (c, i) => {
          stale.kill.note(i, clock.ms, await evaluate(c, 'sim-kill', `user-${i}`));
          stale.rollout.note(i, clock.ms, !(await evaluate(c, 'sim-rollout', `user-${i}`)));
        }),
      );
      await clock.advance(TICK_MS);
    }
    expect(stale.kill.worst).toBeLessThanOrEqual(2_000);
    expect(stale.rollout.worst).toBeLessThanOrEqual(2_000);
    for (const c of clients) expect(c.channel!.stats.degraded).toBe(false);

    // The idle client's first evaluation after five minutes and the kill serves off.
    expect(await evaluate(idle, 'sim-kill', 'idle-user')).toBe(false);
    expect(idle.channel!.stats.waits).toBeGreaterThanOrEqual(1);

    // A client whose channel fails serves KV's (old) config, counts it, and never throws.
    for (let t = 0; t < 5; t++) {
      expect(await evaluate(cut, 'sim-kill', 'cut-user')).toBe(true);
      await clock.advance(1_000);
    }
    expect(cut.channel!.stats).toMatchObject({ degraded: true, applied: 0 });
    expect(cut.channel!.stats.failures).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('without a channel, clients serve a kill once KV shows it: after its lag, and within the lag plus one cache period', async () => {
    const flag = await createFlag({ id: 'sim-kv-only', enabled: true, rollout_percentage: 100 });
    await bundleWith({ 'sim-kv-only': flag.version });
    const clock = new FakeClock();
    const kv = new LaggingKv(env.FLAGS_KV, clock.now);
    await kv.record();
    const ttlSeconds = 30;
    const clients = Array.from({ length: 10 }, () => new FlagClient({ source: kv, environment: 'production', cacheTtlSeconds: ttlSeconds, clock }));
    const evaluate = (i: number) => evaluateOnce(clients[i]!, 'sim-kv-only', `user-${i}`, clock.now);

    // Clients start 3 s apart, so their cache periods end at different times.
    for (let t = 0; t < 300; t++) {
      await Promise.all(clients.map((_, i) => (t >= i * 30 ? evaluate(i) : undefined)));
      await clock.advance(TICK_MS);
    }
    const killed = await admin('POST', '/admin/flags/sim-kv-only/kill', { reason: 'kv only' });
    expect(killed.status).toBe(200);
    const stale = new StaleTimes(clients.length, clock.ms);
    // The KV write, seen by other locations from now on plus the lag.
    await bundleWith({ 'sim-kv-only': killed.body.flag.version });
    await kv.record();

    let last: boolean[] = [];
    for (let t = 0; t < (KV_LAG_MS + ttlSeconds * 1000) / TICK_MS + 20; t++) {
      last = await Promise.all(
        clients.map(async (_, i) => {
          const { on, at } = await evaluate(i);
          stale.note(i, at, on);
          return on;
        }),
      );
      await clock.advance(TICK_MS);
    }
    expect(last).toEqual(clients.map(() => false));
    for (const ms of stale.perReader) expect(ms).toBeGreaterThanOrEqual(KV_LAG_MS - TICK_MS);
    expect(stale.worst).toBeLessThanOrEqual(KV_LAG_MS + ttlSeconds * 1000);
    // One KV read per client per cache period, never more.
    expect(kv.reads).toBeLessThanOrEqual(clients.length * Math.ceil((30_000 + KV_LAG_MS + ttlSeconds * 1000) / (ttlSeconds * 1000) + 1));
  }, 120_000);
});
