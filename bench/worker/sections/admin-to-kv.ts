/**
 * 4. Admin mutation to KV snapshot: how long until a change is readable in KV (the article's
 * per-flag key `flag:<id>` and the SDK's bundle `flags:bundle`), and what a burst of 100 changes
 * to one flag costs in KV writes per key per second (Cloudflare allows one), with the final version.
 */
import { newEffects, updateRollout } from '../baseline/article';
import {
  api,
  benchEnv,
  catalogStub,
  check,
  createFlag,
  flagStub,
  kvBundle,
  kvFlag,
  round,
  sleep,
  stats,
  waitFor,
  waitForBundleVersion,
  waitForKvVersion,
  writeRate,
} from '../helpers';

const STREAM_FLAGS = 20;
const STREAM_ROUNDS = 3;
const ISOLATED = 8;
const BURST = 100;
const BURST_EVERY_MS = 25;

/** Changes one flag; times the admin answer and, from the answer, KV `flag:<id>` (and the bundle) showing it. */
async function changeAndWatch(id: string, version: number, percentage: number, watchBundle: boolean) {
  const sent = performance.now();
  const response = await api('PATCH', `/admin/flags/${id}`, { rollout_percentage: percentage });
  const answered = performance.now();
  check(response.status === 200 && response.body.flag.version === version, `PATCH ${id}: ${response.status} v${response.body?.flag?.version}`);
  const [flagAt, bundleAt] = await Promise.all([
    waitFor(async () => (((await kvFlag(id))?.version ?? 0) >= version ? performance.now() : undefined), 10_000, `flag:${id}`),
    watchBundle
      ? waitFor(async () => (((await kvBundle())?.flags[id]?.version ?? 0) >= version ? performance.now() : undefined), 10_000, `bundle ${id}`)
      : Promise.resolve(null),
  ]);
  return { response: answered - sent, flagKey: flagAt - answered, bundle: bundleAt === null ? null : bundleAt - answered };
}

export async function adminToKv() {
  // A stream of changes across 20 flags, one at a time, each flag changed again only after 1.1 s.
  const ids = Array.from({ length: STREAM_FLAGS }, (_, i) => `adm-${String(i).padStart(2, '0')}`);
  for (const id of ids) await createFlag({ id, enabled: true, rollout_percentage: 0 });
  for (const id of ids) await waitForKvVersion(id, 1);
  await sleep(1_100);
  const lastChange = new Map<string, number>();
  const stream = { response: [] as number[], flagKey: [] as number[] };
  const streamStart = performance.now();
  for (let round = 1; round <= STREAM_ROUNDS; round++) {
    for (const id of ids) {
      const wait = (lastChange.get(id) ?? -Infinity) + 1_100 - performance.now();
      if (wait > 0) await sleep(wait);
      lastChange.set(id, performance.now());
      const t = await changeAndWatch(id, round + 1, round * 10, false);
      stream.response.push(t.response);
      stream.flagKey.push(t.flagKey);
    }
  }
  const streamMs = performance.now() - streamStart;

  // Isolated changes to one flag: nothing else changing, its last KV writes over a second old.
  const loneId = 'adm-lone';
  await createFlag({ id: loneId, enabled: true, rollout_percentage: 0 });
  await waitForBundleVersion(loneId, 1);
  const lone = { response: [] as number[], flagKey: [] as number[], bundle: [] as number[] };
  for (let i = 1; i <= ISOLATED; i++) {
    await sleep(1_100);
    const t = await changeAndWatch(loneId, i + 1, i * 5, true);
    lone.response.push(t.response);
    lone.flagKey.push(t.flagKey);
    lone.bundle.push(t.bundle!);
  }

  return {
    stream: {
      changes: stream.flagKey.length,
      flags: STREAM_FLAGS,
      changes_per_second: round((stream.flagKey.length * 1000) / streamMs, 1),
      note: 'one change at a time across 20 flags; from the admin answer to the first KV read showing the version',
      admin_response_ms: stats(stream.response),
      flag_key_ms: stats(stream.flagKey),
    },
    isolated: {
      changes: lone.flagKey.length,
      note: 'one flag, nothing else changing, over 1 s since its last write: both write slots free',
      admin_response_ms: stats(lone.response),
      flag_key_ms: stats(lone.flagKey),
      bundle_ms: stats(lone.bundle),
    },
  };
}

export async function adminBurst() {
  const flagId = 'adm-burst';
  await createFlag({ id: flagId, enabled: true, rollout_percentage: 0 });
  await waitForKvVersion(flagId, 1);
  await waitForBundleVersion(flagId, 1);
  await sleep(1_100);
  const flagWritesBefore = (await flagStub(flagId).benchKvWrites()).length;
  const catalogWritesBefore = (await catalogStub().benchKvWrites()).length;

  const start = performance.now();
  const answers: Promise<{ status: number; version: number }>[] = [];
  for (let i = 0; i < BURST; i++) {
    answers.push(
      api('PATCH', `/admin/flags/${flagId}`, { rollout_percentage: (i % 100) + 1, reason: `burst ${i}` }).then((r) => ({
        status: r.status,
        version: r.body?.flag?.version as number,
      })),
    );
    await sleep(BURST_EVERY_MS);
  }
  const results = await Promise.all(answers);
  const lastAnswered = performance.now();
  const finalVersion = 1 + BURST;
  await waitForKvVersion(flagId, finalVersion, 15_000);
  const kvFinalAt = performance.now();
  await waitForBundleVersion(flagId, finalVersion, 15_000);
  const bundleFinalAt = performance.now();
  await sleep(1_500); // a trailing write would land here

  const current = (await api('GET', `/admin/flags/${flagId}`)).body.flag;
  const kvFinal = await kvFlag(flagId);
  const bundleFinal = (await kvBundle())?.flags[flagId];
  const flagWrites = (await flagStub(flagId).benchKvWrites()).slice(flagWritesBefore);
  const catalogWrites = (await catalogStub().benchKvWrites()).slice(catalogWritesBefore);
  const flagKey = writeRate(flagWrites, `flag:${flagId}`);
  const bundleKey = writeRate(catalogWrites, 'flags:bundle');

  // The article's updateRollout under the same burst: read the flag, change it, write it back.
  const articleId = 'adm-burst-article';
  await benchEnv.FLAGS_KV.put(`flag:${articleId}`, JSON.stringify({ id: articleId, enabled: true, rollout_percentage: 0 }));
  const effects = newEffects();
  const articleCalls: Promise<void>[] = [];
  let lastPercentage = 0;
  for (let i = 0; i < BURST; i++) {
    lastPercentage = (i % 100) + 1;
    articleCalls.push(updateRollout(articleId, lastPercentage, { KV: benchEnv.FLAGS_KV }, effects));
    await sleep(BURST_EVERY_MS);
  }
  await Promise.all(articleCalls);
  const articleFinal = await benchEnv.FLAGS_KV.get<{ rollout_percentage: number }>(`flag:${articleId}`, 'json');

  return {
    changes: BURST,
    spacing_ms: BURST_EVERY_MS,
    burst_ms: round(lastAnswered - start, 1),
    all_accepted: results.every((r) => r.status === 200),
    versions_distinct: new Set(results.map((r) => r.version)).size,
    durable_object: {
      flag_key: { ...flagKey, versions_written: flagWrites.filter((w) => w.key === `flag:${flagId}`).map((w) => w.version) },
      bundle_key: bundleKey,
      final_version_expected: finalVersion,
      final_version_object: current.version,
      final_version_flag_key: kvFinal?.version ?? null,
      final_version_bundle: bundleFinal?.version ?? null,
      final_state_matches:
        current.version === finalVersion &&
        kvFinal?.version === current.version &&
        kvFinal?.rollout_percentage === current.rollout_percentage &&
        bundleFinal?.version === current.version,
      ms_last_answer_to_flag_key_final: round(kvFinalAt - lastAnswered, 1),
      ms_last_answer_to_bundle_final: round(bundleFinalAt - lastAnswered, 1),
    },
    article: {
      flag_key: writeRate(effects.puts, `flag:${articleId}`),
      final_matches_last_change: articleFinal?.rollout_percentage === lastPercentage,
    },
  };
}
