/**
 * A clock whose timers fire only when the caller moves time: the SDK's unit tests, the change
 * channel's simulation (./channel-sim) and the bench's simulated readers run on it.
 */
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
