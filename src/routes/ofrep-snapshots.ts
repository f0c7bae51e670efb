/**
 * What OFREP evaluates against, per isolate: the KV shards, cached for FLAG_CACHE_TTL_SECONDS, with
 * the change channel's snapshots on top (issue 13), so a change reaches OFREP callers within the
 * channel's bound (about 2 s) however long the KV cache is. The channel is the SDK's
 * (`ChangeChannel` + `SnapshotOverlay`); inside the coordinator it reads the relays through
 * src/channel.ts directly (the per-data-centre cache, then a relay), not over RPC.
 *
 * The bulk evaluation's catalog (every live flag sorted, per audience, with its ETag fingerprint) is
 * built once per bundle and overlay generation, not per request.
 */
import { readChanges } from '../channel';
import type { Env } from '../env';
import type { ChangeEntry, FlagBundle, FlagSnapshot, SegmentSnapshot } from '../flags/model';
import type { Condition } from '../flags/schema';
import { sha256, toHex } from '../flags/sha256';
import { BundleCache } from '../sdk/bundle-cache';
import { ChangeChannel, readerId, SnapshotOverlay, type ChangesBinding } from '../sdk/change-channel';
import type { WaitUntil } from '../sdk/reporter';
import { ShardSource } from '../sdk/shard-source';

/**
 * An OFREP answer waits at most this long for a check when its isolate has not confirmed one for
 * the channel's `maxAgeMs` (1.5 s): longer than the SDK's 300 ms, since the caller already made a
 * network request and an answer must not go past the bound.
 */
const CHANNEL_WAIT_MS = 1_000;

/** Who evaluates: a server token sees every flag, a client key only `client_side` ones. */
export type Audience = 'server' | 'client';

/** One flag and the segments its rules may use, as the isolate knows them now. */
export interface FlagView {
  flag: FlagSnapshot | undefined;
  segments: Readonly<Record<string, SegmentSnapshot>>;
}

/** Everything the bulk evaluation of one audience needs, built once per catalog state. */
export interface CatalogView {
  /** The live flags the audience sees, sorted by key. */
  flags: readonly FlagSnapshot[];
  /** Every live flag by id (the audience's and the others). */
  byId: ReadonlyMap<string, FlagSnapshot>;
  segments: Readonly<Record<string, SegmentSnapshot>>;
  /** When the KV bundle under the channel's changes was published (null before any). */
  generatedAt: string | null;
  /** Names what the audience sees (flag and segment versions); null when a date rule makes answers change with time. */
  fingerprint: string | null;
}

/** The overlay, remembering which flags the feed named (the bulk catalog lists them even before KV has them). */
class FeedOverlay extends SnapshotOverlay {
  readonly flagIds = new Set<string>();

  override applyEntry(entry: ChangeEntry): void {
    super.applyEntry(entry);
    if (entry.kind === 'flag') this.flagIds.add(entry.id);
  }
}

/** `changes` read in this Worker: the cache put is awaited, since no request context outlives the call. */
function localChannel(env: Env): ChangesBinding {
  return {
    changes: async (cursor, options) => {
      const puts: Promise<unknown>[] = [];
      const answer = await readChanges(env, (put) => puts.push(put), cursor, options?.reader);
      await Promise.all(puts);
      return answer;
    },
  };
}

export class OfrepSnapshots {
  private readonly overlay = new FeedOverlay();
  readonly channel: ChangeChannel;
  /** The flags asked for one by one: only their shards are read. */
  private readonly some: ShardSource;
  private readonly someCache: BundleCache;
  /** Every flag (bulk). */
  private readonly allCache: BundleCache;
  private catalog: { bundle: FlagBundle | null; generation: number; views: Partial<Record<Audience, CatalogView>>; flags: Map<string, FlagSnapshot>; segments: Record<string, SegmentSnapshot> } | null =
    null;

  constructor(env: Env, ttlMs: number) {
    this.some = new ShardSource(env.FLAGS_KV);
    this.someCache = new BundleCache(this.some, ttlMs);
    this.allCache = new BundleCache(new ShardSource(env.FLAGS_KV, { all: true, bulk: true }), ttlMs);
    const reset = () => {
      this.someCache.invalidate();
      this.allCache.invalidate();
    };
    this.channel = new ChangeChannel(localChannel(env), this.overlay, readerId(), reset, { waitMs: CHANNEL_WAIT_MS });
  }

  /** One flag (its shard read now when this isolate has not asked for it before), the channel's changes on top. */
  async flag(ctx: WaitUntil, key: string): Promise<FlagView> {
    await this.channel.before(ctx);
    if (this.some.want([key])) this.someCache.invalidate();
    let bundle = await this.someCache.get();
    if (this.some.want([key])) {
      // A read already under way when the flag was asked for may not have included it.
      this.someCache.invalidate();
      bundle = await this.someCache.get();
    }
    const lookup = this.overlay.over(bundle);
    return { flag: lookup?.flag(key), segments: (lookup?.segments ?? {}) as Record<string, SegmentSnapshot> };
  }

  /** Every live flag the audience sees, the channel's changes on top. */
  async all(ctx: WaitUntil, audience: Audience): Promise<CatalogView> {
    await this.channel.before(ctx);
    const bundle = await this.allCache.get();
    if (!this.catalog || this.catalog.bundle !== bundle || this.catalog.generation !== this.overlay.generation) {
      const lookup = this.overlay.over(bundle);
      const flags = new Map<string, FlagSnapshot>();
      for (const id of [...Object.keys(bundle?.flags ?? {}), ...this.overlay.flagIds].sort()) {
        const flag = lookup?.flag(id);
        if (flag && !flag.archived) flags.set(id, flag);
      }
      const segments = (lookup?.segments ?? {}) as Record<string, SegmentSnapshot>;
      this.catalog = { bundle, generation: this.overlay.generation, views: {}, flags, segments };
    }
    const catalog = this.catalog;
    return (catalog.views[audience] ??= viewOf(catalog.flags, catalog.segments, catalog.bundle?.generated_at ?? null, audience));
  }
}

function viewOf(byId: ReadonlyMap<string, FlagSnapshot>, segments: Readonly<Record<string, SegmentSnapshot>>, generatedAt: string | null, audience: Audience): CatalogView {
  const flags = [...byId.values()].filter((f) => audience === 'server' || f.client_side === true);
  const timed = flags.some((f) => f.rules.some((r) => usesTime(r.conditions))) || Object.values(segments).some((s) => usesTime(s.conditions));
  if (timed) return { flags, byId, segments, generatedAt, fingerprint: null };
  const parts = flags.map((f) => `${f.id}@${f.version}`);
  for (const [id, segment] of Object.entries(segments).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`#${id}@${segment.version}`);
  const fingerprint = toHex(sha256(new TextEncoder().encode(parts.join('\n')))).slice(0, 24);
  return { flags, byId, segments, generatedAt, fingerprint };
}

function usesTime(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.op === 'before' || c.op === 'after');
}
