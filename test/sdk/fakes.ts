/** Fakes for the SDK's unit tests: a clock whose timers fire when the test moves time, and in-memory sources. */
import type { FlagBundle, FlagSnapshot } from '../../src/flags/schema';
import type { SnapshotSource } from '../../src/sdk/bundle-cache';
import type { Clock } from '../../src/sdk/clock';

/** Time moves only through `advance`; timers due by then fire in order, with microtasks run between them. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; callback: () => void }[] = [];
  private seq = 0;

  constructor(public ms = 1_700_000_000_000) {}

  now = (): number => this.ms;

  setTimeout = (callback: () => void, ms: number): unknown => {
    const timer = { at: this.ms + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.push(timer);
    return timer;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t !== handle);
  };

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (and the promise work each one starts). */
  async advance(ms: number): Promise<void> {
    const until = this.ms + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = next.at;
      next.callback();
    }
    this.ms = until;
    await settle();
  }
}

/** Lets pending promise callbacks run (several rounds of microtasks, no timers). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

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
