/**
 * What an isolate records for running experiments until its next usage flush: each unit's first
 * exposure per flag (with the variant served) and the metric events `track` attributes.
 *
 * Exposures are de-duplicated per isolate so that a unit evaluated 100 times is sent once. The
 * check is on the hot path of every evaluation of a flag with a running experiment, so it is a
 * Map look-up with two generations (like ./bucket-hash-cache): entries go into the current
 * generation; when it holds half the shard's capacity it becomes the previous one (the older one
 * is dropped whole) and a hit there is copied forward. No eviction on insert, no iteration. A unit
 * that falls out of both generations may be sent again; the flag object counts it once anyway.
 *
 * The pending queues are bounded: what does not fit is not recorded (an exposure is then not
 * marked as seen, so its next evaluation tries again) and counted in `dropped`, never silently;
 * `onDrop` hears of them once per flag at the next `take` (a full queue stays cheap to hit).
 * A flush takes at most `USAGE_LIMITS.maxUnits` exposures and `maxEvents` events per flag; the
 * rest waits for the next flush.
 */
import { stringAttribute } from '../flags/evaluate';
import type { Usage } from '../flags/reports';

type Exposure = NonNullable<Usage['units']>[number];
type MetricEvent = NonNullable<Usage['events']>[number];

interface Pending {
  units: Exposure[];
  events: MetricEvent[];
}

export interface ExperimentLogOptions {
  /** Units remembered per flag for de-duplication (two generations; default 10,000). */
  unitsPerFlag?: number;
  /** Exposures plus events waiting to be sent, over all flags (default 50,000). */
  maxPending?: number;
  /** Called at the next `take` with each flag and how many were dropped because the queue was full. */
  onDrop?: (flagId: string, count: number) => void;
}

export class ExperimentLog {
  private readonly shards = new Map<string, ExposureShard>();
  private readonly pending = new Map<string, Pending>();
  private readonly unitsPerFlag: number;
  private readonly maxPending: number;
  private readonly onDrop: (flagId: string, count: number) => void;
  private size = 0;
  private readonly unreported = new Map<string, number>();
  /** Exposures and events dropped because the queue was full. */
  dropped = 0;

  constructor(options: ExperimentLogOptions = {}) {
    this.unitsPerFlag = options.unitsPerFlag ?? 10_000;
    this.maxPending = options.maxPending ?? 50_000;
    this.onDrop = options.onDrop ?? (() => undefined);
  }

  get hasPending(): boolean {
    return this.size > 0 || this.unreported.size > 0;
  }

  /** The de-duplicating recorder of one flag's exposures. */
  shard(flagId: string): ExposureShard {
    let shard = this.shards.get(flagId);
    if (!shard) {
      shard = new ExposureShard(this, flagId, Math.max(1, Math.floor(this.unitsPerFlag / 2)));
      this.shards.set(flagId, shard);
    }
    return shard;
  }

  /** One metric event of a unit for the experiment of `flagId`. */
  event(flagId: string, unit: string, metric: string, value: number | undefined, at: number): void {
    if (!this.room(flagId, 1)) return;
    const event: MetricEvent = value === undefined ? { unit, metric, at: Math.floor(at) } : { unit, metric, value, at: Math.floor(at) };
    this.queue(flagId).events.push(event);
    this.size++;
  }

  /** @internal A new exposure; false when the queue is full (then it is not marked as seen). */
  expose(flagId: string, unit: string, variant: string, at: number): boolean {
    if (!this.room(flagId, 1)) return false;
    this.queue(flagId).units.push({ unit, variant, at: Math.floor(at) });
    this.size++;
    return true;
  }

  /** Takes up to the per-call limits per flag; the rest stays for the next flush. */
  take(maxUnits: number, maxEvents: number): Map<string, Pending> {
    for (const [flagId, count] of this.unreported) this.onDrop(flagId, count);
    this.unreported.clear();
    const taken = new Map<string, Pending>();
    for (const [flagId, queue] of this.pending) {
      const units = queue.units.splice(0, maxUnits);
      const events = queue.events.splice(0, maxEvents);
      this.size -= units.length + events.length;
      if (queue.units.length === 0 && queue.events.length === 0) this.pending.delete(flagId);
      taken.set(flagId, { units, events });
    }
    return taken;
  }

  /** Puts back what a failed call carried, ahead of what arrived since (within the bound). */
  requeue(flagId: string, units: readonly Exposure[], events: readonly MetricEvent[]): number {
    const free = Math.max(0, this.maxPending - this.size);
    const keptUnits = units.slice(0, free);
    const keptEvents = events.slice(0, free - keptUnits.length);
    const queue = this.queue(flagId);
    queue.units.unshift(...keptUnits);
    queue.events.unshift(...keptEvents);
    const kept = keptUnits.length + keptEvents.length;
    this.size += kept;
    const lost = units.length + events.length - kept;
    if (lost > 0) this.drop(flagId, lost);
    return kept;
  }

  private room(flagId: string, count: number): boolean {
    if (this.size + count <= this.maxPending) return true;
    this.drop(flagId, count);
    return false;
  }

  private drop(flagId: string, count: number): void {
    this.dropped += count;
    this.unreported.set(flagId, (this.unreported.get(flagId) ?? 0) + count);
  }

  private queue(flagId: string): Pending {
    let queue = this.pending.get(flagId);
    if (!queue) {
      queue = { units: [], events: [] };
      this.pending.set(flagId, queue);
    }
    return queue;
  }
}

export class ExposureShard {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(
    private readonly log: ExperimentLog,
    readonly flagId: string,
    private readonly generationSize: number,
  ) {}

  /** The exposure of the unit in `attribute` to `variant` at `at`; sent once per unit and variant. */
  expose(attribute: unknown, variant: string, at: number): void {
    const unit = stringAttribute(attribute);
    if (unit === undefined || this.current.get(unit) === variant) return;
    if (this.previous.get(unit) !== variant && !this.log.expose(this.flagId, unit, variant, at)) return;
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(unit, variant);
  }
}
