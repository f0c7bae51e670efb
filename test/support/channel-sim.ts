/**
 * Simulated readers of the change channel (issue 13), shared by its workerd test
 * (test/sdk/change-channel.test.ts) and its bench section (bench/worker/sections/change-channel.ts):
 * many SDK clients, each with a cache of its own, behind one KV stand-in that makes a write visible
 * only a minute after it was made, as production KV does for other locations.
 */
import { KV_KEYS, type FlagBundle } from '../../src/flags/model';
import type { KvReader, SnapshotSource } from '../../src/sdk/bundle-cache';
import type { FlagClient } from '../../src/sdk/client';

/** How long production KV may take to show a write in other locations. */
export const KV_LAG_MS = 60_000;

/**
 * One KV for every simulated reader. `record()` reads the real KV bundle and stamps it, when it is
 * new, with the clock's present time: the time it was written, as the other locations see it.
 * Readers get the newest recorded bundle that is at least `lagMs` old (the first one until then).
 *
 * Time is the caller's to say when a bundle was written: the coordinator writes KV in the
 * background, on the machine's clock, while a simulation may run its clock faster than that.
 */
export class LaggingKv implements SnapshotSource {
  private readonly written: { at: number; bundle: FlagBundle | null }[] = [];
  /** Reads the readers made. */
  reads = 0;

  constructor(
    private readonly kv: KvReader,
    private readonly now: () => number,
    private readonly lagMs = KV_LAG_MS,
  ) {}

  async record(): Promise<FlagBundle | null> {
    const bundle = (await this.kv.get(KV_KEYS.bundle, 'json')) as FlagBundle | null;
    const last = this.written.at(-1);
    if (!last || JSON.stringify(last.bundle) !== JSON.stringify(bundle)) this.written.push({ at: this.now(), bundle });
    return bundle;
  }

  async load(): Promise<FlagBundle | null> {
    this.reads++;
    if (this.written.length === 0) await this.record();
    const visibleUntil = this.now() - this.lagMs;
    let visible = this.written[0]!;
    for (const write of this.written) if (write.at <= visibleUntil) visible = write;
    return visible.bundle;
  }
}

/**
 * One request of a reader: its flags, the check of `flagId`, the time of that check, and then the
 * background work the request started (a channel check), finished before this returns, as the
 * request's `ctx.waitUntil` would keep it alive.
 */
export async function evaluateOnce(client: FlagClient, flagId: string, userId: string, now: () => number): Promise<{ on: boolean; at: number }> {
  const held: Promise<unknown>[] = [];
  const flags = await client.forRequest({ waitUntil: (promise) => void held.push(promise.catch(() => undefined)) }, { userId });
  const on = flags.isEnabled(flagId);
  const at = now();
  await Promise.all(held);
  return { on, at };
}

/**
 * For each reader, its last evaluation that served the old config after a change, as ms after the
 * change was accepted (0 for a reader that never did).
 */
export class StaleTimes {
  private readonly last: number[];

  constructor(
    readers: number,
    private readonly acceptedAt: number,
  ) {
    this.last = new Array<number>(readers).fill(0);
  }

  /** A reader's evaluation at `at`; `stale` when it served the old config. */
  note(reader: number, at: number, stale: boolean): void {
    if (stale) this.last[reader] = Math.max(this.last[reader]!, at - this.acceptedAt);
  }

  get perReader(): readonly number[] {
    return this.last;
  }

  get worst(): number {
    return Math.max(...this.last);
  }
}
