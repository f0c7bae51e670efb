/**
 * The coordinator's Durable Objects with measurement hooks, for the bench Worker only. Their
 * behaviour is the coordinator's own (these classes only extend it): the KV binding they get is
 * wrapped to record every put (key, time, version written), and a few `bench*` methods read their
 * storage, move their clock (the `clock` field the tests also replace) or run their alarm.
 */
import { CatalogObject as CoordinatorCatalogObject, type CatalogEntry } from '../../src/do/catalog-object';
import { FlagObject as CoordinatorFlagObject } from '../../src/do/flag-object';
import type { Env } from '../../src/env';

export interface KvWrite {
  key: string;
  at: number;
  version: number | null;
}

/** An env whose FLAGS_KV records its puts into `writes`. */
function recordingEnv(env: Env, writes: KvWrite[]): Env {
  const kv = env.FLAGS_KV;
  const wrapped = new Proxy(kv, {
    get(target, property) {
      if (property === 'put') {
        return (key: string, value: string, options?: KVNamespacePutOptions) => {
          let version: number | null = null;
          try {
            version = (JSON.parse(value) as { version?: number }).version ?? null;
          } catch {
            /* not JSON */
          }
          writes.push({ key, at: Date.now(), version });
          return target.put(key, value, options);
        };
      }
      const member = Reflect.get(target, property) as unknown;
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
    },
  });
  return new Proxy(env, { get: (target, property) => (property === 'FLAGS_KV' ? wrapped : Reflect.get(target, property)) });
}

export interface StorageFigures {
  rows: Record<string, number>;
  total_rows: number;
  window_bucket_rows: number;
  rows_inside_window: number;
  failures_inside_window: number;
  database_bytes: number;
}

export class FlagObject extends CoordinatorFlagObject {
  private readonly kvWrites: KvWrite[];
  private clockOffsetMs = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    const writes: KvWrite[] = [];
    super(ctx, recordingEnv(env, writes));
    this.kvWrites = writes;
  }

  benchKvWrites(): KvWrite[] {
    return this.kvWrites;
  }

  /** Runs the object's clock `offsetMs` ahead of the wall clock (windows and schedules follow it). */
  benchClock(offsetMs: number): void {
    this.clockOffsetMs = offsetMs;
    this.clock = { now: () => Date.now() + this.clockOffsetMs };
  }

  /** Runs the alarm handler now (pruning, outbox), as the test helper `runDurableObjectAlarm` does. */
  async benchAlarm(): Promise<void> {
    await this.alarm();
  }

  /** `count` single-failure reports run inside the object: its own cost, without any caller hop. */
  benchReportInside(flagId: string, count: number): number {
    let ok = 0;
    for (let i = 0; i < count; i++) if (this.report(flagId, { failures: 1, successes: 0 }).ok) ok++;
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
    const floor = this.clock.now() - windowSeconds * 1000;
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

export class CatalogObject extends CoordinatorCatalogObject {
  private readonly kvWrites: KvWrite[];

  constructor(ctx: DurableObjectState, env: Env) {
    const writes: KvWrite[] = [];
    super(ctx, recordingEnv(env, writes));
    this.kvWrites = writes;
  }

  benchKvWrites(): KvWrite[] {
    return this.kvWrites;
  }

  /** Stores many flags' newest state in one call, as their flag objects' publishes would. */
  benchUpsertFlags(entries: CatalogEntry[]): number {
    for (const entry of entries) this.upsertFlag(entry);
    return entries.length;
  }
}
