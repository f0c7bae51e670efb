/**
 * The coordinator's Durable Objects with measurement hooks, for the bench Worker only. They are the
 * objects the workerd tests run (test/support/objects.ts: a settable clock, KV puts recorded), plus
 * a few `bench*` methods to read those records and their storage, move their clock or run their alarm.
 */
import type { CatalogEntry } from '../../src/do/catalog-object';
import { RelayObject as CoordinatorRelayObject } from '../../src/do/relay-object';
import type { ChangesAnswer } from '../../src/flags/model';
import { CatalogObject as RecordedCatalogObject, FlagObject as RecordedFlagObject, type KvWrite } from '../../test/support/objects';

export type { KvWrite };

export interface StorageFigures {
  rows: Record<string, number>;
  total_rows: number;
  window_bucket_rows: number;
  rows_inside_window: number;
  failures_inside_window: number;
  database_bytes: number;
}

export class FlagObject extends RecordedFlagObject {
  benchKvWrites(): KvWrite[] {
    return this.kv.writes;
  }

  /** Runs the object's clock `offsetMs` ahead of the wall clock (windows and schedules follow it). */
  benchClock(offsetMs: number): void {
    this.testClock.use({ now: () => Date.now() + offsetMs });
  }

  /** Runs the alarm handler now (pruning, outbox), as the test helper `runDurableObjectAlarm` does. */
  async benchAlarm(): Promise<void> {
    await this.alarm();
  }

  /** `count` single-failure reports run inside the object: its own cost, without any caller hop. */
  async benchReportInside(flagId: string, count: number): Promise<number> {
    let ok = 0;
    for (let i = 0; i < count; i++) if ((await this.report(flagId, { failures: 1, successes: 0 })).ok) ok++;
    return ok;
  }

  /**
   * `count` experiment units stored inside the object, in transactions of 100,000, through the
   * object's own usage path (no RPC, no validation): how the bench fills a flag with a million units.
   */
  benchExperimentUnits(flagId: string, count: number, variants: readonly string[]): number {
    let stored = 0;
    for (let start = 0; start < count; start += 100_000) {
      const units = Array.from({ length: Math.min(100_000, count - start) }, (_, i) => ({ unit: `u${start + i}`, variant: variants[(start + i) % variants.length]!, at: 1_000 }));
      const answer = this.recordUsage(flagId, { variants: {}, last_at: 1_000, units });
      if (answer.ok) stored += answer.value.experiment?.new_units ?? 0;
    }
    return stored;
  }

  /** `count` read-outs inside the object (the caller times the call: the clock stands still inside it). */
  benchReadout(flagId: string, count: number): number {
    let ok = 0;
    for (let i = 0; i < count; i++) if (this.experimentReadout(flagId).ok) ok++;
    return ok;
  }

  benchStorage(windowSeconds: number): StorageFigures {
    const sql = this.ctx.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
      .toArray()
      .map((t) => t.name);
    const rows: Record<string, number> = {};
    for (const table of tables) rows[table] = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`).one().n;
    const floor = this.testClock.now() - windowSeconds * 1000;
    const window = sql
      .exec<{ rows: number; failures: number | null }>('SELECT COUNT(*) AS rows, SUM(failures) AS failures FROM window_buckets WHERE bucket_start > ?', floor)
      .one();
    return {
      rows,
      total_rows: Object.values(rows).reduce((a, b) => a + b, 0),
      window_bucket_rows: rows['window_buckets'] ?? 0,
      rows_inside_window: window.rows,
      failures_inside_window: window.failures ?? 0,
      database_bytes: sql.databaseSize,
    };
  }
}

export class CatalogObject extends RecordedCatalogObject {
  benchKvWrites(): KvWrite[] {
    return this.kv.writes;
  }

  /** Publishes still waiting in the outbox (0: KV holds everything). */
  benchOutboxRows(): number {
    return this.ctx.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').one().n;
  }

  /** Stores many flags' newest state in one call, as their flag objects' publishes would. */
  benchUpsertFlags(entries: CatalogEntry[]): number {
    for (const entry of entries) this.upsertFlag(entry);
    return entries.length;
  }
}

export class RelayObject extends CoordinatorRelayObject {
  /** `changes` calls this object has answered since it started. */
  private served = 0;

  override changes(cursor: number): Promise<ChangesAnswer> {
    this.served++;
    return super.changes(cursor);
  }

  benchServed(): number {
    return this.served;
  }
}
