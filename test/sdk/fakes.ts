/** Fakes for the SDK's unit tests: in-memory bundles and sources (the fake clock is test/support/fake-clock.ts). */
import type { FlagBundle, FlagSnapshot } from '../../src/flags/schema';
import type { SnapshotSource } from '../../src/sdk/bundle-cache';

/** A bundle of the given snapshots. */
export function bundleOf(flags: FlagSnapshot[], generatedAt = '2026-01-01T00:00:00.000Z', segments: FlagBundle['segments'] = {}): FlagBundle {
  return { schema: 1, generated_at: generatedAt, flags: Object.fromEntries(flags.map((f) => [f.id, f])), segments };
}

/** A snapshot with the defaults the coordinator fills in. */
export function snapshot(fields: Partial<FlagSnapshot> & { id: string }): FlagSnapshot {
  return {
    version: 1,
    enabled: true,
    rollout_percentage: 100,
    allowed_users: [],
    allowed_tenants: [],
    metadata: {},
    type: 'boolean',
    rules: [],
    archived: false,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

/**
 * A source the test controls: `bundle` is what the next read returns, `fail` makes it throw, and
 * `hold()` keeps reads pending until `release()`.
 */
export class FakeSource implements SnapshotSource {
  reads = 0;
  fail = false;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  constructor(public bundle: FlagBundle | null = null) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = null;
  }

  async load(): Promise<FlagBundle | null> {
    this.reads++;
    if (this.gate) await this.gate;
    if (this.fail) throw new Error('KV unavailable');
    return this.bundle;
  }
}
