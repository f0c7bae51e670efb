/**
 * What OFREP evaluates against, per isolate: the KV shards, cached for FLAG_CACHE_TTL_SECONDS, with
 * the change channel's snapshots on top (issue 13), so a change reaches OFREP callers within the
 * channel's bound (about 2 s) however long the KV cache is. The channel is the SDK's
 * (`ChangeChannel` + `SnapshotOverlay`); inside the coordinator it reads the relays through
 * src/channel.ts directly (the per-data-centre cache, then a relay), not over RPC.
 *
 * Evaluation is the SDK's too: flags compiled once per snapshot version (`CompiledFlags`, recompiled
 * per flag when a version moves), checked through `RequestFlags`, which counts each answer in the
 * reporter's flat usage counters (and experiment exposures). The bulk evaluation's catalog (every
 * live flag sorted, per audience, with its ETag fingerprint) is built once per bundle and overlay
 * generation, not per request. A KV refresh that falls due does not hold answers up: they are served
 * from the snapshots in memory (the channel keeps them current) while it runs; only an isolate's
 * first read is waited for.
 */
import { readChanges } from '../channel';
import type { Env } from '../env';
import type { EvaluationContext } from '../flags/evaluate';
import type { ChangeEntry, FlagBundle, FlagSnapshot, SegmentSnapshot } from '../flags/model';
import type { Condition } from '../flags/schema';
import { sha256, toHex } from '../flags/sha256';
import { BucketHashCache } from '../sdk/bucket-hash-cache';
import { BundleCache } from '../sdk/bundle-cache';
import { ChangeChannel, readerId, SnapshotOverlay, type ChangesBinding } from '../sdk/change-channel';
import { CompiledFlags, type SnapshotLookup } from '../sdk/compiled';
import type { BatchReporter, WaitUntil } from '../sdk/reporter';
import { RequestFlags } from '../sdk/request-flags';
import { ShardSource } from '../sdk/shard-source';

/**
 * An OFREP answer waits at most this long for a check when its isolate has not confirmed one for
 * the channel's `maxAgeMs` (1.5 s): longer than the SDK's 300 ms, since the caller already made a
 * network request and an answer must not go past the bound.
 */
const CHANNEL_WAIT_MS = 1_000;

/** Who evaluates: a server token sees every flag, a client key only `client_side` ones. */
export type Audience = 'server' | 'client';

/** One flag as the isolate knows it now, and the request's evaluations of it. */
export interface FlagView {
  flag: FlagSnapshot | undefined;
  request: RequestFlags;
}

/** Everything the bulk evaluation of one audience needs, built once per catalog state. */
export interface CatalogView {
  /** The live flags the audience sees, sorted by key. */
  flags: readonly FlagSnapshot[];
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

/** Bucket hashes remembered per compiled set (flag + unit pairs; a returning context reuses them). */
const BUCKET_CACHE_SIZE = 20_000;

/** Snapshots read from one KV cache with the channel's overlay on top, and their compiled flags. */
class Compiled {
  readonly flags: CompiledFlags;
  /** The snapshots `flags` evaluate. */
  lookup: SnapshotLookup | null = null;
  private from: { bundle: FlagBundle | null; generation: number } | null = null;

  constructor(
    environment: string,
    reporter: BatchReporter,
    private readonly overlay: SnapshotOverlay,
  ) {
    this.flags = new CompiledFlags(environment, new BucketHashCache(BUCKET_CACHE_SIZE), reporter.counters, undefined, reporter.experiments);
  }

  /** Moves to `bundle` with the overlay on top (when either moved); recompiles only flags whose version moved. */
  over(bundle: FlagBundle | null): this {
    if (this.from?.bundle !== bundle || this.from.generation !== this.overlay.generation) {
      this.from = { bundle, generation: this.overlay.generation };
      this.lookup = this.overlay.over(bundle);
      this.flags.use(this.lookup);
    }
    return this;
  }
}

export class OfrepSnapshots {
  private readonly overlay = new FeedOverlay();
  readonly channel: ChangeChannel;
  /** The flags asked for one by one: only their shards are read. */
  private readonly some: ShardSource;
  private readonly someCache: BundleCache;
  /** Every flag (bulk). */
  private readonly allCache: BundleCache;
  private readonly someCompiled: Compiled;
  private readonly allCompiled: Compiled;
  private catalog: { bundle: FlagBundle | null; generation: number; views: Partial<Record<Audience, CatalogView>>; flags: Map<string, FlagSnapshot>; segments: Record<string, SegmentSnapshot> } | null =
    null;

  constructor(
    env: Env,
    private readonly ttlMs: number,
    /** Counts what is served (the SDK's batch reporter). */
    private readonly reporter: BatchReporter,
  ) {
    this.some = new ShardSource(env.FLAGS_KV);
    this.someCache = new BundleCache(this.some, ttlMs);
    this.allCache = new BundleCache(new ShardSource(env.FLAGS_KV, { all: true, bulk: true }), ttlMs);
    const reset = () => {
      this.someCache.invalidate();
      this.allCache.invalidate();
    };
    this.channel = new ChangeChannel(localChannel(env), this.overlay, readerId(), reset, { waitMs: CHANNEL_WAIT_MS });
    this.someCompiled = new Compiled(env.ENVIRONMENT, reporter, this.overlay);
    this.allCompiled = new Compiled(env.ENVIRONMENT, reporter, this.overlay);
  }

  /** One flag (its shard read now when this isolate has not asked for it before), the channel's changes on top. */
  async flag(ctx: WaitUntil, key: string, context: EvaluationContext): Promise<FlagView> {
    await this.channel.before(ctx);
    let bundle = await this.current(this.someCache, ctx, this.some.want([key]));
    // A read already under way when the flag was asked for may not have included it.
    if (this.some.want([key])) bundle = await this.current(this.someCache, ctx, true);
    const { flags, lookup } = this.someCompiled.over(bundle);
    return { flag: lookup?.flag(key), request: this.request(flags, context, ctx) };
  }

  /** Every live flag the audience sees, the channel's changes on top, and the request's evaluations of them. */
  async all(ctx: WaitUntil, audience: Audience, context: EvaluationContext): Promise<{ view: CatalogView; request: RequestFlags }> {
    await this.channel.before(ctx);
    const bundle = await this.current(this.allCache, ctx, false);
    const { flags: compiled, lookup } = this.allCompiled.over(bundle);
    if (!this.catalog || this.catalog.bundle !== bundle || this.catalog.generation !== this.overlay.generation) {
      const flags = new Map<string, FlagSnapshot>();
      for (const id of [...Object.keys(bundle?.flags ?? {}), ...this.overlay.flagIds].sort()) {
        const flag = lookup?.flag(id);
        if (flag && !flag.archived) flags.set(id, flag);
      }
      const segments = (lookup?.segments ?? {}) as Record<string, SegmentSnapshot>;
      this.catalog = { bundle, generation: this.overlay.generation, views: {}, flags, segments };
    }
    const catalog = this.catalog;
    const view = (catalog.views[audience] ??= viewOf(catalog.flags, catalog.segments, catalog.bundle?.generated_at ?? null, audience));
    return { view, request: this.request(compiled, context, ctx) };
  }

  /**
   * The bundle to answer from: the one in memory while a due refresh runs in the background (kept
   * alive by `ctx`), a fresh read only when there is none yet or `now` says the read is needed.
   */
  private async current(cache: BundleCache, ctx: WaitUntil, now: boolean): Promise<FlagBundle | null> {
    if (now) cache.invalidate();
    const fresh = cache.fresh();
    if (fresh !== undefined) return fresh;
    const held = cache.peek();
    // Without a cache period (FLAG_CACHE_TTL_SECONDS = 0) every answer waits for its read.
    if (held === null || now || this.ttlMs === 0) return cache.get();
    ctx.waitUntil(cache.get());
    return held;
  }

  private request(flags: CompiledFlags, context: EvaluationContext, ctx: WaitUntil): RequestFlags {
    return new RequestFlags(flags, context, Date.now(), this.reporter, ctx);
  }
}

function viewOf(all: ReadonlyMap<string, FlagSnapshot>, segments: Readonly<Record<string, SegmentSnapshot>>, generatedAt: string | null, audience: Audience): CatalogView {
  const flags = [...all.values()].filter((f) => audience === 'server' || f.client_side === true);
  const timed = flags.some((f) => f.rules.some((r) => usesTime(r.conditions))) || Object.values(segments).some((s) => usesTime(s.conditions));
  if (timed) return { flags, generatedAt, fingerprint: null };
  const parts = flags.map((f) => `${f.id}@${f.version}`);
  for (const [id, segment] of Object.entries(segments).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`#${id}@${segment.version}`);
  const fingerprint = toHex(sha256(new TextEncoder().encode(parts.join('\n')))).slice(0, 24);
  return { flags, generatedAt, fingerprint };
}

function usesTime(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.op === 'before' || c.op === 'after');
}
