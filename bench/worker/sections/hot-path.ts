/**
 * 1. Hot path: one request checking 10 flags. The SDK (FlagClient: the KV bundle cached in the
 * isolate, local evaluation) against the article's FeatureFlagService (a KV read and a WebCrypto
 * SHA-256 per check): same flags, same users, same runtime, timed batches interleaved so any load
 * from outside the benchmark falls on both alike.
 *
 * The SDK is measured on both of its paths: the async per-check methods (`await isEnabled(id,
 * context, ctx)` ten times) and the synchronous per-request path (`await forRequest(ctx, context)`
 * once, then ten `isEnabled(id)`), against the hashing floor of the same run: the ten SHA-256
 * bucket hashes a new user's request would need at least (`bucketHash`, the function the SDK uses).
 *
 * The cost of recording experiment exposures: the same ten flags again (`hx-…`), each with a
 * running experiment, checked by new users on the synchronous path, in the same samples as the
 * plain new-user request (`experiment_new_user_request` against `new_user_request`).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256 } from '../../../src/flags/sha256';
import { bucketHash } from '../../../src/flags/bucket';
import { FlagClient } from '../../../src/sdk/client';
import type { RequestFlags } from '../../../src/sdk/request-flags';
import { FeatureFlagService } from '../baseline/article';
import {
  benchEnv,
  check,
  coordinator,
  createFlag,
  ioBoundary,
  median,
  percentile,
  round,
  stamp,
  waitForBundleVersion,
  waitForKvVersion,
} from '../helpers';

/** The article's kinds of flag: partial rollouts, allowlists, environments, one fully on, one killed. */
const FLAGS = [
  { id: 'hp-01', enabled: true, rollout_percentage: 1 },
  { id: 'hp-02', enabled: true, rollout_percentage: 5 },
  { id: 'hp-03', enabled: true, rollout_percentage: 10 },
  { id: 'hp-04', enabled: true, rollout_percentage: 25, allowed_users: ['user_internal_1', 'user_internal_2'], environments: ['production'] },
  { id: 'hp-05', enabled: true, rollout_percentage: 50 },
  { id: 'hp-06', enabled: true, rollout_percentage: 75, environments: ['staging', 'production'] },
  { id: 'hp-07', enabled: true, rollout_percentage: 90, allowed_tenants: ['tenant-7'] },
  { id: 'hp-08', enabled: true, rollout_percentage: 100, environments: ['staging', 'production'] },
  { id: 'hp-09', enabled: false, rollout_percentage: 0 },
  { id: 'hp-10', enabled: true, rollout_percentage: 33 },
];
const FLAG_IDS = FLAGS.map((f) => f.id);
const EXPERIMENT = { control: 'off', metrics: [{ key: 'hx-conversion', type: 'conversion', goal: 'increase' }], status: 'running', started_at: '2026-01-01T00:00:00.000Z' };
const EXPERIMENT_FLAGS = FLAGS.map((f) => ({ ...f, id: f.id.replace('hp-', 'hx-'), experiment: EXPERIMENT }));
const EXPERIMENT_FLAG_IDS = EXPERIMENT_FLAGS.map((f) => f.id);
const USERS = Array.from({ length: 10_000 }, (_, i) => `user-${String(i).padStart(5, '0')}`);
const RETURNING = USERS.slice(0, 100);
const tenantOf = (i: number) => `tenant-${i % 50}`;

/** Target length of one timed batch: long enough that the 1 ms clock and the boundary are noise. */
const BATCH_MS = 150;
const SAMPLES = 12;
const SYNC_SAMPLES = 30;
const SYNC_BATCH_MS = 50;

export async function hotPath(ctx: ExecutionContext) {
  for (const flag of [...FLAGS, ...EXPERIMENT_FLAGS]) await createFlag(flag);
  for (const flag of [...FLAGS, ...EXPERIMENT_FLAGS]) await waitForKvVersion(flag.id, 1);
  for (const flag of [...FLAGS, ...EXPERIMENT_FLAGS]) await waitForBundleVersion(flag.id, 1);

  // The SDK as an application Worker uses it: bundle cached 5 s, evaluation counts reported in batches.
  const sdk = new FlagClient({ kv: benchEnv.FLAGS_KV, environment: 'production', reporter: coordinator });
  // A request that finds the cache expired: one KV read of the bundle, then the checks (own client,
  // so the main client's cache and its read count are left alone).
  const refreshing = new FlagClient({ kv: benchEnv.FLAGS_KV, environment: 'production' });
  const article = new FeatureFlagService(benchEnv.FLAGS_KV, 'production');

  // Each simulated request gets its own `waitUntil`, as each real request has its own context (one
  // context for 100,000 simulated requests would pile up a million registrations). The SDK hands it
  // the isolate's report flush; the section's real context keeps the last flush alive (below).
  const requestCtx = () => ({ waitUntil: (promise: Promise<unknown>) => void promise.catch(() => undefined) });
  let next = 0;
  const request = async (client: FlagClient, users: readonly string[]) => {
    const i = next++;
    const context = { userId: users[i % users.length]!, tenantId: tenantOf(i) };
    const perRequest = requestCtx();
    let on = 0;
    for (const id of FLAG_IDS) if (await client.isEnabled(id, context, perRequest)) on++;
    return on;
  };
  const sdkRequest = () => request(sdk, USERS);
  const sdkReturningRequest = () => request(sdk, RETURNING);
  const sdkRefreshRequest = () => {
    refreshing.cache.invalidate();
    return request(refreshing, USERS);
  };
  // The synchronous path: one await per request, then checks that do not await. A new user is a
  // user id never seen before (no bucket cached); returning users cycle through 100.
  const syncRequest = async (fresh: boolean) => {
    const i = next++;
    const userId = fresh ? `new-user-${i}` : RETURNING[i % RETURNING.length]!;
    const flags = await sdk.forRequest(requestCtx(), { userId, tenantId: tenantOf(i) });
    let on = 0;
    for (const id of FLAG_IDS) if (flags.isEnabled(id)) on++;
    return on;
  };
  const syncNewRequest = () => syncRequest(true);
  const syncExperimentRequest = async () => {
    const i = next++;
    const flags = await sdk.forRequest(requestCtx(), { userId: `new-user-${i}`, tenantId: tenantOf(i) });
    let on = 0;
    for (const id of EXPERIMENT_FLAG_IDS) if (flags.isEnabled(id)) on++;
    return on;
  };
  const syncReturningRequest = () => syncRequest(false);
  // Checks alone: one request's flags per returning user, each flag checked CHECK_ROUNDS times.
  const CHECK_ROUNDS = 200;
  const returningFlags: RequestFlags[] = [];
  const cachedChecks = async () => {
    let on = 0;
    for (const flags of returningFlags) for (let r = 0; r < CHECK_ROUNDS; r++) for (const id of FLAG_IDS) if (flags.isEnabled(id)) on++;
    return on;
  };
  // The floor: ten SHA-256 bucket hashes for a user never seen before.
  const floorRequest = async () => {
    const userId = `new-user-${next++}`;
    let sum = 0;
    for (const id of FLAG_IDS) sum += bucketHash(id, userId);
    return sum;
  };

  const articleRequest = async () => {
    const i = next++;
    const context = { userId: USERS[i % USERS.length]!, tenantId: tenantOf(i) };
    let on = 0;
    for (const id of FLAG_IDS) if (await article.isEnabled(id, context)) on++;
    return on;
  };

  // Same answers: both read the coordinator's snapshots and bucket users the article's way.
  let agree = 0;
  let checked = 0;
  for (let u = 0; u < 300; u++) {
    const context = { userId: USERS[u * 33]!, tenantId: tenantOf(u) };
    for (const id of FLAG_IDS) {
      checked++;
      if ((await sdk.isEnabled(id, context)) === (await article.isEnabled(id, context))) agree++;
    }
  }
  check(agree === checked, `SDK and article disagree on ${checked - agree} of ${checked} checks`);

  // The clock: does it move without I/O here, and what does one boundary cost?
  const cpuStart = performance.now();
  let spin = 0;
  for (let i = 0; i < 3_000_000; i++) spin += i % 7;
  const cpuEnd = performance.now();
  const boundary: number[] = [];
  for (let i = 0; i < 50; i++) {
    const a = await stamp();
    const b = await stamp();
    boundary.push(b - a);
  }
  const overheadMs = median(boundary);

  /** Runs `run` `count` times one after another; ms per run, the clock read after an I/O boundary at both ends. */
  const timeBatch = async (count: number, run: () => Promise<unknown>) => {
    const start = await stamp();
    for (let i = 0; i < count; i++) await run();
    const end = await stamp();
    return Math.max(0, end - start - overheadMs) / count;
  };
  /** Runs per batch so that a batch lasts about BATCH_MS. */
  const sizeFor = async (run: () => Promise<unknown>, probe: number, batchMs = BATCH_MS) => {
    const per = await timeBatch(probe, run);
    return Math.max(5, Math.round(batchMs / Math.max(per, 0.001)));
  };

  // Warm up every path (JIT, KV, the bundle cache), then size the batches.
  for (const userId of RETURNING) returningFlags.push(await sdk.forRequest(requestCtx(), { userId, tenantId: tenantOf(userId.length) }));
  await timeBatch(3, cachedChecks);
  await timeBatch(300, syncNewRequest);
  await timeBatch(300, syncExperimentRequest);
  await timeBatch(300, syncReturningRequest);
  await timeBatch(300, floorRequest);
  await timeBatch(300, sdkRequest);
  await timeBatch(30, sdkRefreshRequest);
  await timeBatch(30, articleRequest);
  const n = {
    sdk: await sizeFor(sdkRequest, 500),
    sdk_returning: await sizeFor(sdkReturningRequest, 500),
    sdk_refresh: await sizeFor(sdkRefreshRequest, 50),
    article: await sizeFor(articleRequest, 20),
    sync_new: await sizeFor(syncNewRequest, 500, SYNC_BATCH_MS),
    sync_experiment: await sizeFor(syncExperimentRequest, 500, SYNC_BATCH_MS),
    sync_returning: await sizeFor(syncReturningRequest, 500, SYNC_BATCH_MS),
    floor: await sizeFor(floorRequest, 500, SYNC_BATCH_MS),
    cached_checks: await sizeFor(cachedChecks, 2, SYNC_BATCH_MS),
  };

  const ms = { sdk: [] as number[], sdk_returning: [] as number[], sdk_refresh: [] as number[], article: [] as number[] };
  const sync = { new_user_request: [] as number[], experiment_new_user_request: [] as number[], returning_request: [] as number[], hash_floor: [] as number[], cached_check: [] as number[] };
  const checksPerRun = RETURNING.length * CHECK_ROUNDS * FLAG_IDS.length;
  let cachedRequests = 0;
  let cachedReads = 0;
  const cached = async (count: number, run: () => Promise<unknown>) => {
    const reads = sdk.cache.stats.reads;
    const perRequest = await timeBatch(count, run);
    cachedReads += sdk.cache.stats.reads - reads;
    cachedRequests += count;
    return perRequest;
  };
  // Each experiment batch starts with an empty exposure queue, as after a flush (the sending is not
  // what is measured, and a queue left full would measure the cheaper path of a dropped exposure).
  let exposuresRecorded = 0;
  const experimentBatch = async () => {
    for (const { units } of sdk.reporter!.experiments.take(Infinity, Infinity).values()) exposuresRecorded += units.length;
    return timeBatch(n.sync_experiment, syncExperimentRequest);
  };
  const sampleStart = performance.now();
  for (let s = 0; s < SAMPLES; s++) {
    ms.sdk.push(await cached(n.sdk, sdkRequest));
    ms.article.push(await timeBatch(n.article, articleRequest));
    ms.sdk_returning.push(await cached(n.sdk_returning, sdkReturningRequest));
    if (s % 2 === 0) ms.sdk_refresh.push(await timeBatch(n.sdk_refresh, sdkRefreshRequest));
  }
  // The synchronous path: more, shorter samples, the floor right next to the new-user requests it
  // bounds (in alternating order, so a drift in load falls on both alike).
  for (let s = 0; s < SYNC_SAMPLES; s++) {
    if (s % 2 === 0) sync.hash_floor.push(await timeBatch(n.floor, floorRequest));
    // The two new-user requests back to back, their order alternating.
    if (s % 2 === 0) sync.experiment_new_user_request.push(await experimentBatch());
    sync.new_user_request.push(await timeBatch(n.sync_new, syncNewRequest));
    if (s % 2 === 1) sync.experiment_new_user_request.push(await experimentBatch());
    if (s % 2 === 1) sync.hash_floor.push(await timeBatch(n.floor, floorRequest));
    sync.returning_request.push(await timeBatch(n.sync_returning, syncReturningRequest));
    sync.cached_check.push((await timeBatch(n.cached_checks, cachedChecks)) / checksPerRun);
  }
  const sampleSeconds = (performance.now() - sampleStart) / 1000;
  ctx.waitUntil(sdk.flush());

  // The article's service with many requests in flight (its KV waits overlap): throughput, not latency.
  const inFlight = 50;
  const concurrentRequests = n.article * 10;
  let issued = 0;
  const start = await stamp();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < concurrentRequests) {
        issued++;
        await articleRequest();
      }
    }),
  );
  const concurrentMs = (await stamp()) - start;

  // One SHA-256 alone: ours (src/flags/sha256.ts, what bucketing uses), @noble/hashes (what it used
  // until the SDK's bundle budget, kept here as the yardstick) and WebCrypto (async).
  const encoder = new TextEncoder();
  const hashUs = { own_sync: [] as number[], noble_sync: [] as number[], webcrypto_async: [] as number[] };
  let k = 0;
  const key = () => encoder.encode(`hp-05:${USERS[k++ % USERS.length]}`);
  for (let s = 0; s < 8; s++) {
    for (const [name, digest] of [['own_sync', sha256], ['noble_sync', nobleSha256]] as const) {
      hashUs[name].push(
        (1000 *
          (await timeBatch(1, async () => {
            for (let i = 0; i < 10_000; i++) digest(key());
          }))) /
          10_000,
      );
    }
    hashUs.webcrypto_async.push(1000 * (await timeBatch(10_000, () => crypto.subtle.digest('SHA-256', key()))));
  }
  await ioBoundary();

  const syncMs = Object.fromEntries(Object.entries(sync).map(([name, values]) => [name, median(values)])) as Record<keyof typeof sync, number>;
  // Ratios per sample (each sample's floor and request ran back to back), then their median and range.
  const newOverFloor = sync.new_user_request.map((value, i) => value / sync.hash_floor[i]!);
  const perRequestMs = Object.fromEntries(Object.entries(ms).map(([name, values]) => [name, median(values)])) as Record<keyof typeof ms, number>;
  const evalsPerSecond = (msPerRequest: number) => Math.round((FLAG_IDS.length * 1000) / msPerRequest);
  const us = (value: number) => round(value * 1000, 1);
  return {
    flags: FLAG_IDS.length,
    flags_that_hash: FLAGS.filter((f) => f.enabled && f.rollout_percentage > 0 && f.rollout_percentage < 100).length,
    users: USERS.length,
    returning_users: RETURNING.length,
    answers_agree: `${agree}/${checked}`,
    samples: Object.fromEntries(Object.entries(ms).map(([name, values]) => [name, values.length])),
    batch_requests: n,
    timer: {
      advances_without_io: cpuEnd > cpuStart,
      cpu_loop_ms: round(cpuEnd - cpuStart),
      boundary_overhead_ms: round(overheadMs, 3),
      spin,
    },
    per_request_us: Object.fromEntries(Object.entries(perRequestMs).map(([name, value]) => [name, us(value)])),
    per_request_spread_us: Object.fromEntries(
      Object.entries(ms).map(([name, values]) => [name, { min: us(Math.min(...values)), p90: us(percentile(values, 90)), max: us(Math.max(...values)) }]),
    ),
    evaluations_per_second: {
      ...Object.fromEntries(Object.entries(perRequestMs).map(([name, value]) => [name, evalsPerSecond(value)])),
      article_50_in_flight: Math.round((concurrentRequests * FLAG_IDS.length * 1000) / concurrentMs),
    },
    ratio_vs_article: {
      sdk: round(perRequestMs.article / perRequestMs.sdk, 1),
      sdk_returning: round(perRequestMs.article / perRequestMs.sdk_returning, 1),
      sdk_refresh: round(perRequestMs.article / perRequestMs.sdk_refresh, 1),
    },
    kv_reads_per_request: {
      sdk: round(cachedReads / cachedRequests, 6),
      sdk_reads: cachedReads,
      sdk_requests: cachedRequests,
      sdk_over_seconds: round(sampleSeconds, 1),
      article: FLAG_IDS.length,
    },
    sync_path_us: {
      cached_check: round(syncMs.cached_check * 1000, 3),
      cached_check_spread: { min: round(Math.min(...sync.cached_check) * 1000, 3), max: round(Math.max(...sync.cached_check) * 1000, 3) },
      ten_cached_checks: round(syncMs.cached_check * 1000 * FLAG_IDS.length, 2),
      new_user_request: us(syncMs.new_user_request),
      experiment_new_user_request: us(syncMs.experiment_new_user_request),
      experiment_over_plain: round(median(sync.experiment_new_user_request.map((value, i) => value / sync.new_user_request[i]!)), 2),
      returning_user_request: us(syncMs.returning_request),
      hash_floor_10_digests: us(syncMs.hash_floor),
      spread: Object.fromEntries(
        Object.entries(sync)
          .filter(([name]) => name !== 'cached_check')
          .map(([name, values]) => [name, { min: us(Math.min(...values)), max: us(Math.max(...values)) }]),
      ),
      new_user_over_floor: round(median(newOverFloor), 2),
      new_user_over_floor_spread: { min: round(Math.min(...newOverFloor), 2), max: round(Math.max(...newOverFloor), 2) },
      // The quietest sample of each, the least disturbed by other work on the machine.
      best_new_user_over_best_floor: round(Math.min(...sync.new_user_request) / Math.min(...sync.hash_floor), 2),
      async_new_user_over_sync: round(perRequestMs.sdk / syncMs.new_user_request, 1),
    },
    sdk_reporter: sdk.reporter?.stats,
    experiment_exposures_recorded: exposuresRecorded,
    experiment_log_dropped: sdk.reporter?.experiments.dropped,
    sha256_us: Object.fromEntries(Object.entries(hashUs).map(([name, values]) => [name, round(median(values), 2)])),
  };
}
