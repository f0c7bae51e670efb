/**
 * The coordinator's side of the change channel (issue 13): `changes since cursor` from a relay,
 * through the per-data-centre Cache API where it works. Used by the RPC entrypoint
 * (`FlagCoordinator.changes`) and by the OFREP route.
 *
 * A reader asks the relay its id hashes to (a random one without an id), so a reader's cursor
 * always comes from one relay and the readers spread evenly. The cache key is the cursor alone:
 * every relay holds the same feed, so the readers of one data centre share answers whatever
 * relay they hash to. An answer is used while younger than CHANNEL_CACHE_MS (its `served_at`
 * says how old it is); the Cache API keeps whole seconds, so that check is ours. In front of the
 * Cache API, each isolate keeps the answers it got for the same period (`RecentAnswers`).
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

/**
 * Answers this isolate already has, per cursor, while younger than the cache period: the readers
 * one coordinator isolate serves share them, so where the Cache API is inert (workers.dev) or slow
 * under load, a busy isolate still sends about two requests per cursor and period on to the cache
 * and the relays. Only settled answers (plain data) are kept: no request awaits another's I/O.
 * Past half the period, one caller refreshes the answer in the background while the others keep
 * it; without that, every reader between its expiry and the next answer would ask a relay.
 */
class RecentAnswers {
  private readonly answers = new Map<number, { answer: ChangesAnswer; refreshingSince: number | null }>();

  constructor(private readonly max: number) {}

  get(cursor: number, cacheMs: number, now: number): ChangesAnswer | null {
    const held = this.answers.get(cursor);
    if (!held) return null;
    if (now - held.answer.served_at <= cacheMs) return held.answer;
    this.answers.delete(cursor);
    return null;
  }

  /** True for the one caller that should refresh a held answer past half its period. */
  claimRefresh(cursor: number, cacheMs: number, now: number): boolean {
    const held = this.answers.get(cursor);
    if (!held || now - held.answer.served_at < cacheMs / 2) return false;
    // A refresh whose request was cancelled never finishes: another caller may try after a period.
    if (held.refreshingSince !== null && now - held.refreshingSince < cacheMs) return false;
    held.refreshingSince = now;
    return true;
  }

  put(cursor: number, answer: ChangesAnswer): void {
    const held = this.answers.get(cursor);
    if (held && held.answer.served_at > answer.served_at) return;
    this.answers.delete(cursor);
    this.answers.set(cursor, { answer, refreshingSince: null });
    // Readers mostly share the head cursor; a few old cursors are kept, the oldest goes first.
    if (this.answers.size > this.max) this.answers.delete(this.answers.keys().next().value!);
  }
}

const recent = new RecentAnswers(64);

/** `changes since cursor`; throws when the relay cannot be reached (callers turn that into their own failure). */
export async function readChanges(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  cursor: number,
  reader?: string,
): Promise<ChangesAnswer> {
  const cacheMs = channelCacheMs(env);
  if (cacheMs === 0) return fromRelay(env, cursor, reader);
  const now = Date.now();
  const held = recent.get(cursor, cacheMs, now);
  if (!held) return fromCacheOrRelay(env, waitUntil, cursor, reader, cacheMs, 0);
  if (recent.claimRefresh(cursor, cacheMs, now)) waitUntil(fromCacheOrRelay(env, waitUntil, cursor, reader, cacheMs, held.served_at).catch(() => undefined));
  return held;
}

/** The data centre's cached answer when it is newer than `newerThan`, otherwise a relay's; kept in `recent`. */
async function fromCacheOrRelay(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  cursor: number,
  reader: string | undefined,
  cacheMs: number,
  newerThan: number,
): Promise<ChangesAnswer> {
  const key = new Request(`${CACHE_ORIGIN}/changes/${cursor}`);
  let answer = await fromCache(key, cacheMs);
  if (!answer || answer.served_at <= newerThan) {
    answer = await fromRelay(env, cursor, reader);
    waitUntil(toCache(key, answer, cacheMs));
  }
  recent.put(cursor, answer);
  return answer;
}

function fromRelay(env: Env, cursor: number, reader: string | undefined): Promise<ChangesAnswer> {
  const count = relayCount(env);
  const index = reader === undefined ? Math.floor(Math.random() * count) : relayIndex(reader, count);
  return relayStub(env, index).changes(cursor);
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
