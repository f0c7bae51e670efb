/**
 * SQL access for the change feed (src/flags/feed.ts has the rules): the catalog's `feed` table,
 * which it appends to, and each relay's copy of it. Synchronous, so callers compose it inside
 * `transactionSync`.
 */
import type { FeedBatch, FeedState } from '../flags/feed';
import type { ChangeEntry } from '../flags/model';
import type { StateTable } from './state-table';

type FeedRow = { kind: string; id: string; seq: number; version: number; changed_at: number; snapshot: string | null };

export type NewChange = Omit<ChangeEntry, 'seq'>;

export class FeedStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly state: StateTable,
  ) {}

  head(): number {
    return this.state.get<number>('feed_head') ?? 0;
  }

  load(): FeedState {
    const entries = this.sql.exec<FeedRow>('SELECT * FROM feed ORDER BY seq').toArray().map(toEntry);
    return { head: this.head(), floor: this.state.get<number>('feed_floor') ?? 0, entries };
  }

  /** Every retained entry after `from`, with the head and floor: what the catalog pushes or fills a relay with. */
  batchSince(from: number): FeedBatch {
    const entries = this.sql.exec<FeedRow>('SELECT * FROM feed WHERE seq > ? ORDER BY seq', from).toArray().map(toEntry);
    return { from, head: this.head(), floor: this.state.get<number>('feed_floor') ?? 0, entries };
  }

  /** Appends a change as the newest entry of its flag or segment; returns its `seq`. */
  append(change: NewChange): number {
    const seq = this.head() + 1;
    this.sql.exec(
      `INSERT INTO feed (kind, id, seq, version, changed_at, snapshot) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, version = excluded.version,
         changed_at = excluded.changed_at, snapshot = excluded.snapshot`,
      change.kind,
      change.id,
      seq,
      change.version,
      change.changed_at,
      change.snapshot === null ? null : JSON.stringify(change.snapshot),
    );
    this.state.set('feed_head', seq);
    return seq;
  }

  /**
   * Retention: raises the floor to the highest `seq` accepted before `cutoffMs` and drops every
   * entry at or below it, never the newest entry (so one may go a little early when two publishes crossed and `seq` and
   * `changed_at` disagree in order; a reader older than the floor resets either way).
   */
  trim(cutoffMs: number): void {
    const old = this.sql.exec<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM feed INDEXED BY feed_changed WHERE changed_at < ? AND seq < ?', cutoffMs, this.head()).one().seq;
    if (old !== null) this.dropUpTo(Math.max(old, this.state.get<number>('feed_floor') ?? 0));
  }

  /** Drops entries up to `floor` and records it. */
  dropUpTo(floor: number): void {
    this.sql.exec('DELETE FROM feed WHERE seq <= ?', floor);
    this.state.set('feed_floor', floor);
  }

  /**
   * Stores what a relay's feed became on taking `batch` (`next`, from `acceptBatch`): the batch's
   * entries where they are newer, the new head and floor, nothing at or below the floor.
   */
  applyBatch(batch: FeedBatch, next: FeedState): void {
    for (const entry of batch.entries) {
      this.sql.exec(
        `INSERT INTO feed (kind, id, seq, version, changed_at, snapshot) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, version = excluded.version,
           changed_at = excluded.changed_at, snapshot = excluded.snapshot
         WHERE excluded.seq > feed.seq`,
        entry.kind,
        entry.id,
        entry.seq,
        entry.version,
        entry.changed_at,
        entry.snapshot === null ? null : JSON.stringify(entry.snapshot),
      );
    }
    this.state.set('feed_head', next.head);
    this.dropUpTo(next.floor);
  }
}

function toEntry(row: FeedRow): ChangeEntry {
  const snapshot = row.snapshot === null ? null : JSON.parse(row.snapshot);
  return { kind: row.kind as 'flag', id: row.id, seq: row.seq, version: row.version, changed_at: row.changed_at, snapshot };
}
