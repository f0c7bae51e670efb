/**
 * 10. The change channel (issue 13): how long after a kill readers still serve the killed config,
 * and what the channel costs.
 *
 * - Kill → last stale evaluation across 100 readers, each an SDK client with a cache of its own,
 *   behind one KV that shows a write only 60 s after it was made (test/support/channel-sim.ts):
 *   - with the channel: in real time, against the coordinator as configured (catalog feed, its
 *     relays, the per-data-centre cache), every reader evaluating every 100 ms;
 *   - KV only (no channel): the same readers in simulated time (a fake clock), so the minute of lag
 *     is not waited out. The KV write is stamped at the kill's answer: the best case for KV.
 * - Channel requests per reader per minute, counted by the readers' own channel stats.
 * - Requests per second on one relay at 1,000 readers, counted inside the relay objects: all 1,000
 *   readers on one relay without the cache, and the configured layout (4 relays, cache on).
 */
import { readChanges } from '../../../src/channel';
import { relayCount } from '../../../src/do/stubs';
import type { Env } from '../../../src/env';
import { FlagClient } from '../../../src/sdk/client';
import type { ChangesBinding } from '../../../src/sdk/change-channel';
import { evaluateOnce, KV_LAG_MS, LaggingKv, StaleTimes } from '../../../test/support/channel-sim';
import { FakeClock } from '../../../test/support/fake-clock';
import { api, benchEnv, check, coordinator, createFlag, percentile, relayStub, round, sleep, stats, waitForBundleVersion } from '../helpers';

const TICK_MS = 100;
const READERS = 100;
const LOAD_READERS = 1_000;
/** The SDK's default KV cache period (FLAG_CACHE_TTL_SECONDS is the coordinator's own). */
const KV_CACHE_SECONDS = 30;

const realNow = () => Date.now();

/** Runs `step` once per `tickMs` of the machine's clock for `durationMs` (a slow step delays the next). */
async function paced(durationMs: number, tickMs: number, step: (tick: number) => Promise<void>): Promise<number> {
  const start = Date.now();
  let tick = 0;
  while (Date.now() - start < durationMs) {
    await step(tick++);
    await sleep(Math.max(0, start + tick * tickMs - Date.now()));
  }
  return Date.now() - start;
}

const checksOf = (clients: FlagClient[]) => clients.reduce((sum, c) => sum + c.channel!.stats.checks, 0);

async function freshFlag(id: string): Promise<void> {
  const created = await createFlag({ id, enabled: true, rollout_percentage: 100 });
  await waitForBundleVersion(id, created.version);
}

async function kill(id: string): Promise<number> {
  const answer = await api('POST', `/admin/flags/${id}/kill`, { reason: 'bench' });
  check(answer.status === 200, `kill ${id}: ${answer.status}`);
  return answer.body.flag.version as number;
}

/** 100 readers on the channel, in real time: 3 s warm-up, the kill, then 5 s of evaluations. */
async function withChannel() {
  const id = 'cc-channel';
  await freshFlag(id);
  const kv = new LaggingKv(benchEnv.FLAGS_KV, realNow);
  await kv.record();
  const changes: ChangesBinding = { changes: (cursor, options) => coordinator.changes(cursor, options) };
  const clients = Array.from({ length: READERS }, () => new FlagClient({ source: kv, environment: 'production', changes }));
  // Readers start over the first second, so their checks do not all fall on one tick.
  await paced(3_000, TICK_MS, (t) => Promise.all(clients.map((c, i) => (t >= i % 10 ? evaluateOnce(c, id, `user-${i}`, realNow) : undefined))).then(() => undefined));

  await kill(id);
  const stale = new StaleTimes(READERS, Date.now());
  const checksBefore = checksOf(clients);
  const ms = await paced(5_000, TICK_MS, async () => {
    await Promise.all(
      clients.map(async (c, i) => {
        const { on, at } = await evaluateOnce(c, id, `user-${i}`, realNow);
        stale.note(i, at, on);
      }),
    );
  });
  const served = await Promise.all(clients.map((c, i) => evaluateOnce(c, id, `user-${i}`, realNow)));
  check(served.every((s) => !s.on), 'a reader on the channel still serves the killed flag after 5 s');
  check(clients.every((c) => !c.channel!.stats.degraded), 'a reader’s channel failed');
  return {
    last_stale_ms: stats([...stale.perReader]),
    checks_per_reader_per_minute: round((checksOf(clients) - checksBefore) / READERS / (ms / 60_000), 1),
    kv_reads: kv.reads,
  };
}

/** The same readers without a channel, in simulated time: KV shows the kill 60 s after its answer. */
async function kvOnly() {
  const id = 'cc-kv-only';
  await freshFlag(id);
  const clock = new FakeClock();
  const kv = new LaggingKv(benchEnv.FLAGS_KV, clock.now);
  await kv.record();
  const clients = Array.from({ length: READERS }, () => new FlagClient({ source: kv, environment: 'production', cacheTtlSeconds: KV_CACHE_SECONDS, clock }));
  // Readers start 300 ms apart, so their cache periods end at times spread over 30 s.
  const warmUpTicks = (KV_CACHE_SECONDS * 1000) / TICK_MS;
  for (let t = 0; t < warmUpTicks; t++) {
    await Promise.all(clients.map((c, i) => (t >= i * (warmUpTicks / READERS) ? evaluateOnce(c, id, `user-${i}`, clock.now) : undefined)));
    await clock.advance(TICK_MS);
  }
  const version = await kill(id);
  const stale = new StaleTimes(READERS, clock.ms);
  await waitForBundleVersion(id, version);
  await kv.record();
  const ticks = (KV_LAG_MS + KV_CACHE_SECONDS * 1000) / TICK_MS + 20;
  let last: boolean[] = [];
  for (let t = 0; t < ticks; t++) {
    last = await Promise.all(
      clients.map(async (c, i) => {
        const { on, at } = await evaluateOnce(c, id, `user-${i}`, clock.now);
        stale.note(i, at, on);
        return on;
      }),
    );
    await clock.advance(TICK_MS);
  }
  check(last.every((on) => !on), 'a KV-only reader still serves the killed flag after the lag and a cache period');
  return { last_stale_ms: stats([...stale.perReader]), kv_lag_ms: KV_LAG_MS, kv_cache_seconds: KV_CACHE_SECONDS };
}

const served = (count: number) => Promise.all(Array.from({ length: count }, (_, i) => relayStub(i).benchServed()));

/**
 * 1,000 readers for 10 s in real time, each evaluating every 200 ms (its channel checks at most
 * once a second), asking `changes` the way the coordinator's entrypoint does with `env`.
 */
async function relayLoad(env: Env, relays: number) {
  const kv = new LaggingKv(benchEnv.FLAGS_KV, realNow);
  await kv.record();
  const background: Promise<unknown>[] = [];
  const latencies: number[] = [];
  let failures = 0;
  const changes: ChangesBinding = {
    changes: async (cursor, options) => {
      const start = performance.now();
      try {
        return await readChanges(env, (p) => void background.push(p.catch(() => undefined)), cursor, options?.reader);
      } catch (error) {
        failures++;
        throw error;
      } finally {
        latencies.push(performance.now() - start);
      }
    },
  };
  const clients = Array.from({ length: LOAD_READERS }, () => new FlagClient({ source: kv, environment: 'production', changes }));
  const flag = 'cc-channel';
  // Reader i starts on tick i % 10 and then evaluates every other tick: the readers' checks spread
  // over the interval as independent isolates' do, instead of all falling on the same tick.
  const step = (offset: number) => (t: number) =>
    Promise.all(clients.map((c, i) => (t + offset >= i % 10 && (t + offset - (i % 10)) % 2 === 0 ? evaluateOnce(c, flag, `user-${i}`, realNow) : undefined))).then(() => undefined);
  await paced(2_000, TICK_MS, step(0));
  const before = await served(relays);
  const checksBefore = checksOf(clients);
  latencies.length = 0;
  const ms = await paced(10_000, TICK_MS, step(20));
  const after = await served(relays);
  await Promise.all(background);
  const perRelay = after.map((n, i) => round((n - before[i]!) / (ms / 1000), 1));
  return {
    relays,
    channel_cache_ms: env.CHANNEL_CACHE_MS,
    relay_requests_per_second: perRelay,
    busiest_relay_requests_per_second: Math.max(...perRelay),
    channel_requests_per_second: round((checksOf(clients) - checksBefore) / (ms / 1000), 1),
    checks_per_reader_per_minute: round((checksOf(clients) - checksBefore) / LOAD_READERS / (ms / 60_000), 1),
    answer_ms: { p50: round(percentile(latencies, 50), 2), p99: round(percentile(latencies, 99), 2) },
    failures,
  };
}

export async function changeChannel() {
  const channel = await withChannel();
  const kv = await kvOnly();
  const configuredRelays = relayCount(benchEnv);
  const oneRelay = await relayLoad({ ...benchEnv, RELAY_COUNT: '1', CHANNEL_CACHE_MS: '0' }, 1);
  const configured = await relayLoad(benchEnv, configuredRelays);
  return {
    readers: READERS,
    kill_to_last_stale: { channel: channel.last_stale_ms, kv_only: kv.last_stale_ms },
    kv_only: { lag_ms: kv.kv_lag_ms, cache_seconds: kv.kv_cache_seconds },
    channel_checks_per_reader_per_minute: channel.checks_per_reader_per_minute,
    at_1000_readers: { one_relay_no_cache: oneRelay, configured },
  };
}
