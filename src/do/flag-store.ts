/**
 * SQL access for one flag object: config, history, window buckets, exposures, change requests,
 * state (the outbox is `outbox.ts`).
 * Synchronous by design (Durable Object SQLite), so callers compose it inside `transactionSync`.
 */
import type { FlagConfig } from '../flags/schema';
import type { FlagAction } from '../flags/changes';
import type { ChangeRequest, RequestStatus } from '../flags/change-requests';
import type { HistoryEntry } from '../flags/history';
import type { WindowCounts } from '../flags/window';
import { StateTable } from './state-table';

type HistoryRow = {
  version: number;
  action: string;
  actor: string;
  reason: string | null;
  before: string | null;
  after: string;
  details: string | null;
  created_at: string;
};

export class FlagStore {
  /** Small named values; the outbox keeps its KV write slot here too. */
  readonly state: StateTable;

  constructor(private readonly sql: SqlStorage) {
    this.state = new StateTable(sql);
  }

  // ---- config ----
  config(): FlagConfig | null {
    const row = this.sql.exec<{ config: string }>('SELECT config FROM flag WHERE singleton = 1').toArray()[0];
    return row ? (JSON.parse(row.config) as FlagConfig) : null;
  }

  saveConfig(flag: FlagConfig): void {
    this.sql.exec(
      `INSERT INTO flag (singleton, id, version, config) VALUES (1, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, config = excluded.config`,
      flag.id,
      flag.version,
      JSON.stringify(flag),
    );
  }

  // ---- history ----
  appendHistory(entry: HistoryEntry): void {
    this.sql.exec(
      'INSERT INTO history (version, action, actor, reason, before, after, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      entry.version,
      entry.action,
      entry.actor,
      entry.reason,
      entry.before ? JSON.stringify(entry.before) : null,
      JSON.stringify(entry.after),
      entry.details ? JSON.stringify(entry.details) : null,
      entry.created_at,
    );
  }

  /** Newest first, versions strictly below `before` when given. */
  history(limit: number, before?: number): HistoryEntry[] {
    const rows = before
      ? this.sql.exec<HistoryRow>('SELECT * FROM history WHERE version < ? ORDER BY version DESC LIMIT ?', before, limit)
      : this.sql.exec<HistoryRow>('SELECT * FROM history ORDER BY version DESC LIMIT ?', limit);
    return rows.toArray().map(parseHistory);
  }

  historyEntry(version: number): HistoryEntry | null {
    const row = this.sql.exec<HistoryRow>('SELECT * FROM history WHERE version = ?', version).toArray()[0];
    return row ? parseHistory(row) : null;
  }

  lastHistoryEntry(action: FlagAction): HistoryEntry | null {
    const row = this.sql
      .exec<HistoryRow>('SELECT * FROM history WHERE action = ? ORDER BY version DESC LIMIT 1', action)
      .toArray()[0];
    return row ? parseHistory(row) : null;
  }

  // ---- window ----
  addToBucket(bucketStart: number, variant: string, failures: number, successes: number): void {
    this.sql.exec(
      `INSERT INTO window_buckets (bucket_start, variant, failures, successes) VALUES (?, ?, ?, ?)
       ON CONFLICT (bucket_start, variant) DO UPDATE SET
         failures = failures + excluded.failures, successes = successes + excluded.successes`,
      bucketStart,
      variant,
      failures,
      successes,
    );
  }

  windowCounts(floorMs: number): WindowCounts {
    const row = this.sql
      .exec<{ failures: number | null; successes: number | null }>(
        'SELECT SUM(failures) AS failures, SUM(successes) AS successes FROM window_buckets WHERE bucket_start > ?',
        floorMs,
      )
      .one();
    return { failures: row.failures ?? 0, successes: row.successes ?? 0 };
  }

  windowByVariant(floorMs: number): Record<string, WindowCounts> {
    const rows = this.sql
      .exec<{ variant: string; failures: number; successes: number }>(
        `SELECT variant, SUM(failures) AS failures, SUM(successes) AS successes FROM window_buckets
         WHERE bucket_start > ? GROUP BY variant`,
        floorMs,
      )
      .toArray();
    return Object.fromEntries(rows.map((r) => [r.variant, { failures: r.failures, successes: r.successes }]));
  }

  windowBuckets(floorMs: number): { start: number; failures: number; successes: number }[] {
    return this.sql
      .exec<{ start: number; failures: number; successes: number }>(
        `SELECT bucket_start AS start, SUM(failures) AS failures, SUM(successes) AS successes FROM window_buckets
         WHERE bucket_start > ? GROUP BY bucket_start ORDER BY bucket_start`,
        floorMs,
      )
      .toArray();
  }

  pruneBuckets(floorMs: number): void {
    this.sql.exec('DELETE FROM window_buckets WHERE bucket_start <= ?', floorMs);
  }

  clearWindow(): void {
    this.sql.exec('DELETE FROM window_buckets');
  }

  oldestBucket(): number | null {
    return this.sql.exec<{ at: number | null }>('SELECT MIN(bucket_start) AS at FROM window_buckets').one().at;
  }

  // ---- exposures ----
  addExposures(variants: Record<string, number>, lastAt: number): void {
    for (const [variant, count] of Object.entries(variants)) {
      this.sql.exec(
        `INSERT INTO exposures (variant, count, last_at) VALUES (?, ?, ?)
         ON CONFLICT (variant) DO UPDATE SET count = count + excluded.count, last_at = MAX(last_at, excluded.last_at)`,
        variant,
        count,
        lastAt,
      );
    }
  }

  exposures(): { variant: string; count: number; last_at: number }[] {
    return this.sql.exec<{ variant: string; count: number; last_at: number }>('SELECT * FROM exposures ORDER BY variant').toArray();
  }

  // ---- change requests ----
  /** The number of the flag's next change request. */
  nextRequestNumber(): number {
    return (this.sql.exec<{ n: number | null }>('SELECT MAX(n) AS n FROM change_requests').one().n ?? 0) + 1;
  }

  saveChangeRequest(n: number, request: ChangeRequest): void {
    this.sql.exec(
      `INSERT INTO change_requests (n, status, apply_at, request) VALUES (?, ?, ?, ?)
       ON CONFLICT (n) DO UPDATE SET status = excluded.status, apply_at = excluded.apply_at, request = excluded.request`,
      n,
      request.status,
      request.apply_at === undefined ? null : Date.parse(request.apply_at),
      JSON.stringify(request),
    );
  }

  changeRequest(n: number): ChangeRequest | null {
    const row = this.sql.exec<{ request: string }>('SELECT request FROM change_requests WHERE n = ?', n).toArray()[0];
    return row ? (JSON.parse(row.request) as ChangeRequest) : null;
  }

  /** Newest first; only those in `statuses` when given. */
  changeRequests(statuses: readonly RequestStatus[] | undefined, limit: number): ChangeRequest[] {
    const rows = statuses
      ? this.sql.exec<{ request: string }>(
          `SELECT request FROM change_requests WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY n DESC LIMIT ?`,
          ...statuses,
          limit,
        )
      : this.sql.exec<{ request: string }>('SELECT request FROM change_requests ORDER BY n DESC LIMIT ?', limit);
    return rows.toArray().map((row) => JSON.parse(row.request) as ChangeRequest);
  }

  /** Scheduled requests due at `nowMs`, in the order they were made. */
  dueRequests(nowMs: number): { n: number; request: ChangeRequest }[] {
    return this.sql
      .exec<{ n: number; request: string }>(
        "SELECT n, request FROM change_requests WHERE status = 'scheduled' AND COALESCE(apply_at, 0) <= ? ORDER BY apply_at, n",
        nowMs,
      )
      .toArray()
      .map((row) => ({ n: row.n, request: JSON.parse(row.request) as ChangeRequest }));
  }

  /** When the next scheduled request is due (ms), or null. */
  nextScheduled(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(COALESCE(apply_at, 0)) AS at FROM change_requests WHERE status = 'scheduled'").one().at;
  }

  // ---- state ----
  getState<T>(key: string): T | undefined {
    return this.state.get<T>(key);
  }

  setState(key: string, value: unknown): void {
    this.state.set(key, value);
  }
}

function parseHistory(row: HistoryRow): HistoryEntry {
  return {
    version: row.version,
    action: row.action as FlagAction,
    actor: row.actor,
    reason: row.reason,
    before: row.before ? (JSON.parse(row.before) as FlagConfig) : null,
    after: JSON.parse(row.after) as FlagConfig,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    created_at: row.created_at,
  };
}
