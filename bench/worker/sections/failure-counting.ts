/**
 * 2. Failure counting under concurrency: N failure reports at once, and spread over one second,
 * against the article's KV read-modify-write counter and against the flag's Durable Object.
 * Counts lost, kills fired, alerts sent, and how long until KV shows the flag off.
 */
import { newEffects, recordFailure } from '../baseline/article';
import {
  alertsFor,
  api,
  benchEnv,
  coordinator,
  createFlag,
  kvBundle,
  kvFlag,
  round,
  sleep,
  waitFor,
  waitForBundleVersion,
  waitForKvVersion,
  watch,
} from '../helpers';

const SIZES = [100, 1_000];
const SPREAD_MS = 1_000;
/** The article's threshold, and the coordinator's default policy (10 failures in 300 s). */
const THRESHOLD = 10;

type Arrival = 'burst' | 'spread';

/** Send offsets (ms from the start) for N reports: all at once, or evenly over SPREAD_MS in a shuffled order. */
function offsets(n: number, arrival: Arrival): number[] {
  if (arrival === 'burst') return Array.from({ length: n }, () => 0);
  return Array.from({ length: n }, (_, i) => Math.floor(((i * 7919) % n) * (SPREAD_MS / n)));
}

/** When the THRESHOLD-th report was sent, in ms from the start. */
function tenthSentAt(sendAt: number[]): number {
  return [...sendAt].sort((a, b) => a - b)[THRESHOLD - 1]!;
}

async function articleScenario(n: number, arrival: Arrival) {
  const flagId = `art-${arrival}-${n}`;
  await benchEnv.FLAGS_KV.put(`flag:${flagId}`, JSON.stringify({ id: flagId, enabled: true, rollout_percentage: 50 }));
  const effects = newEffects();
  const kvEnv = { KV: benchEnv.FLAGS_KV };
  const sendAt: number[] = [];
  const off = watch(async () => (await kvFlag(flagId))?.enabled === false, SPREAD_MS + 30_000);
  const t0 = performance.now();
  await Promise.all(
    offsets(n, arrival).map(async (delay, i) => {
      if (delay > 0) await sleep(delay);
      sendAt.push(performance.now() - t0);
      await recordFailure(flagId, new Error(`boom ${i}`), kvEnv, effects);
    }),
  );
  const doneMs = performance.now() - t0;
  await sleep(200); // a late kill would land here
  off.stop();
  const offAt = await off.at;
  const counted = parseInt((await benchEnv.FLAGS_KV.get(`flag-failures:${flagId}`)) || '0');
  return {
    impl: 'article',
    arrival,
    n,
    counted,
    lost: n - counted,
    kills: effects.kills,
    alerts: effects.alerts,
    all_answered_ms: round(doneMs, 1),
    ms_10th_report_to_kv_off: offAt === null ? null : round(offAt - t0 - tenthSentAt(sendAt), 1),
    ms_threshold_read_to_kv_off:
      effects.thresholdSeenAt.length && effects.killWrittenAt.length ? round(effects.killWrittenAt[0]! - effects.thresholdSeenAt[0]!, 1) : null,
    kv_writes: effects.puts.length,
  };
}

async function objectScenario(n: number, arrival: Arrival) {
  const flagId = `do-${arrival}-${n}`;
  await createFlag({ id: flagId, enabled: true, rollout_percentage: 50 });
  await waitForKvVersion(flagId, 1);
  await waitForBundleVersion(flagId, 1);
  // Start with the KV write slots free (the flag was published over a second ago): the steady state.
  await sleep(1_100);
  const sendAt: number[] = [];
  const answers: { at: number; ok: boolean; tripped: boolean }[] = [];
  const kvOff = watch(async () => (await kvFlag(flagId))?.enabled === false, SPREAD_MS + 30_000);
  const bundleOff = watch(async () => (await kvBundle())?.flags[flagId]?.enabled === false, SPREAD_MS + 30_000);
  const t0 = performance.now();
  await Promise.all(
    offsets(n, arrival).map(async (delay, i) => {
      if (delay > 0) await sleep(delay);
      sendAt.push(performance.now() - t0);
      const answer = await coordinator.report(flagId, { failures: 1, error: `boom ${i}` });
      answers.push({ at: performance.now() - t0, ok: answer.ok, tripped: answer.value?.tripped === true });
    }),
  );
  const doneMs = performance.now() - t0;
  const [kvOffAt, bundleOffAt] = await Promise.all([kvOff.at, bundleOff.at]);
  const counted = (await api('GET', `/admin/flags/${flagId}/health`)).body.failures as number;
  const history = await api('GET', `/admin/flags/${flagId}/history?limit=500`);
  const kills = (history.body.entries as { action: string }[]).filter((e) => e.action === 'auto_kill').length;
  // The kill's alerts leave through the outbox: wait for them, then a little longer for any duplicate.
  await waitFor(async () => (alertsFor(flagId).slack > 0 ? true : undefined), 5_000, `alert for ${flagId}`).catch(() => undefined);
  await sleep(300);
  const alerts = alertsFor(flagId);
  const tripped = answers.filter((a) => a.tripped);
  const trippedAt = tripped[0]?.at;
  return {
    impl: 'durable_object',
    arrival,
    n,
    counted,
    lost: n - counted,
    kills,
    alerts: alerts.slack,
    webhook_events: alerts.webhook,
    tripped_answers: tripped.length,
    failed_answers: answers.filter((a) => !a.ok).length,
    all_answered_ms: round(doneMs, 1),
    ms_10th_report_to_kv_off: kvOffAt === null ? null : round(kvOffAt - t0 - tenthSentAt(sendAt), 1),
    ms_tripping_answer_to_kv_off: kvOffAt === null || trippedAt === undefined ? null : round(kvOffAt - t0 - trippedAt, 1),
    ms_10th_report_to_bundle_off: bundleOffAt === null ? null : round(bundleOffAt - t0 - tenthSentAt(sendAt), 1),
    ms_tripping_answer_to_bundle_off: bundleOffAt === null || trippedAt === undefined ? null : round(bundleOffAt - t0 - trippedAt, 1),
  };
}

export async function failureCounting() {
  const scenarios: Record<string, unknown>[] = [];
  for (const arrival of ['burst', 'spread'] as const) {
    for (const n of SIZES) {
      scenarios.push(await articleScenario(n, arrival));
      scenarios.push(await objectScenario(n, arrival));
    }
  }
  return { threshold: THRESHOLD, spread_ms: SPREAD_MS, scenarios };
}
