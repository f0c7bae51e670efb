/**
 * The catalog's publisher of the sharded read path (src/flags/shards.ts has the format).
 *
 * A change marks the shard(s) that hold its id dirty, in the change's own transaction, and queues
 * one `shards` row in the catalog's outbox. A delivery writes every dirty shard (up to
 * MAX_PUTS_PER_DELIVERY), then the manifest naming the versions now in KV. The channel is spaced,
 * so each key is written at most once per KV_WRITE_INTERVAL_MS however many changes hit it: a
 * burst of creates costs one write per touched shard per second, and a change rewrites only the
 * shard that holds it (plus the small manifest).
 *
 * Layouts only grow. When the live count outgrows one, the next (twice the shards) is written
 * beside it under its own keys while readers keep using the current one, which changes keep
 * updating too; the manifest moves to the new layout once all its shards are in KV. The outgrown
 * layout's shards are then retired: no longer written, and their keys deleted `deleteDelayMs`
 * after the first manifest naming the new layout is in KV (a reader reads shards right after the
 * manifest, but KV may serve it an older manifest for a while), by the catalog's alarm.
 */
import {
  FLAGS_PER_SHARD,
  INLINE_MAX_BYTES,
  idHash,
  layoutFor,
  SEGMENTS_PER_SHARD,
  SHARD_KEYS,
  shardOfHash,
  shardRange,
  type ShardKind,
  type ShardLayout,
  type ShardManifest,
} from '../flags/shards';
import type { Segment } from '../flags/schema';
import type { Channel } from './outbox';
import type { StateTable } from './state-table';
import type { Clock } from './timing';

/** KV writes of one delivery, at most (a Worker invocation has a bounded number of KV operations). */
export const MAX_PUTS_PER_DELIVERY = 100;

/** The subset of a KV binding the publisher writes with. */
export interface KvWriter {
  put(key: string, value: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/** A retired shard's key whose delete failed is tried again this much later. */
const DELETE_RETRY_MS = 60_000;

export interface PublisherOptions {
  /** Live flags (the catalog keeps the count with the rows). */
  liveFlags(): number;
  /** How long an outgrown layout's keys stay in KV after the first manifest that no longer names it. */
  deleteDelayMs: number;
}

interface Layouts {
  /** The layout the manifest names. */
  active: number;
  /** A larger layout being written; equal to `active` when none is. */
  target: number;
}

type DirtyRow = { kind: ShardKind; layout: number; n: number; version: number; dirty_seq: number };
type RetiredRow = { kind: ShardKind; layout: number; n: number; published: number };

const TABLE: Record<ShardKind, string> = { flags: 'flags', segments: 'segments' };
const PER_SHARD: Record<ShardKind, number> = { flags: FLAGS_PER_SHARD, segments: SEGMENTS_PER_SHARD };

export class ShardPublisher {
  constructor(
    private readonly sql: SqlStorage,
    private readonly state: StateTable,
    private readonly clock: Clock,
    private readonly kv: () => KvWriter,
    private readonly options: PublisherOptions,
  ) {}

  /**
   * At object start: hashes rows stored before the shards existed and marks their shards dirty.
   * Returns the sequence number to queue a publish for, or null when nothing is waiting.
   */
  start(): number | null {
    let seq: number | null = null;
    for (const kind of ['flags', 'segments'] as const) {
      const rows = this.sql.exec<{ id: string }>(`SELECT id FROM ${TABLE[kind]} WHERE hash IS NULL`).toArray();
      for (const { id } of rows) seq = this.touched(kind, id);
    }
    return seq;
  }

  /** Call inside the transaction of a change to a flag or segment row; returns the seq to queue. */
  touched(kind: ShardKind, id: string): number {
    const seq = (this.state.get<number>('shards_seq') ?? 0) + 1;
    this.state.set('shards_seq', seq);
    const hash = idHash(id);
    this.sql.exec(`UPDATE ${TABLE[kind]} SET hash = ? WHERE id = ?`, hash, id);
    const layouts = this.grow(kind, seq);
    for (const layout of new Set([layouts.active, layouts.target])) this.markDirty(kind, layout, shardOfHash(hash, layout), seq);
    return seq;
  }

  /** The outbox channel: newest shards, then the manifest, spaced to KV's write rate. */
  channel(): Channel {
    return {
      mode: 'latest',
      spaced: true,
      latest: () => {
        const current = this.state.get<number>('shards_seq') ?? 0;
        const dirty = this.sql
          .exec<DirtyRow>('SELECT kind, layout, n, version, dirty_seq FROM shards WHERE dirty_seq IS NOT NULL ORDER BY dirty_seq LIMIT ?', MAX_PUTS_PER_DELIVERY + 1)
          .toArray();
        const batch = dirty.slice(0, MAX_PUTS_PER_DELIVERY);
        const rest = dirty[MAX_PUTS_PER_DELIVERY];
        // Settled up to just before the oldest change this delivery leaves for the next one.
        const version = rest ? rest.dirty_seq - 1 : current;
        return { version, send: () => this.deliver(batch) };
      },
    };
  }

  /** The manifest as it would be written now. */
  manifest(): ShardManifest {
    const manifest: ShardManifest = {
      schema: 2,
      generated_at: new Date(this.clock.now()).toISOString(),
      flags: this.publishedLayout('flags'),
      segments: this.publishedLayout('segments'),
    };
    // A snapshot takes over 100 bytes: a larger catalog cannot fit, and summing its sizes would read every row.
    if (this.live('flags') + this.live('segments') > INLINE_MAX_BYTES / 100) return manifest;
    const flagBytes = this.sql.exec<{ b: number | null }>('SELECT SUM(length(snapshot)) AS b FROM flags WHERE archived = 0').one().b ?? 0;
    const segmentBytes = this.sql.exec<{ b: number | null }>('SELECT SUM(length(segment)) AS b FROM segments WHERE archived = 0').one().b ?? 0;
    const bytes = flagBytes + segmentBytes;
    if (bytes <= INLINE_MAX_BYTES) {
      manifest.inline = {
        flags: JSON.parse(this.flagsJson(0, 2 ** 32)) as NonNullable<ShardManifest['inline']>['flags'],
        segments: JSON.parse(this.segmentsJson(0, 2 ** 32)) as NonNullable<ShardManifest['inline']>['segments'],
      };
    }
    return manifest;
  }

  /** The JSON value of one shard, built from the stored snapshots without parsing them. */
  shardValue(kind: ShardKind, layout: number, n: number, version: number): string {
    const [low, high] = shardRange(n, layout);
    const body = kind === 'flags' ? this.flagsJson(low, high) : this.segmentsJson(low, high);
    return `{"schema":2,"layout":${layout},"n":${n},"version":${version},"${kind}":${body}}`;
  }

  layouts(kind: ShardKind): Layouts {
    return this.state.get<Layouts>(`layout_${kind}`) ?? { active: 1, target: 1 };
  }

  private async deliver(batch: readonly DirtyRow[]): Promise<void> {
    const kv = this.kv();
    const sent = await Promise.allSettled(
      batch.map(async (row) => {
        await kv.put(SHARD_KEYS.shard(row.kind, row.layout, row.n), this.shardValue(row.kind, row.layout, row.n, row.version));
        return row;
      }),
    );
    for (const result of sent) {
      if (result.status !== 'fulfilled') continue;
      const row = result.value;
      // A change that arrived during the put keeps the shard dirty (its version moved on).
      this.sql.exec(
        'UPDATE shards SET published = ?, dirty_seq = CASE WHEN version = ? THEN NULL ELSE dirty_seq END WHERE kind = ? AND layout = ? AND n = ?',
        row.version,
        row.version,
        row.kind,
        row.layout,
        row.n,
      );
    }
    for (const kind of ['flags', 'segments'] as const) this.switchWhenWritten(kind);
    const failed = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // The manifest names only versions KV holds, so it is written even when some shard failed.
    await kv.put(SHARD_KEYS.manifest, JSON.stringify(this.manifest()));
    // No manifest in KV names a retired shard from now on: its key may go once readers have moved.
    this.sql.exec('UPDATE shards SET delete_after = ? WHERE retired = 1 AND delete_after IS NULL', this.clock.now() + this.options.deleteDelayMs);
    if (failed) throw failed.reason;
  }

  /** When the earliest retired shard's key is due for deletion (ms), or null when none is waiting. */
  nextDeletion(): number | null {
    return this.sql.exec<{ at: number | null }>('SELECT MIN(delete_after) AS at FROM shards WHERE retired = 1').one().at;
  }

  /** Deletes the keys of retired shards that are due (at most MAX_PUTS_PER_DELIVERY a call), then their rows. */
  async deleteRetired(): Promise<void> {
    const due = this.sql
      .exec<RetiredRow>('SELECT kind, layout, n, published FROM shards WHERE retired = 1 AND delete_after <= ? LIMIT ?', this.clock.now(), MAX_PUTS_PER_DELIVERY)
      .toArray();
    const kv = this.kv();
    const deleted = await Promise.allSettled(
      due.map(async (row) => {
        // A shard never written has no key.
        if (row.published > 0) await kv.delete(SHARD_KEYS.shard(row.kind, row.layout, row.n));
      }),
    );
    due.forEach((row, i) => {
      const ok = deleted[i]!.status === 'fulfilled';
      if (ok) this.sql.exec('DELETE FROM shards WHERE kind = ? AND layout = ? AND n = ?', row.kind, row.layout, row.n);
      else this.sql.exec('UPDATE shards SET delete_after = ? WHERE kind = ? AND layout = ? AND n = ?', this.clock.now() + DELETE_RETRY_MS, row.kind, row.layout, row.n);
    });
  }

  /** Starts the next layout when the live count outgrows the current one: all its non-empty shards dirty. */
  private grow(kind: ShardKind, seq: number): Layouts {
    const layouts = this.layouts(kind);
    const needed = layoutFor(this.live(kind), PER_SHARD[kind], layouts.target);
    if (needed === layouts.target) return layouts;
    const next = { active: layouts.active, target: needed };
    this.state.set(`layout_${kind}`, next);
    // A layout being written that is outgrown already is dropped: only the newest one is finished.
    if (layouts.target !== layouts.active) this.retire(kind, layouts.target);
    const hashes = this.sql.exec<{ hash: number }>(`SELECT hash FROM ${TABLE[kind]} WHERE archived = 0 AND hash IS NOT NULL`).toArray();
    for (const n of new Set(hashes.map((r) => shardOfHash(r.hash, needed)))) this.markDirty(kind, needed, n, seq);
    return next;
  }

  private switchWhenWritten(kind: ShardKind): void {
    const layouts = this.layouts(kind);
    if (layouts.active === layouts.target) return;
    const waiting = this.sql
      .exec<{ n: number }>('SELECT COUNT(*) AS n FROM shards WHERE kind = ? AND layout = ? AND dirty_seq IS NOT NULL', kind, layouts.target)
      .one().n;
    if (waiting > 0) return;
    this.state.set(`layout_${kind}`, { active: layouts.target, target: layouts.target });
    this.retire(kind, layouts.active);
  }

  /** Stops writing a layout's shards; their keys are deleted later (`deleteRetired`). */
  private retire(kind: ShardKind, layout: number): void {
    this.sql.exec('UPDATE shards SET retired = 1, dirty_seq = NULL WHERE kind = ? AND layout = ?', kind, layout);
  }

  private markDirty(kind: ShardKind, layout: number, n: number, seq: number): void {
    this.sql.exec(
      `INSERT INTO shards (kind, layout, n, version, dirty_seq) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (kind, layout, n) DO UPDATE SET version = version + 1, dirty_seq = COALESCE(dirty_seq, excluded.dirty_seq)`,
      kind,
      layout,
      n,
      seq,
    );
  }

  /** Live flags from the catalog's count; segments are few, so they are counted. */
  private live(kind: ShardKind): number {
    if (kind === 'flags') return this.options.liveFlags();
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM segments WHERE archived = 0').one().n;
  }

  private publishedLayout(kind: ShardKind): ShardLayout {
    const { active } = this.layouts(kind);
    const versions = new Array<number>(active).fill(0);
    for (const row of this.sql.exec<{ n: number; published: number }>('SELECT n, published FROM shards WHERE kind = ? AND layout = ?', kind, active)) {
      versions[row.n] = row.published;
    }
    return { shards: active, versions };
  }

  private flagsJson(low: number, high: number): string {
    const rows = this.sql.exec<{ id: string; snapshot: string }>(
      'SELECT id, snapshot FROM flags WHERE archived = 0 AND hash >= ? AND hash < ? ORDER BY id',
      low,
      high,
    );
    const parts: string[] = [];
    for (const row of rows) parts.push(`${JSON.stringify(row.id)}:${row.snapshot}`);
    return `{${parts.join(',')}}`;
  }

  private segmentsJson(low: number, high: number): string {
    const rows = this.sql.exec<{ segment: string }>('SELECT segment FROM segments WHERE archived = 0 AND hash >= ? AND hash < ? ORDER BY id', low, high);
    const segments: Record<string, Pick<Segment, 'id' | 'version' | 'conditions'>> = {};
    for (const row of rows) {
      const { id, version, conditions } = JSON.parse(row.segment) as Segment;
      segments[id] = { id, version, conditions };
    }
    return JSON.stringify(segments);
  }
}
