/**
 * The change channel end to end (issue 13): SDK clients with caches of their own, behind a KV
 * stand-in that makes writes visible only after 60 s, against the real coordinator (catalog feed,
 * relays, `changes` over RPC). Time is simulated: every client evaluates every 100 ms of the fake
 * clock, and each tick lets the RPC work it started finish, so staleness is measured in simulated
 * time (an RPC costs at most one tick), never against the machine's wall clock.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { FlagBundle } from '../../src/flags/model';
import type { SnapshotSource } from '../../src/sdk/bundle-cache';
import { FlagClient } from '../../src/sdk/client';
import type { ChangesBinding } from '../../src/sdk/change-channel';
import { FakeClock } from './fakes';
import { admin, bundleWith, createFlag } from './helpers';

const KV_LAG_MS = 60_000;
const TICK_MS = 100;

/** Reads the real KV bundle, but hands out only what was there at least 60 s ago (of the fake clock). */
class LaggingKv implements SnapshotSource {
  private readonly seen: { at: number; bundle: FlagBundle | null }[] = [];
  constructor(private readonly clock: FakeClock) {}

  async load(): Promise<FlagBundle | null> {
    const bundle = await env.FLAGS_KV.get<FlagBundle>('flags:bundle', 'json');
    if (this.seen.length === 0 || JSON.stringify(this.seen.at(-1)!.bundle) !== JSON.stringify(bundle)) this.seen.push({ at: this.clock.ms, bundle });
    const visible = this.seen.filter((s) => s.at <= this.clock.ms - KV_LAG_MS).at(-1) ?? this.seen[0]!;
    return visible.bundle;
  }
}

/** The coordinator's RPC entrypoint as the channel's binding; or one whose every call fails. */
function channelOnly(failing = false): ChangesBinding {
  return {
    changes: async (cursor, options) => {
      if (failing) throw new Error('channel down');
      return exports.FlagCoordinator.changes(cursor, options);
    },
  };
}

interface Held {
  held: Promise<unknown>[];
  waitUntil(promise: Promise<unknown>): void;
}
const ctxOf = (): Held => {
  const ctx: Held = { held: [], waitUntil: (p) => void ctx.held.push(p.catch(() => undefined)) };
  return ctx;
};

async function evaluate(client: FlagClient, flag: string, user: string): Promise<boolean> {
  const ctx = ctxOf();
  const answer = (await client.forRequest(ctx, { userId: user })).isEnabled(flag);
  // The background check (if one was due) finishes after the answer, within this tick.
  await Promise.all(ctx.held);
  return answer;
}

describe('the change channel', () => {
  it('100 clients: after a kill and a rollout change, the last stale evaluation is within 2 s; an idle client is not stale; a failing channel degrades to KV', async () => {
    const kill = await createFlag({ id: 'sim-kill', enabled: true, rollout_percentage: 100 });
    const rollout = await createFlag({ id: 'sim-rollout', enabled: true, rollout_percentage: 0 });
    await bundleWith({ 'sim-kill': kill.version, 'sim-rollout': rollout.version });

    const clock = new FakeClock();
    const make = (binding: ChangesBinding) => new FlagClient({ source: new LaggingKv(clock), environment: 'production', changes: binding, clock });
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
    expect((await admin('POST', '/admin/flags/sim-kill/kill', { reason: 'simulation' })).status).toBe(200);
    expect((await admin('POST', '/admin/flags/sim-rollout/rollout', { percentage: 100 })).status).toBe(200);
    const acceptedAt = clock.ms;

    const lastStale = { kill: new Array<number>(100).fill(-Infinity), rollout: new Array<number>(100).fill(-Infinity) };
    for (let t = 0; t < 50; t++) {
      await Promise.all(
        clients.map(async (c, i) => {
          if (await evaluate(c, 'sim-kill', `user-${i}`)) lastStale.kill[i] = clock.ms;
          if (!(await evaluate(c, 'sim-rollout', `user-${i}`))) lastStale.rollout[i] = clock.ms;
        }),
      );
      await clock.advance(TICK_MS);
    }
    const worst = (times: number[]) => Math.max(...times.map((at) => (at === -Infinity ? 0 : at - acceptedAt)));
    expect(worst(lastStale.kill)).toBeLessThanOrEqual(2_000);
    expect(worst(lastStale.rollout)).toBeLessThanOrEqual(2_000);
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
});
