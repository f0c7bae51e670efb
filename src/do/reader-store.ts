/**
 * SQL access for a flag object's propagation receipts: one row per reader (see
 * src/flags/propagation.ts for the rules and bounds). Synchronous, for `transactionSync`.
 */
import { MAX_READERS_PER_FLAG, type ReaderRecord } from '../flags/propagation';

type ReaderRow = Omit<ReaderRecord, 'moved'> & { moved: number };

export class ReaderStore {
  constructor(private readonly sql: SqlStorage) {}

  get(reader: string): ReaderRecord | null {
    const row = this.sql.exec<ReaderRow>('SELECT * FROM readers WHERE reader = ?', reader).toArray()[0];
    return row ? toRecord(row) : null;
  }

  /** Stores a reader's record; a new reader beyond the bound evicts the least recently seen. */
  save(record: ReaderRecord, isNew: boolean): void {
    if (isNew) {
      const { n } = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM readers').one();
      if (n >= MAX_READERS_PER_FLAG) {
        this.sql.exec('DELETE FROM readers WHERE reader IN (SELECT reader FROM readers ORDER BY last_seen_at LIMIT ?)', n - MAX_READERS_PER_FLAG + 1);
      }
    }
    this.sql.exec(
      `INSERT INTO readers (reader, version, since, moved, last_seen_at, last_stale_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (reader) DO UPDATE SET version = excluded.version, since = excluded.since, moved = excluded.moved,
         last_seen_at = excluded.last_seen_at, last_stale_at = excluded.last_stale_at`,
      record.reader,
      record.version,
      record.since,
      record.moved ? 1 : 0,
      record.last_seen_at,
      record.last_stale_at,
    );
  }

  /** Readers heard from after `floor` (ms). */
  live(floor: number): ReaderRecord[] {
    return this.sql.exec<ReaderRow>('SELECT * FROM readers WHERE last_seen_at > ?', floor).toArray().map(toRecord);
  }

  /** Drops readers not heard from since `floor` (ms). */
  prune(floor: number): void {
    this.sql.exec('DELETE FROM readers WHERE last_seen_at <= ?', floor);
  }
}

function toRecord(row: ReaderRow): ReaderRecord {
  return { ...row, moved: row.moved === 1 };
}
