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
