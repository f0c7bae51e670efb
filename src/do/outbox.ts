/**
 * The outbox of a Durable Object, and its one drainer (FlagObject and CatalogObject both use it).
 *
 * A change writes its side effects as rows of the `outbox` table in its own transaction; they are
 * delivered afterwards, at least once, and a failure is retried with exponential back-off. Two
 * kinds of channel:
 *  - publish (`latest`): a delivery sends the newest state, which settles every row of that kind
 *    up to the version it sent. One delivery per channel is in flight at a time, so what a
 *    receiver sees only moves forward; a `spaced` channel writes at most once per
 *    `KV_WRITE_INTERVAL_MS` (KV's one write per second to a key), later rows wait for the slot;
 *  - notify (`each`): every row is its own delivery, started as soon as it is due and finished on
 *    its own, so a slow or dead receiver holds back no other event.
 * The owner's alarm is set from `nextAttempt()` (the earliest row due) among its own times.
 */
import type { StateTable } from './state-table';
import { KV_WRITE_INTERVAL_MS, type Clock } from './timing';

const MAX_BACKOFF_MS = 60 * 60 * 1000;

export type OutboxRow = {
  id: number;
  kind: string;
  version: number;
  payload: string;
  attempts: number;
  next_attempt_at: number;
};

export type Channel =
  | {
      mode: 'latest';
      spaced?: boolean;
      /** The newest version and how to send it; null when there is nothing to send. */
      latest(): { version: number; send(): Promise<unknown> } | null;
    }
  | { mode: 'each'; deliver(row: OutboxRow): Promise<unknown> };

export class Outbox<K extends string> {
  private readonly flights = new Map<K, Promise<void>>();
  private readonly delivering = new Set<number>();

  /** `settled` runs after every delivery, so the owner can set its next alarm. */
  constructor(
    private readonly sql: SqlStorage,
    private readonly state: StateTable,
    private readonly clock: Clock,
    private readonly channels: Record<K, Channel>,
    private readonly settled: () => void,
  ) {}

  /** Call inside the transaction of the change the row belongs to. */
  enqueue(kind: K, version: number, payload: unknown = null): void {
    const now = this.clock.now();
    this.sql.exec(
      'INSERT INTO outbox (kind, version, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)',
      kind,
      version,
      JSON.stringify(payload),
      now,
      now,
    );
  }

  /**
   * Starts every due delivery not already under way. Resolves when the deliveries under way
   * have finished, which the alarm waits for; nothing else waits on another row's delivery.
   */
  drain(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [kind, channel] of Object.entries(this.channels) as [K, Channel][]) {
      if (channel.mode === 'latest') work.push(this.publish(kind, channel));
      else work.push(...this.deliverDue(kind, channel));
    }
    return Promise.all(work).then(() => undefined);
  }

  /** The publishes under way, if any: what an admin change waits for before it answers. */
  publishing(): Promise<void> | null {
    return this.flights.size ? Promise.all(this.flights.values()).then(() => undefined) : null;
  }

  /** When the earliest row is due (ms), or null when the outbox is empty. */
  nextAttempt(): number | null {
    return this.sql.exec<{ at: number | null }>('SELECT MIN(next_attempt_at) AS at FROM outbox').one().at;
  }

  pending(): { kind: string; count: number; attempts: number }[] {
    return this.sql
      .exec<{ kind: string; count: number; attempts: number }>('SELECT kind, COUNT(*) AS count, MAX(attempts) AS attempts FROM outbox GROUP BY kind')
      .toArray();
  }

  private publish(kind: K, channel: Extract<Channel, { mode: 'latest' }>): Promise<void> {
    let flight = this.flights.get(kind);
    if (!flight) {
      flight = this.publishLoop(kind, channel).finally(() => {
        this.flights.delete(kind);
        this.settled();
      });
      this.flights.set(kind, flight);
    }
    return flight;
  }

  private async publishLoop(kind: K, channel: Extract<Channel, { mode: 'latest' }>): Promise<void> {
    for (;;) {
      const rows = this.due(kind);
      const newest = channel.latest();
      if (rows.length === 0 || !newest) return;
      const now = this.clock.now();
      const ids = rows.map((r) => r.id);
      if (channel.spaced) {
        const slot = (this.state.get<number>(slotKey(kind)) ?? 0) + KV_WRITE_INTERVAL_MS;
        if (now < slot) return this.postpone(ids, slot, null, false);
        this.state.set(slotKey(kind), now);
      }
      try {
        await newest.send();
        this.sql.exec('DELETE FROM outbox WHERE kind = ? AND version <= ?', kind, newest.version);
      } catch (error) {
        const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
        return this.postpone(ids, this.clock.now() + backoffMs(attempts), errorText(error), true);
      }
    }
  }

  private deliverDue(kind: K, channel: Extract<Channel, { mode: 'each' }>): Promise<void>[] {
    return this.due(kind)
      .filter((row) => !this.delivering.has(row.id))
      .map(async (row) => {
        this.delivering.add(row.id);
        try {
          await channel.deliver(row);
          this.sql.exec('DELETE FROM outbox WHERE id = ?', row.id);
        } catch (error) {
          this.postpone([row.id], this.clock.now() + backoffMs(row.attempts + 1), errorText(error), true);
        } finally {
          this.delivering.delete(row.id);
          this.settled();
        }
      });
  }

  private due(kind: K): OutboxRow[] {
    return this.sql
      .exec<OutboxRow>(
        'SELECT id, kind, version, payload, attempts, next_attempt_at FROM outbox WHERE kind = ? AND next_attempt_at <= ? ORDER BY id',
        kind,
        this.clock.now(),
      )
      .toArray();
  }

  /** After a failure (counted as an attempt), or to wait for the KV write slot (not counted). */
  private postpone(ids: readonly number[], untilMs: number, error: string | null, countAttempt: boolean): void {
    for (const id of ids) {
      this.sql.exec(
        'UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + ? WHERE id = ?',
        untilMs,
        error,
        countAttempt ? 1 : 0,
        id,
      );
    }
  }
}

/** 1 s, 2 s, 4 s … up to an hour. */
function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** The state key of a spaced channel's last write: `kv_last_write_at` for the `kv` channel. */
function slotKey(kind: string): string {
  return `${kind}_last_write_at`;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
