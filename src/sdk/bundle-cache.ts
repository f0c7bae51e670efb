/**
 * The hot path's view of the flags: one bundle per isolate, read from a snapshot source (KV
 * today) at most once per time-to-live however many flags are evaluated. Concurrent callers share
 * one in-flight read; when the source fails the last good bundle is kept; `null` means there has
 * never been a bundle (callers then treat every flag as off: fail safe).
 *
 * A read that never settles (the request that started it was cancelled, say) must not hold every
 * later caller hostage: each caller waits at most `loadTimeoutMs` for it and then answers from
 * what it has, and a read older than that is abandoned so the next caller starts a fresh one.
 */
import { KV_KEYS } from '../flags/model';
import type { FlagBundle } from '../flags/schema';
import { systemClock, type Clock } from './clock';

/**
 * Where bundles come from: KV's shards (./shard-source, the default) or its legacy single bundle; a faster channel for kills can stand in front of it later (the
 * client recompiles per flag version, so a source may also hand out bundles that differ in one flag).
 */
export interface SnapshotSource {
  load(): Promise<FlagBundle | null>;
  /**
   * For a source that loads per flag (./shard-source): adds flags about to be evaluated; true when
   * any of them is not loaded yet, so the next read is due now.
   */
  want?(flagIds: readonly string[]): boolean;
}

/** The subset of a KV binding the source uses (a `KVNamespace` satisfies it). */
export interface KvReader {
  get(key: string, type: 'json'): Promise<unknown>;
}

export class KvSnapshotSource implements SnapshotSource {
  constructor(
    private readonly kv: KvReader,
    private readonly key: string = KV_KEYS.bundle,
  ) {}

  async load(): Promise<FlagBundle | null> {
    const value = await this.kv.get(this.key, 'json');
    if (value === null || value === undefined) return null;
    if (!isBundle(value)) throw new Error(`KV key "${this.key}" does not hold a flag bundle`);
    return value;
  }
}

/** Cheap structural check: a malformed value is a failed read (the last good bundle is kept). */
function isBundle(value: unknown): value is FlagBundle {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<FlagBundle>;
  return v.schema === 1 && typeof v.generated_at === 'string' && typeof v.flags === 'object' && v.flags !== null;
}

export interface BundleCacheStats {
  /** Reads started against the source. */
  reads: number;
  /** Reads that threw (or returned something that is not a bundle). */
  failures: number;
  /** Callers that stopped waiting for a slow read and answered from the bundle in memory. */
  timeouts: number;
}

export interface BundleCacheOptions {
  /** How long a caller waits for a read before answering from memory (default 2 s). */
  loadTimeoutMs?: number;
  /** Timers of the wait for a slow read (tests pass a fake clock). */
  clock?: Clock;
}

export class BundleCache {
  private bundle: FlagBundle | null = null;
  private fetchedAt = -Infinity;
  private inFlight: Promise<FlagBundle | null> | null = null;
  private inFlightSince = 0;
  private readonly loadTimeoutMs: number;
  private readonly clock: Clock;
  readonly stats: BundleCacheStats = { reads: 0, failures: 0, timeouts: 0 };

  constructor(
    private readonly source: SnapshotSource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    options: BundleCacheOptions = {},
  ) {
    this.loadTimeoutMs = options.loadTimeoutMs ?? 2_000;
    this.clock = options.clock ?? systemClock;
  }

  /** The bundle in memory when no read is due (within the time-to-live); `undefined` when one is. */
  fresh(): FlagBundle | null | undefined {
    return this.now() - this.fetchedAt < this.ttlMs ? this.bundle : undefined;
  }

  /** The current bundle, refreshed when older than the time-to-live. */
  get(): Promise<FlagBundle | null> {
    const now = this.now();
    if (now - this.fetchedAt < this.ttlMs) return Promise.resolve(this.bundle);
    // A read that has not settled in time is abandoned (it may belong to a cancelled request).
    if (this.inFlight && now - this.inFlightSince >= this.loadTimeoutMs) this.inFlight = null;
    if (!this.inFlight) {
      const read: Promise<FlagBundle | null> = this.refresh().finally(() => {
        if (this.inFlight === read) this.inFlight = null;
      });
      this.inFlight = read;
      this.inFlightSince = now;
    }
    return this.waitFor(this.inFlight);
  }

  /** The bundle in memory, without reading; for synchronous callers after a `get()`. */
  peek(): FlagBundle | null {
    return this.bundle;
  }

  /** Forgets the read time so the next `get()` reads the source (the bundle in memory is kept). */
  invalidate(): void {
    this.fetchedAt = -Infinity;
  }

  private waitFor(read: Promise<FlagBundle | null>): Promise<FlagBundle | null> {
    let timer: unknown;
    const timeout = new Promise<FlagBundle | null>((resolve) => {
      timer = this.clock.setTimeout(() => {
        this.stats.timeouts++;
        resolve(this.bundle);
      }, this.loadTimeoutMs);
    });
    return Promise.race([read, timeout]).finally(() => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    });
  }

  private async refresh(): Promise<FlagBundle | null> {
    this.stats.reads++;
    try {
      const fresh = await this.source.load();
      // Never step back to an older bundle (KV replicas can briefly disagree).
      if (fresh && (!this.bundle || fresh.generated_at >= this.bundle.generated_at)) this.bundle = fresh;
    } catch {
      this.stats.failures++;
    }
    // A failed read also waits a full period before retrying, so a KV outage does not multiply reads.
    this.fetchedAt = this.now();
    return this.bundle;
  }
}
