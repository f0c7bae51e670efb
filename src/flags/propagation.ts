/**
 * Propagation receipts (issue 13): what the readers of one flag say they served, and whether its
 * current version has reached all of them. Pure rules; the flag object stores one `ReaderRecord`
 * per reader and calls `receive` with each usage flush and `propagation` for the admin read.
 *
 * A reader is one isolate (its random per-isolate id). With every usage flush it sends, per
 * version of the flag it served since the last one, the count and the first and last time served.
 * The coordinator keeps, per reader, the newest version it served, since when, whether it came to
 * that version from an older one, when it was last heard from and when it last served an older
 * version after the current one was accepted. Readers silent for `READER_MAX_AGE_MS` drop out of
 * the answer (and are pruned); at most `MAX_READERS_PER_FLAG` are kept, the least recently heard
 * from evicted first.
 */
import type { ServedVersion } from './model';
import type { FlagConfig } from './schema';

/** A reader not heard from for this long drops out of the answer and is pruned (10 minutes). */
export const READER_MAX_AGE_MS = 10 * 60 * 1000;

/** Readers kept per flag; a new one beyond this evicts the least recently heard from. */
export const MAX_READERS_PER_FLAG = 1_000;

/** What the coordinator keeps of one reader of one flag (times in ms since the epoch). */
export interface ReaderRecord {
  reader: string;
  /** The newest version it reported serving. */
  version: number;
  /** The first time it served `version`. */
  since: number;
  /** It came to `version` from an older one (reported earlier, or in the same flush). */
  moved: boolean;
  /** When its last flush arrived (the coordinator's clock). */
  last_seen_at: number;
  /** The last time it served a version older than the one current then, after that one was accepted. */
  last_stale_at: number | null;
}

/** The flag's current version and when it was accepted. */
export interface CurrentVersion {
  version: number;
  changed_at: number;
}

/** A flag's current version, accepted at its `updated_at`. */
export function currentOf(flag: Pick<FlagConfig, 'version' | 'updated_at'>): CurrentVersion {
  return { version: flag.version, changed_at: Date.parse(flag.updated_at) };
}

/** `GET /admin/flags/:id/propagation`. */
export interface Propagation {
  version: number;
  changed_at: string;
  /** When the last live reader that was on an older version moved to the current one; null while one is not. */
  confirmed_at: string | null;
  /** Live readers whose newest report is an older version. */
  stale_readers: number;
  readers: { reader: string; version: number; last_seen_at: string; last_stale_at: string | null }[];
}

/**
 * A reader's record after one flush. Versions newer than the current one are ignored (no reader
 * can have served them) and so is a flush that only carries versions older than what the reader
 * already reported (a retried, late flush): a reader's version never goes back. Client times are
 * capped at `now`. Null when the flush says nothing usable and there was no record.
 */
export function receive(
  previous: ReaderRecord | null,
  reader: string,
  served: readonly ServedVersion[],
  current: CurrentVersion,
  now: number,
): ReaderRecord | null {
  const usable = served.filter((s) => s.version <= current.version);
  if (usable.length === 0) return previous && { ...previous, last_seen_at: now };
  const top = usable.reduce((a, b) => (b.version > a.version ? b : a));
  const firstAt = Math.min(top.first_at, now);
  let stale = previous?.last_stale_at ?? null;
  for (const s of usable) {
    const lastAt = Math.min(s.last_at, now);
    if (s.version < current.version && lastAt >= current.changed_at && (stale === null || lastAt > stale)) stale = lastAt;
  }
  const record = { reader, last_seen_at: now, last_stale_at: stale };
  if (previous && top.version < previous.version) return { ...previous, ...record };
  if (previous && top.version === previous.version) return { ...previous, ...record, since: Math.min(previous.since, firstAt) };
  const moved = (previous !== null && previous.version < top.version) || usable.some((s) => s.version < top.version);
  return { ...record, version: top.version, since: firstAt, moved };
}

/** Readers heard from within `READER_MAX_AGE_MS` of `now` are live; older ones may be pruned. */
export function liveFloor(now: number): number {
  return now - READER_MAX_AGE_MS;
}

/**
 * The propagation of the current version over the live readers.
 *
 * `confirmed_at`: null with no live reader, or while any live reader's newest report is an older
 * version. Otherwise, the latest time one of the live readers that moved to the current version
 * from an older one first served it; when none moved (every live reader started on the current
 * version), the latest time a live reader first served it. Never earlier than `changed_at`.
 */
export function propagation(current: CurrentVersion, records: readonly ReaderRecord[], now: number): Propagation {
  const floor = liveFloor(now);
  const live = records.filter((r) => r.last_seen_at > floor);
  const lagging = live.filter((r) => r.version < current.version);
  const moved = live.filter((r) => r.moved);
  const pool = moved.length > 0 ? moved : live;
  const confirmed = live.length === 0 || lagging.length > 0 ? null : Math.max(current.changed_at, ...pool.map((r) => r.since));
  return {
    version: current.version,
    changed_at: iso(current.changed_at),
    confirmed_at: confirmed === null ? null : iso(confirmed),
    stale_readers: lagging.length,
    readers: [...live]
      .sort((a, b) => a.version - b.version || b.last_seen_at - a.last_seen_at || (a.reader < b.reader ? -1 : 1))
      .map((r) => ({
        reader: r.reader,
        version: r.version,
        last_seen_at: iso(r.last_seen_at),
        last_stale_at: r.last_stale_at !== null && r.last_stale_at >= current.changed_at ? iso(r.last_stale_at) : null,
      })),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
