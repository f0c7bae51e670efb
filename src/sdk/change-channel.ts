/**
 * The kill channel of the SDK (issue 13): changes reach an isolate faster than KV.
 *
 * `SnapshotOverlay` holds flag and segment snapshots newer than the bulk source (KV) has: entries of
 * the coordinator's change feed, and the snapshots that report and usage answers carry. Over any
 * bundle it wins by version, so a KV read that is older than the overlay changes nothing and one that
 * is newer takes over. Every change bumps `generation`; the client then hands the compiled flags a new
 * lookup, which recompiles only the flags whose version changed.
 *
 * `ChangeChannel` asks the coordinator's `changes(cursor, { reader })` at most once per `intervalMs`
 * per isolate, in the background (`ctx.waitUntil`). Before an evaluation, when the last confirmed
 * check is older than `maxAgeMs` (an isolate waking from idle), the caller waits for a check, at most
 * `waitMs`. A failing channel never throws: the client keeps serving from KV, and `stats` says so.
 */
import type { ChangeEntry, ChangesAnswer, FlagBundle, FlagSnapshot, FlagStateAnswer, SegmentSnapshot } from '../flags/model';
import { trackedByOf, type SnapshotLookup } from './compiled';
import { systemClock, type Clock } from './clock';
import type { WaitUntil } from './reporter';

/** The coordinator's `changes` RPC (a service binding with `entrypoint = "FlagCoordinator"` has it). */
export interface ChangesBinding {
  changes(cursor: number, options?: { reader?: string }): Promise<unknown>;
}

export interface ChangeChannelOptions {
  /** Least spacing of two checks of one isolate (default 1,000 ms). */
  intervalMs?: number;
  /** An evaluation waits for a check when the last confirmed one is older than this (default 1,500 ms). */
  maxAgeMs?: number;
  /** The longest such a wait lasts (default 300 ms); then the evaluation answers from what it has. */
  waitMs?: number;
  /** A check without an answer after this long counts as failed (default 5,000 ms). */
  callTimeoutMs?: number;
}

export interface ChangeChannelStats {
  /** Checks started. */
  checks: number;
  /** Checks that threw, timed out or were refused. */
  failures: number;
  /** True while the last check failed: the isolate serves KV freshness. */
  degraded: boolean;
  /** When the last successful check was asked (ms since the epoch); null before the first. */
  last_confirmed_at: number | null;
  /** Evaluations that waited for a check (their isolate's last confirmation was too old). */
  waits: number;
  /** Answers that said the cursor was past the feed's retention (the bulk source was reloaded). */
  resets: number;
  /** Snapshots taken into the overlay (feed entries and report/usage answers). */
  applied: number;
}

type Versioned<T> = { version: number; snapshot: T | null };

export class SnapshotOverlay {
  private readonly flags = new Map<string, Versioned<FlagSnapshot>>();
  private readonly segments = new Map<string, Versioned<SegmentSnapshot>>();
  /** Bumped by every change; the client recompiles when it moves. */
  generation = 0;
  applied = 0;

  /** A feed entry; older than what the overlay holds → ignored. */
  applyEntry(entry: ChangeEntry): void {
    if (entry.kind === 'flag') this.put(this.flags, entry.id, entry.version, entry.snapshot);
    else this.put(this.segments, entry.id, entry.version, entry.snapshot);
  }

  /** The flag state of a report or usage answer (only an answer with a snapshot can be served). */
  applyState(flagId: string, state: FlagStateAnswer): void {
    if (state.snapshot && state.snapshot.id === flagId) this.put(this.flags, flagId, state.version, state.snapshot);
  }

  /** The version of a flag this isolate knows (overlay or bundle), for `seen_version`. */
  versionOf(flagId: string, bundle: FlagBundle | null): number | undefined {
    const base = bundle && Object.prototype.hasOwnProperty.call(bundle.flags, flagId) ? bundle.flags[flagId]!.version : undefined;
    const top = this.flags.get(flagId)?.version;
    return top !== undefined && (base === undefined || top > base) ? top : base;
  }

  /** The snapshots of `bundle` with every newer overlay entry on top. */
  over(bundle: FlagBundle | null): SnapshotLookup | null {
    if (!bundle && this.flags.size === 0) return null;
    const flags = bundle?.flags ?? {};
    const own = (id: string) => Object.prototype.hasOwnProperty.call(flags, id);
    const segments: Record<string, SegmentSnapshot> = { ...(bundle?.segments ?? {}) };
    for (const [id, top] of this.segments) {
      const base = segments[id];
      if (base && base.version >= top.version) continue;
      if (top.snapshot) segments[id] = top.snapshot;
      else delete segments[id];
    }
    const flag = (id: string): FlagSnapshot | undefined => {
      const base = own(id) ? flags[id] : undefined;
      const top = this.flags.get(id);
      if (!top || (base && base.version >= top.version)) return base;
      return top.snapshot ?? undefined;
    };
    const overlaid = [...this.flags.keys()];
    return { flag, segments, trackedBy: trackedByOf(() => new Set([...Object.keys(flags), ...overlaid]), flag) };
  }

  private put<T>(into: Map<string, Versioned<T>>, id: string, version: number, snapshot: T | null): void {
    const known = into.get(id);
    if (known && known.version >= version) return;
    into.set(id, { version, snapshot });
    this.generation++;
    this.applied++;
  }
}

export class ChangeChannel {
  readonly stats: ChangeChannelStats = { checks: 0, failures: 0, degraded: false, last_confirmed_at: null, waits: 0, resets: 0, applied: 0 };
  private readonly intervalMs: number;
  private readonly maxAgeMs: number;
  private readonly waitMs: number;
  private readonly callTimeoutMs: number;
  private cursor = 0;
  private lastAskedAt = -Infinity;
  private confirmedAt = -Infinity;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly binding: ChangesBinding,
    private readonly overlay: SnapshotOverlay,
    /** This isolate's reader id (the coordinator picks a relay by it). */
    private readonly reader: string,
    /** Called when the feed says the cursor is past its retention: reload the bulk source. */
    private readonly onReset: () => void,
    options: ChangeChannelOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.intervalMs = positive(options.intervalMs, 1_000);
    this.maxAgeMs = positive(options.maxAgeMs, 1_500);
    this.waitMs = positive(options.waitMs, 300);
    this.callTimeoutMs = positive(options.callTimeoutMs, 5_000);
  }

  /**
   * Before an evaluation: starts a check when one is due (kept alive by `ctx.waitUntil`), and
   * returns a promise to wait on (never rejecting, at most `waitMs`) when the last confirmed check
   * is older than `maxAgeMs`; `undefined` when the evaluation can go ahead at once.
   */
  before(ctx: WaitUntil | undefined): Promise<void> | undefined {
    const now = this.clock.now();
    if (!this.inFlight && now - this.lastAskedAt >= this.intervalMs) {
      const check = this.check(now);
      ctx?.waitUntil(check);
    }
    if (now - this.confirmedAt <= this.maxAgeMs || !this.inFlight) return undefined;
    this.stats.waits++;
    return this.bounded(this.inFlight);
  }

  private bounded(check: Promise<void>): Promise<void> {
    let timer: unknown;
    const timeout = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, this.waitMs)));
    return Promise.race([check, timeout]).finally(() => this.clock.clearTimeout(timer));
  }

  private check(now: number): Promise<void> {
    this.lastAskedAt = now;
    this.stats.checks++;
    const run: Promise<void> = this.ask(now).finally(() => {
      if (this.inFlight === run) this.inFlight = null;
    });
    this.inFlight = run;
    return run;
  }

  private async ask(askedAt: number): Promise<void> {
    let timer: unknown;
    try {
      const answer = await Promise.race([
        this.binding.changes(this.cursor, { reader: this.reader }),
        new Promise<never>((_, reject) => {
          timer = this.clock.setTimeout(() => reject(new Error('no answer')), this.callTimeoutMs);
        }),
      ]);
      const changes = unwrap(answer);
      if (!changes) throw new Error('refused');
      if (changes.reset) {
        this.stats.resets++;
        this.onReset();
      }
      for (const entry of changes.changes) this.overlay.applyEntry(entry);
      this.stats.applied = this.overlay.applied;
      this.cursor = changes.cursor;
      this.confirmedAt = askedAt;
      this.stats.last_confirmed_at = askedAt;
      this.stats.degraded = false;
    } catch {
      this.stats.failures++;
      this.stats.degraded = true;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}

/** `{ ok: true, value }` (the coordinator's RPC answers) or a bare answer; null for anything else. */
function unwrap(answer: unknown): ChangesAnswer | null {
  const value = isObject(answer) && answer.ok === true ? answer.value : answer;
  if (!isObject(value) || typeof value.cursor !== 'number' || !Array.isArray(value.changes)) return null;
  return value as unknown as ChangesAnswer;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** A random id for this isolate's reader (propagation receipts, relay choice). */
export function readerId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
