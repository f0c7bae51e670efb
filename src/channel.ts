/**
 * The coordinator's side of the change channel (issue 13): `changes since cursor` from a relay,
 * through the per-data-centre Cache API where it works. Used by the RPC entrypoint
 * (`FlagCoordinator.changes`) and by the OFREP route.
 *
 * A reader asks the relay its id hashes to (a random one without an id), so a reader's cursor
 * always comes from one relay and the readers spread evenly. The cache key is the cursor alone:
 * every relay holds the same feed, so the readers of one data centre share answers whatever
 * relay they hash to. An answer is used while younger than CHANNEL_CACHE_MS (its `served_at`
 * says how old it is); the Cache API keeps whole seconds, so that check is ours.
 */
import type { Env } from './env';
import { FEED_DEFAULTS, positiveSetting, relayIndex } from './flags/feed';
import type { ChangesAnswer } from './flags/model';
import { relayCount, relayStub } from './do/stubs';

/** A host of no zone: the key only has to be a URL unique to this use. */
const CACHE_ORIGIN = 'https://changes.flag-coordinator.internal';

export function channelCacheMs(env: Pick<Env, 'CHANNEL_CACHE_MS'>): number {
  return positiveSetting(env.CHANNEL_CACHE_MS, FEED_DEFAULTS.cacheMs, { allowZero: true });
}

/** `changes since cursor`; throws when the relay cannot be reached (callers turn that into their own failure). */
export async function readChanges(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  cursor: number,
  reader?: string,
): Promise<ChangesAnswer> {
  const cacheMs = channelCacheMs(env);
  const key = new Request(`${CACHE_ORIGIN}/changes/${cursor}`);
  if (cacheMs > 0) {
    const cached = await fromCache(key, cacheMs);
    if (cached) return cached;
  }
  const count = relayCount(env);
  const index = reader === undefined ? Math.floor(Math.random() * count) : relayIndex(reader, count);
  const answer = await relayStub(env, index).changes(cursor);
  if (cacheMs > 0) waitUntil(toCache(key, answer, cacheMs));
  return answer;
}

async function fromCache(key: Request, cacheMs: number): Promise<ChangesAnswer | null> {
  try {
    const hit = await caches.default.match(key);
    if (!hit) return null;
    const answer = (await hit.json()) as ChangesAnswer;
    return Date.now() - answer.served_at <= cacheMs ? answer : null;
  } catch {
    // The Cache API is an optimisation: when it fails, ask the relay.
    return null;
  }
}

async function toCache(key: Request, answer: ChangesAnswer, cacheMs: number): Promise<void> {
  const seconds = Math.max(1, Math.ceil(cacheMs / 1000));
  const response = new Response(JSON.stringify(answer), {
    headers: { 'Content-Type': 'application/json', 'Cache-Control': `public, max-age=${seconds}` },
  });
  await caches.default.put(key, response).catch(() => undefined);
}
