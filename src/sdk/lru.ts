/**
 * A bounded least-recently-used map for bucket hashes: evaluating the same flag for the same user
 * again costs a map look-up instead of a SHA-256. Buckets depend only on the flag id and the
 * bucketing key, never on the flag's version, so entries stay valid across bundle refreshes.
 */
import type { BucketCache } from '../flags/evaluate';

export class LruBucketCache implements BucketCache {
  private readonly entries = new Map<string, number>();

  constructor(readonly capacity: number = 10_000) {
    if (!(capacity >= 0)) throw new RangeError('capacity must be a non-negative number');
  }

  get(key: string): number | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Re-insert to mark as most recently used (Map iterates in insertion order).
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, bucket: number): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, bucket);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
