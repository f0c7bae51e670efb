/** SQL access for segments and their history, kept by the catalog. */
import type { Segment } from '../flags/schema';

export type SegmentAction = 'create' | 'update' | 'archive';

export interface SegmentHistoryEntry {
  version: number;
  action: SegmentAction;
  actor: string;
  reason: string | null;
  before: Segment | null;
  after: Segment;
  created_at: string;
}

type HistoryRow = { version: number; action: string; actor: string; reason: string | null; before: string | null; after: string; created_at: string };

export class SegmentStore {
  constructor(private readonly sql: SqlStorage) {}

  get(id: string): Segment | null {
    const row = this.sql.exec<{ segment: string }>('SELECT segment FROM segments WHERE id = ?', id).toArray()[0];
    return row ? (JSON.parse(row.segment) as Segment) : null;
  }

  list(includeArchived: boolean): Segment[] {
    return this.sql
      .exec<{ segment: string }>(`SELECT segment FROM segments ${includeArchived ? '' : 'WHERE archived = 0'} ORDER BY id`)
      .toArray()
      .map((row) => JSON.parse(row.segment) as Segment);
  }

  save(segment: Segment, entry: Omit<SegmentHistoryEntry, 'version' | 'after' | 'created_at'>): void {
    this.sql.exec(
      `INSERT INTO segments (id, version, archived, segment) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, archived = excluded.archived, segment = excluded.segment`,
      segment.id,
      segment.version,
      segment.archived ? 1 : 0,
      JSON.stringify(segment),
    );
    this.sql.exec(
      'INSERT INTO segment_history (segment_id, version, action, actor, reason, before, after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      segment.id,
      segment.version,
      entry.action,
      entry.actor,
      entry.reason,
      entry.before ? JSON.stringify(entry.before) : null,
      JSON.stringify(segment),
      segment.updated_at,
    );
  }

  history(id: string, limit: number, before?: number): SegmentHistoryEntry[] {
    const rows = this.sql
      .exec<HistoryRow>(
        'SELECT * FROM segment_history WHERE segment_id = ? AND version < ? ORDER BY version DESC LIMIT ?',
        id,
        before ?? Number.MAX_SAFE_INTEGER,
        limit,
      )
      .toArray();
    return rows.map((row) => ({
      version: row.version,
      action: row.action as SegmentAction,
      actor: row.actor,
      reason: row.reason,
      before: row.before ? (JSON.parse(row.before) as Segment) : null,
      after: JSON.parse(row.after) as Segment,
      created_at: row.created_at,
    }));
  }
}
