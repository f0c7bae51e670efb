/**
 * The SDK's default snapshot source: the sharded read path of src/flags/shards.ts.
 *
 * A refresh reads `flags:manifest`, then only the shards that hold the flags this isolate
 * evaluates (declared with `getFlagClient({ flags })`, or learnt from the checks it makes), and
 * of those only the ones whose version moved, and the segment shards their rules refer to
 * (nested segments too). While the catalog is small the manifest inlines every flag: one read.
 * What it hands the cache is an ordinary bundle of the snapshots it holds, each with its version,
 * so evaluation, the per-flag recompile and a change channel's overlay work as with one bundle.
 *
 * Never steps back: an older manifest or shard (KV replicas can briefly disagree) is ignored.
 * A coordinator from before the shards (no manifest in KV) is read through its `flags:bundle`.
 */
import type { FlagBundle, FlagSnapshot, SegmentSnapshot } from '../flags/model';
import { isManifest, SHARD_KEYS, shardOf, type FlagShard, type SegmentShard, type ShardKind, type ShardManifest } from '../flags/shards';
import { KvSnapshotSource, type KvReader, type SnapshotSource } from './bundle-cache';

/** A KV binding that reads many keys in one call (a `KVNamespace` does, up to 100 keys). */
export interface BulkKvReader extends KvReader {
  get(key: string, type: 'json'): Promise<unknown>;
  get(keys: string[], type: 'json'): Promise<Map<string, unknown>>;
}

export interface ShardSourceOptions {
  /** Every flag, not only those asked for (OFREP's bulk evaluation). */
  all?: boolean;
  /** Read with KV's bulk get (100 keys a call) when more than a few shards are due. */
  bulk?: boolean;
}

const BULK_KEYS = 100;
/** Nesting of segments followed (conditions.ts evaluates MAX_SEGMENT_DEPTH = 4). */
const SEGMENT_ROUNDS = 5;

type Held<T> = { layout: number; shards: Map<number, T> };

export class ShardSource implements SnapshotSource {
  private manifest: ShardManifest | null = null;
  private readonly wanted = new Set<string>();
  private flagShards: Held<FlagShard> = { layout: 0, shards: new Map() };
  private segmentShards: Held<SegmentShard> = { layout: 0, shards: new Map() };
  private readonly legacy: KvSnapshotSource;

  constructor(
    private readonly kv: KvReader,
    private readonly options: ShardSourceOptions = {},
  ) {
    this.legacy = new KvSnapshotSource(kv);
  }

  /**
   * Adds flags this isolate evaluates. True when any of them is in a shard not loaded yet, so a
   * read is due before they can be answered.
   */
  want(flagIds: readonly string[]): boolean {
    let missing = false;
    for (const id of flagIds) {
      this.wanted.add(id);
      if (!missing && !this.holds(id)) missing = true;
    }
    return missing;
  }

  async load(): Promise<FlagBundle | null> {
    const read = await this.kv.get(SHARD_KEYS.manifest, 'json');
    if (read === null || read === undefined) return this.manifest ? this.bundle() : this.legacy.load();
    if (!isManifest(read)) throw new Error(`KV key "${SHARD_KEYS.manifest}" does not hold a shard manifest`);
    if (!this.manifest || read.generated_at >= this.manifest.generated_at) this.manifest = read;
    const manifest = this.manifest;
    if (!manifest.inline) {
      const flagIds = this.options.all ? null : [...this.wanted];
      await this.refreshShards('flags', manifest, this.flagShards, flagIds);
      let segmentIds = new Set<string>();
      for (let round = 0; round < SEGMENT_ROUNDS; round++) {
        const referenced = this.referencedSegments();
        if ([...referenced].every((id) => segmentIds.has(id))) break;
        segmentIds = referenced;
        await this.refreshShards('segments', manifest, this.segmentShards, [...segmentIds]);
      }
    }
    return this.bundle();
  }

  /** Whether the flag's snapshot (or its absence) is known from what is loaded. */
  private holds(id: string): boolean {
    const manifest = this.manifest;
    if (!manifest) return false;
    if (manifest.inline || this.options.all) return true;
    const n = shardOf(id, manifest.flags.shards);
    return manifest.flags.versions[n] === 0 || (this.flagShards.layout === manifest.flags.shards && this.flagShards.shards.has(n));
  }

  /** Reads the shards holding `ids` (every shard when null) whose version moved; drops emptied ones. */
  private async refreshShards<T extends FlagShard | SegmentShard>(kind: ShardKind, manifest: ShardManifest, held: Held<T>, ids: string[] | null): Promise<void> {
    const layout = manifest[kind];
    if (held.layout !== layout.shards) {
      held.layout = layout.shards;
      held.shards.clear();
    }
    const needed = ids === null ? layout.versions.map((_, n) => n) : [...new Set(ids.map((id) => shardOf(id, layout.shards)))];
    const due: number[] = [];
    for (const n of needed) {
      const version = layout.versions[n] ?? 0;
      if (version === 0) held.shards.delete(n);
      else if ((held.shards.get(n)?.version ?? 0) < version) due.push(n);
    }
    const values = await this.readMany(due.map((n) => SHARD_KEYS.shard(kind, layout.shards, n)));
    due.forEach((n, i) => {
      const value = values[i] as T | null | undefined;
      if (!value || value.schema !== 2 || value.layout !== layout.shards || value.n !== n) return;
      const current = held.shards.get(n);
      if (!current || value.version >= current.version) held.shards.set(n, value);
    });
  }

  private async readMany(keys: readonly string[]): Promise<unknown[]> {
    if (!this.options.bulk || keys.length <= 4) return Promise.all(keys.map((key) => this.kv.get(key, 'json')));
    const bulk = this.kv as BulkKvReader;
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += BULK_KEYS) chunks.push(keys.slice(i, i + BULK_KEYS));
    const maps = await Promise.all(chunks.map((chunk) => bulk.get(chunk, 'json')));
    return keys.map((key, i) => maps[Math.floor(i / BULK_KEYS)]!.get(key) ?? null);
  }

  /** Segment ids the loaded flags and segments refer to. */
  private referencedSegments(): Set<string> {
    const ids = new Set<string>();
    const add = (conditions: readonly { op: string; values: readonly (string | number)[] }[]) => {
      for (const c of conditions) if (c.op === 'in_segment') for (const v of c.values) ids.add(String(v));
    };
    for (const shard of this.flagShards.shards.values()) for (const flag of Object.values(shard.flags)) for (const rule of flag.rules) add(rule.conditions);
    for (const shard of this.segmentShards.shards.values()) for (const segment of Object.values(shard.segments)) add(segment.conditions);
    return ids;
  }

  private bundle(): FlagBundle | null {
    const manifest = this.manifest;
    if (!manifest) return null;
    if (manifest.inline) return { schema: 1, generated_at: manifest.generated_at, flags: manifest.inline.flags, segments: manifest.inline.segments };
    const flags: Record<string, FlagSnapshot> = {};
    for (const shard of this.flagShards.shards.values()) Object.assign(flags, shard.flags);
    const segments: Record<string, SegmentSnapshot> = {};
    for (const shard of this.segmentShards.shards.values()) Object.assign(segments, shard.segments);
    return { schema: 1, generated_at: manifest.generated_at, flags, segments };
  }
}
