/**
 * The hot path's view of the flags: one bundle per isolate, read from a snapshot source (KV
 * today) at most once per time-to-live however many flags are evaluated. Concurrent callers share
 * one in-flight read; when the source fails the last good bundle is kept; `null` means there has
 * never been a bundle (callers then treat every flag as off: fail safe).
 */
import { KV_KEYS, type FlagBundle } from '../flags/schema';

/** Where bundles come from. KV now; a faster channel for kills can stand in front of it later. */
export interface SnapshotSource {
  load(): Promise<FlagBundle | null>;
}

export class KvSnapshotSource implements SnapshotSource {
  constructor(
    private readonly kv: KVNamespace,
    private readonly key: string = KV_KEYS.bundle,
  ) {}

  load(): Promise<FlagBundle | null> {
    return this.kv.get<FlagBundle>(this.key, 'json');
  }
}

export interface BundleCacheStats {
  reads: number;
  failures: number;
}

export class BundleCache {
  private bundle: FlagBundle | null = null;
  private fetchedAt = -Infinity;
  private inFlight: Promise<FlagBundle | null> | null = null;
  readonly stats: BundleCacheStats = { reads: 0, failures: 0 };

  constructor(
    private readonly source: SnapshotSource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current bundle, refreshed when older than the time-to-live. */
  get(): Promise<FlagBundle | null> {
    if (this.now() - this.fetchedAt < this.ttlMs) return Promise.resolve(this.bundle);
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** The bundle in memory, without reading; for synchronous callers after a `get()`. */
  peek(): FlagBundle | null {
    return this.bundle;
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
