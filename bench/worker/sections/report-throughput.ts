/**
 * 3. Report throughput into one flag object: unbatched reports through the RPC entrypoint (what an
 * application Worker's service binding calls) and through the article's HTTP route, one at a time
 * and with many in flight, with p50/p99 latency; the object's own cost per report; then the SDK's
 * batching: 10,000 failing requests through `withFallback`, and how many calls reach the coordinator.
 */
import { FlagClient } from '../../../src/sdk/client';
import {
  benchEnv,
  check,
  coordinator,
  createFlag,
  failuresCounted,
  flagStub,
  mainEntry,
  median,
  percentile,
  round,
  sleep,
  TOKEN,
  waitFor,
  waitForBundleVersion,
} from '../helpers';

const NO_KILL = { enabled: false };

/** Sends `total` reports with `inFlight` outstanding at a time: overall rate and per-report latency. */
async function drive(total: number, inFlight: number, send: (i: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let issued = 0;
  let failed = 0;
  await sleep(0);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < total) {
        const i = issued++;
        const sent = performance.now();
        if (!(await send(i))) failed++;
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const elapsed = performance.now() - start;
  return {
    reports: total,
    in_flight: inFlight,
    failed,
    elapsed_ms: round(elapsed, 1),
    reports_per_second: Math.round((total * 1000) / elapsed),
    latency_ms: {
      mean: round(elapsed / (total / inFlight), 3),
      p50: round(median(latencies), 1),
      p99: round(percentile(latencies, 99), 1),
      max: round(Math.max(...latencies), 1),
    },
  };
}

const rpcReport = (flagId: string) => async (i: number) => (await coordinator.report(flagId, { failures: 1, error: `boom ${i}` })).ok;

const httpReport = (flagId: string) => async (i: number) => {
  const response = await mainEntry().fetch(`https://flags.bench/v1/flags/${flagId}/failures`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ error: `boom ${i}` }),
  });
  await response.arrayBuffer();
  return response.status === 200;
};

export async function reportThroughput() {
  const scenarios = [
    { name: 'RPC, 1 in flight', transport: rpcReport, total: 2_000, inFlight: 1 },
    { name: 'RPC, 8 in flight', transport: rpcReport, total: 4_000, inFlight: 8 },
    { name: 'RPC, 32 in flight', transport: rpcReport, total: 4_000, inFlight: 32 },
    { name: 'HTTP, 1 in flight', transport: httpReport, total: 1_000, inFlight: 1 },
    { name: 'HTTP, 8 in flight', transport: httpReport, total: 2_000, inFlight: 8 },
  ];
  const runs: Record<string, unknown>[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const flagId = `tp-${index}`;
    await createFlag({ id: flagId, enabled: true, rollout_percentage: 100, auto_kill: NO_KILL });
    await drive(100, scenario.inFlight, scenario.transport(flagId)); // warm-up
    const before = await failuresCounted(flagId);
    const result = await drive(scenario.total, scenario.inFlight, scenario.transport(flagId));
    const counted = (await failuresCounted(flagId)) - before;
    runs.push({ scenario: scenario.name, ...result, counted });
  }

  // The object's own cost per report, without any caller hop: 20 reports per call, run inside it.
  const objectId = 'tp-object';
  await createFlag({ id: objectId, enabled: true, rollout_percentage: 100, auto_kill: NO_KILL });
  const stub = flagStub(objectId);
  for (let i = 0; i < 5; i++) await stub.benchReportInside(objectId, 20);
  await sleep(0);
  const insideStart = performance.now();
  for (let i = 0; i < 100; i++) await stub.benchReportInside(objectId, 20);
  const insideMs = performance.now() - insideStart;
  const object_only = {
    reports: 2_000,
    reports_per_second: Math.round((2_000 * 1000) / insideMs),
    us_per_report: round((insideMs * 1000) / 2_000, 1),
    counted: (await failuresCounted(objectId)) - 100,
  };
  return { runs, object_only };
}

export async function reportBatching() {
  const flagId = 'tp-batched';
  const created = await createFlag({ id: flagId, enabled: true, rollout_percentage: 100, auto_kill: NO_KILL });
  await waitForBundleVersion(flagId, created.version);

  const calls = { report: 0, recordUsage: 0, failures: 0 };
  const binding = {
    report: (id: string, body: { failures: number; successes: number; error?: string; variant?: string }) => {
      calls.report++;
      calls.failures += body.failures;
      return coordinator.report(id, body);
    },
    recordUsage: (id: string, usage: { variants: Record<string, number>; last_at: number }) => {
      calls.recordUsage++;
      return coordinator.recordUsage(id, usage);
    },
  };
  const client = new FlagClient({ kv: benchEnv.FLAGS_KV, environment: 'production', reporter: binding });
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p.catch(() => undefined)) };

  // 10,000 requests in 100 waves of 100 concurrent requests, a wave every 20 ms (about 5,000 requests/s).
  const REQUESTS = 10_000;
  const WAVE = 100;
  const WAVE_EVERY_MS = 20;
  let fallbacks = 0;
  const start = performance.now();
  for (let wave = 0; wave < REQUESTS / WAVE; wave++) {
    const waveStart = performance.now();
    await Promise.all(
      Array.from({ length: WAVE }, (_, i) =>
        client
          .withFallback(ctx, flagId, { userId: `user-${wave * WAVE + i}` }, {
            enabled: () => {
              throw new Error('new handler: upstream 502');
            },
            fallback: () => 'legacy',
          })
          .then((answer) => void (answer === 'legacy' && fallbacks++)),
      ),
    );
    const wait = WAVE_EVERY_MS - (performance.now() - waveStart);
    if (wait > 0) await sleep(wait);
  }
  const requestsMs = performance.now() - start;
  // Let the isolate's flushes finish (in a Worker, ctx.waitUntil keeps them alive).
  await client.flush();
  await waitFor(async () => (calls.failures >= REQUESTS ? true : undefined), 15_000, 'all failures sent');
  await Promise.all(pending);
  const deliveredMs = performance.now() - start;
  const counted = await failuresCounted(flagId);
  check(fallbacks === REQUESTS, `fallbacks served: ${fallbacks}`);
  return {
    requests: REQUESTS,
    arrival: `${REQUESTS / WAVE} waves of ${WAVE} concurrent requests, one every ${WAVE_EVERY_MS} ms`,
    requests_ms: round(requestsMs, 1),
    offered_requests_per_second: Math.round((REQUESTS * 1000) / requestsMs),
    fallbacks_served: fallbacks,
    report_calls: calls.report,
    usage_calls: calls.recordUsage,
    calls_total: calls.report + calls.recordUsage,
    failures_sent: calls.failures,
    failures_counted_by_object: counted,
    ms_until_all_sent: round(deliveredMs, 1),
    reporter_stats: client.reporter?.stats,
  };
}
