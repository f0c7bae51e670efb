/**
 * 5. Storage growth: SQLite rows and bytes of a flag object after 1,000,000 reported failures
 * (1,000 batched reports of 1,000, one simulated second apart through the object's clock), against
 * the same 1,000 reports of one failure each. The window is kept as time buckets, so rows follow
 * the window's length, not the number of failures.
 */
import { check, coordinator, createFlag, flagStub, round } from '../helpers';

const REPORTS = 1_000;
const STEP_MS = 1_000;
const WINDOW_SECONDS = 300;

async function scenario(flagId: string, failuresPerReport: number) {
  await createFlag({ id: flagId, enabled: true, rollout_percentage: 100, auto_kill: { enabled: false, window_seconds: WINDOW_SECONDS } });
  const stub = flagStub(flagId);
  const empty = await stub.benchStorage(WINDOW_SECONDS);
  const start = performance.now();
  for (let i = 0; i < REPORTS; i++) {
    // Simulated time: report i happens i seconds after the first (the object's clock runs ahead).
    await stub.benchClock(i * STEP_MS);
    const answer = await coordinator.report(flagId, { failures: failuresPerReport });
    check(answer.ok, `report ${i} to ${flagId} refused`);
  }
  const sendMs = performance.now() - start;
  const beforePrune = await stub.benchStorage(WINDOW_SECONDS);
  // The alarm prunes buckets that left the window (it may already have run meanwhile); run it once now.
  await stub.benchAlarm();
  const afterPrune = await stub.benchStorage(WINDOW_SECONDS);
  return {
    flag: flagId,
    reports: REPORTS,
    failures_per_report: failuresPerReport,
    failures_total: REPORTS * failuresPerReport,
    simulated_seconds: (REPORTS * STEP_MS) / 1000,
    window_seconds: WINDOW_SECONDS,
    send_ms: round(sendMs, 1),
    empty_flag: { total_rows: empty.total_rows, database_bytes: empty.database_bytes },
    before_prune: beforePrune,
    after_prune: afterPrune,
  };
}

export async function storageGrowth() {
  const million = await scenario('st-million', 1_000);
  const thousand = await scenario('st-thousand', 1);
  return { runs: [million, thousand] };
}
