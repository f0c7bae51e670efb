/**
 * The flag model as application Workers see it, without validation code: KV key names and the
 * shapes of what the coordinator publishes. The SDK imports runtime values from here and from the
 * evaluation modules only, never from `schema.ts`, which builds zod schemas when it loads. The
 * shapes are derived there from the one definition of a flag's fields; only their types come here.
 */
import type { FlagBundle, FlagSnapshot } from './schema';

export type { FlagBundle, FlagSnapshot, FlagType } from './schema';

export const KV_KEYS = {
  /** Every flag and segment in one value: the hot path's only read. Written by the catalog alone. */
  bundle: 'flags:bundle',
  /** The article's per-flag key, kept for migration. Written by that flag's object alone. */
  flag: (id: string) => `flag:${id}`,
} as const;

/**
 * Bounds of one `report` call (the coordinator's `reportSchema` enforces them; the SDK's reporter
 * splits and trims its batches to stay inside them).
 */
export const REPORT_LIMITS = {
  /** Failures in one report (also the bound of the article's `count`). */
  maxFailures: 100_000,
  /** Successes in one report. */
  maxSuccesses: 1_000_000,
  /** Longest error sample a report may carry. */
  maxErrorSampleLength: 1_000,
} as const;

/** Bounds of one `recordUsage` call (the coordinator's `usageSchema`). */
export const USAGE_LIMITS = {
  /** Evaluations counted for one variant in one call. */
  maxPerVariant: 100_000_000,
  /** Distinct variants in one call. */
  maxVariants: 50,
  /** Experiment exposures (units) in one call; a reader keeps the rest for its next flush. */
  maxUnits: 2_000,
  /** Metric events in one call (and in one `POST /v1/flags/:id/events`). */
  maxEvents: 2_000,
  /** Largest magnitude of one event's value. */
  maxEventValue: 1e12,
  /** Versions in one call's propagation receipt (`served`); a reader sends its newest. */
  maxServed: 20,
} as const;

/** A segment as the bundle and the change feed carry it. */
export type SegmentSnapshot = FlagBundle['segments'][string];

/**
 * One entry of the change feed (issue 13): the newest accepted config of one flag or segment.
 * `snapshot: null` means the flag or segment is gone from readers (archived or deleted).
 * `seq` orders the feed; `changed_at` (ms since epoch) is when the coordinator accepted the change.
 */
export type ChangeEntry =
  | { kind: 'flag'; id: string; version: number; seq: number; changed_at: number; snapshot: FlagSnapshot | null }
  | { kind: 'segment'; id: string; version: number; seq: number; changed_at: number; snapshot: SegmentSnapshot | null };

/**
 * Answer of the coordinator's `changes(cursor, { reader })` RPC: every retained change with
 * `seq > cursor`, newest per id. `cursor` is what to ask from next. `reset` says the asked cursor
 * is older than the feed's retention (the reader must reload its bulk source; `changes` then holds
 * all retained entries). `served_at` is when the answer was produced (it may come from a
 * per-data-centre cache, so it can be up to the cache period old).
 */
export interface ChangesAnswer {
  cursor: number;
  reset: boolean;
  served_at: number;
  changes: ChangeEntry[];
}

/** Per version of one flag, what one reader served since its last usage flush (propagation receipts). */
export interface ServedVersion {
  version: number;
  count: number;
  first_at: number;
  last_at: number;
}

/** What report and usage answers tell the caller about the flag (its snapshot only when the caller's is older). */
export interface FlagStateAnswer {
  version: number;
  enabled: boolean;
  snapshot?: FlagSnapshot;
}
