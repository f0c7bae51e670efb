/** Time as the Durable Objects see it, and the KV write spacing both of them keep. */

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * KV allows one write per second to a key; publishes of one key are spaced at least this far
 * (a little over the second, so clock granularity never makes two writes look 999 ms apart).
 */
export const KV_WRITE_INTERVAL_MS = 1_050;

/**
 * Sets the alarm to the earliest of `times` (in `clock`'s time), unless an earlier one is set.
 * One alarm serves everything an object has to do later.
 */
export async function scheduleAlarm(storage: DurableObjectStorage, clock: Clock, times: readonly (number | null)[]): Promise<void> {
  const due = times.filter((t): t is number => t !== null);
  if (due.length === 0) return;
  // The clock may be a test clock: convert its time to the wall-clock time alarms run on.
  const wallNow = Date.now();
  const at = Math.max(wallNow, Math.min(...due) - (clock.now() - wallNow));
  const current = await storage.getAlarm();
  // A current alarm in the past is the one running now: it will not fire again.
  if (current === null || current > at || current <= wallNow) await storage.setAlarm(at);
}
