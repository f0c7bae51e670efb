/**
 * The change feed (issue 13): pure rules shared by the catalog, which writes it, and the relays,
 * which serve it. A feed holds the newest entry per flag or segment (`kind` + `id`), each with a
 * `seq` taken from one counter that only grows; `head` is the highest `seq` ever given and
 * `floor` the highest one dropped by retention. A reader whose cursor is below the floor may have
 * missed a dropped entry, so it is told to reset (reload its bulk source).
 */
import type { ChangeEntry, ChangesAnswer } from './model';

/** A feed as one object holds it. `entries` are ordered by `seq`. */
export interface FeedState {
  head: number;
  floor: number;
  entries: ChangeEntry[];
}

/**
 * What the catalog pushes to a relay: every retained entry with `seq > from`, and the catalog's
 * head and floor. A relay whose own head is below `from` has a gap and must take a batch from its
 * own head instead (`acceptBatch` says so).
 */
export interface FeedBatch {
  from: number;
  head: number;
  floor: number;
  entries: ChangeEntry[];
}

export const FEED_DEFAULTS = {
  retentionSeconds: 600,
  relayCount: 4,
  cacheMs: 500,
} as const;

/**
 * A relay's feed after taking `batch`, or null when the batch does not connect (the relay's head
 * is below `batch.from`, so entries between them would be missing). Idempotent: an entry only
 * replaces one of the same flag or segment with a lower `seq`.
 */
export function acceptBatch(feed: FeedState, batch: FeedBatch): FeedState | null {
  if (batch.from > feed.head) return null;
  const floor = Math.max(feed.floor, batch.floor);
  const head = Math.max(feed.head, batch.head);
  const keys = new Set(batch.entries.map(entryKey));
  if (keys.size === batch.entries.length && allNewer(feed, batch.entries)) {
    // The usual push (the entries after this feed's head, in order, one per flag or segment): one
    // pass drops the entries they replace, and they go at the end; no map or sort of the whole feed.
    const ids = new Set(batch.entries.map((e) => e.id));
    const kept = feed.entries.filter((e) => e.seq > floor && !(ids.has(e.id) && keys.has(entryKey(e))));
    return { head, floor, entries: [...kept, ...batch.entries.filter((e) => e.seq > floor)] };
  }
  const byKey = new Map(feed.entries.map((e) => [entryKey(e), e]));
  for (const entry of batch.entries) {
    const current = byKey.get(entryKey(entry));
    if (!current || current.seq < entry.seq) byKey.set(entryKey(entry), entry);
  }
  return { head, floor, entries: [...byKey.values()].filter((e) => e.seq > floor).sort((a, b) => a.seq - b.seq) };
}

/** Whether every entry is newer than everything `feed` holds, in increasing `seq`. */
function allNewer(feed: FeedState, entries: readonly ChangeEntry[]): boolean {
  let last = feed.head;
  for (const entry of entries) {
    if (entry.seq <= last) return false;
    last = entry.seq;
  }
  return true;
}

/**
 * The answer to `changes since cursor`, or `'behind'` when the cursor is ahead of this feed (the
 * reader got it from a feed further on: the caller should catch up with the catalog and ask again).
 * Cursor 0 is a reader with nothing from the feed yet: it gets every retained entry, no reset.
 */
export function answerSince(feed: FeedState, cursor: number, now: number): ChangesAnswer | 'behind' {
  if (cursor > feed.head) return 'behind';
  const reset = cursor > 0 && cursor < feed.floor;
  const changes = reset ? feed.entries : feed.entries.filter((e) => e.seq > cursor);
  return { cursor: feed.head, reset, served_at: now, changes };
}

/** The answer when the cursor is ahead even of the catalog (its feed was lost): start over. */
export function resetAnswer(feed: FeedState, now: number): ChangesAnswer {
  return { cursor: feed.head, reset: true, served_at: now, changes: feed.entries };
}

/** The relay a reader asks: the same one every time for one reader id, spreading readers evenly. */
export function relayIndex(reader: string, count: number): number {
  // FNV-1a, 32 bits: cheap and well spread for short ids.
  let hash = 0x811c9dc5;
  for (let i = 0; i < reader.length; i++) {
    hash ^= reader.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/** A positive whole number from a variable, or the default when it is unset or not one. */
export function positiveSetting(value: string | undefined, fallback: number, { allowZero = false } = {}): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  return Number.isInteger(parsed) && (parsed > 0 || (allowZero && parsed === 0)) ? parsed : fallback;
}

function entryKey(entry: ChangeEntry): string {
  return `${entry.kind}:${entry.id}`;
}
