/**
 * Batched reports from an application Worker to the coordinator, one batch per isolate.
 *
 * Requests only add to in-memory counters (per flag and variant: failures, successes, one error
 * sample; per flag: evaluations per variant and the time of the last). A flush sends everything
 * pending as one `report` call per flag and variant and one `recordUsage` call per flag, and runs
 * inside `ctx.waitUntil` so it never delays a response. At most one flush is in flight per isolate;
 * what arrives meanwhile waits for that flush's next round, so a burst of a thousand failing
 * requests costs a handful of calls, not a thousand.
 *
 * Failures are urgent (they drive the kill switch) and go out at once, spaced by
 * `failureIntervalMs`; successes and usage ride along, or go out on their own at most once per
 * `flushIntervalMs`. A call that throws or times out is transient: its counts go back into the
 * queue and are retried with backoff. A call the coordinator refuses (`{ ok: false }`: unknown flag,
 * invalid body) is permanent and its counts are dropped, counted in `stats.rejected`. The queue is
 * bounded (flags, variants and counts per entry); what does not fit is dropped and counted in
 * `stats.dropped`, never silently.
 *
 * With a `reader` id, each usage call also carries the propagation receipt (issue 13): per version
 * of the flag served since the last call, the count and the first and last time; with `seen`, every
 * call says which version the isolate holds (`seen_version`), so the answer omits a snapshot it has.
 */
import { REPORT_LIMITS, USAGE_LIMITS, type FlagStateAnswer, type ServedVersion } from '../flags/model';
import type { Usage } from '../flags/reports';
import { sleep, systemClock, type Clock } from './clock';
import { ExperimentLog } from './experiment-log';

/** What the reporter sends in one `report` call (the coordinator's `reportSchema`). */
export interface ReportBody {
  failures: number;
  successes: number;
  error?: string;
  variant?: string;
  /** The flag version the isolate holds: the answer then carries a snapshot only when it is newer. */
  seen_version?: number | undefined;
}

/**
 * The coordinator's RPC surface, typed structurally so the SDK does not depend on the coordinator's
 * code: a service binding with `entrypoint = "FlagCoordinator"` satisfies it. Answers are
 * `{ ok: true, value }` or `{ ok: false, status, code, message }`.
 */
export interface FlagReporterBinding {
  report(flagId: string, report: ReportBody): Promise<unknown>;
  recordUsage(flagId: string, usage: Usage): Promise<unknown>;
}

/** Where a flush is kept alive: a request's `ExecutionContext` (or anything with `waitUntil`). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface ReporterOptions {
  /** Minimum spacing of flushes that carry only successes and usage (default 5 s). */
  flushIntervalMs?: number;
  /** Minimum spacing of flushes that carry failures (default 100 ms). */
  failureIntervalMs?: number;
  /** A flush gives up waiting (and leaves the rest queued for the next request) after this long (default 20 s). */
  maxFlushMs?: number;
  /** One RPC call that takes longer than this counts as failed and its counts are re-queued (default 10 s). */
  callTimeoutMs?: number;
  /** Distinct flag+variant report entries, and distinct flags with usage, held at most (default 1,000 each). */
  maxPendingEntries?: number;
  /** Longest error sample sent with a report (default 200 characters; at most the coordinator's 1,000). */
  errorSampleLength?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Time and timers of the flush rounds and call timeouts (tests pass a fake one); `now` above wins for the time. */
  clock?: Clock;
  /** Called when counts are dropped or refused, or a call fails; default logs once in a while. */
  onProblem?: (problem: ReporterProblem) => void;
  /** Called with the flag's state (version, enabled, newer snapshot) that a report or usage answer carries. */
  onState?: (flagId: string, state: FlagStateAnswer) => void;
  /** The version of a flag the isolate holds, sent as `seen_version` (the answer then omits a snapshot it has). */
  seen?: (flagId: string) => number | undefined;
  /** This isolate's reader id: usage then carries the propagation receipt (`reader`, `served`). */
  reader?: string;
}

export interface ReporterProblem {
  kind: 'call_failed' | 'rejected' | 'dropped';
  flagId: string;
  detail: string;
}

export interface ReporterStats {
  /** `report` calls made (each one flag and variant, any number of failures and successes). */
  reportCalls: number;
  /** `recordUsage` calls made. */
  usageCalls: number;
  /** Calls that threw or timed out; their counts were re-queued. */
  failedCalls: number;
  /** Counts re-queued after a failed call. */
  requeued: number;
  /** Calls the coordinator refused; their counts are not retried. */
  rejected: number;
  /** Counts dropped because the queue was full. */
  dropped: number;
  /** Flushes started. */
  flushes: number;
}

interface PendingReport {
  flagId: string;
  variant: string | undefined;
  failures: number;
  successes: number;
  error: string | undefined;
}

interface PendingUsage {
  flagId: string;
  variants: Map<string, number>;
  lastAt: number;
  /** Experiment exposures and events taken for this call. */
  units?: NonNullable<Usage['units']>;
  events?: NonNullable<Usage['events']>;
  /** Per version served: count, first and last time (the propagation receipt). */
  served?: Map<number, ServedVersion>;
}

interface Batch {
  reports: PendingReport[];
  usage: PendingUsage[];
}

/** Limits of one call, shared with the coordinator's schemas. */
const MAX_FAILURES_PER_CALL = REPORT_LIMITS.maxFailures;
const MAX_SUCCESSES_PER_CALL = REPORT_LIMITS.maxSuccesses;
const MAX_USAGE_PER_VARIANT = USAGE_LIMITS.maxPerVariant;
const MAX_VARIANTS_PER_USAGE = USAGE_LIMITS.maxVariants;
const MAX_UNITS_PER_USAGE = USAGE_LIMITS.maxUnits;
const MAX_EVENTS_PER_USAGE = USAGE_LIMITS.maxEvents;
/** Counts one entry may hold while its calls keep failing. */
const MAX_PENDING_FAILURES = 10 * MAX_FAILURES_PER_CALL;
const MAX_PENDING_SUCCESSES = 10 * MAX_SUCCESSES_PER_CALL;
/** Tick of the wait between flush rounds: how soon an urgent failure cuts a quiet wait short. */
const WAIT_TICK_MS = 25;
const MAX_BACKOFF_MS = 10_000;

export class BatchReporter {
  readonly stats: ReporterStats = { reportCalls: 0, usageCalls: 0, failedCalls: 0, requeued: 0, rejected: 0, dropped: 0, flushes: 0 };
  /** Evaluation counts of the synchronous path (`RequestFlags`), moved into `usage` when a batch is taken. */
  readonly counters = new UsageCounters();
  /** Exposures and metric events of running experiments, sent with the usage. */
  readonly experiments: ExperimentLog;
  private readonly reports = new Map<string, PendingReport>();
  private readonly usage = new Map<string, PendingUsage>();
  private readonly flushIntervalMs: number;
  private readonly failureIntervalMs: number;
  private readonly maxFlushMs: number;
  private readonly callTimeoutMs: number;
  private readonly maxEntries: number;
  private readonly errorSampleLength: number;
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly onProblem: (problem: ReporterProblem) => void;
  private readonly onState: ((flagId: string, state: FlagStateAnswer) => void) | undefined;
  private readonly options: ReporterOptions;

  private inFlight: Promise<void> | null = null;
  /** The flush each request context already keeps alive. */
  private readonly heldBy = new WeakMap<WaitUntil, Promise<void>>();
  private inFlightSince = 0;
  private generation = 0;
  private lastSentAt = -Infinity;
  private lastFailureSentAt = -Infinity;
  private retryAt = -Infinity;
  private consecutiveFailures = 0;

  constructor(
    private readonly binding: FlagReporterBinding,
    options: ReporterOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 5_000;
    this.failureIntervalMs = options.failureIntervalMs ?? 100;
    this.maxFlushMs = options.maxFlushMs ?? 20_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.maxEntries = options.maxPendingEntries ?? 1_000;
    this.errorSampleLength = Math.min(options.errorSampleLength ?? 200, REPORT_LIMITS.maxErrorSampleLength);
    const clock = (this.clock = options.clock ?? systemClock);
    this.now = options.now ?? (() => clock.now());
    this.onProblem = options.onProblem ?? throttledLog();
    this.onState = options.onState;
    this.options = options;
    this.experiments = new ExperimentLog({
      onDrop: (flagId, count) => this.drop(flagId, count, 'experiment queue full'),
    });
  }

  // ------------------------------------------------------------------ recording (synchronous, cheap)

  /** One failure of the flag's new code path, with an error sample (the first of the batch is kept). */
  recordFailure(flagId: string, variant: string | undefined, error?: unknown): void {
    const entry = this.reportEntry(flagId, variant);
    if (!entry) return this.drop(flagId, 1, 'report queue full');
    if (entry.failures >= MAX_PENDING_FAILURES) return this.drop(flagId, 1, 'failure count at its bound');
    entry.failures++;
    if (entry.error === undefined && error !== undefined) entry.error = errorSample(error, this.errorSampleLength);
  }

  /** One success of the flag's new code path (the error-rate rule needs both). */
  recordSuccess(flagId: string, variant: string | undefined): void {
    const entry = this.reportEntry(flagId, variant);
    if (!entry) return this.drop(flagId, 1, 'report queue full');
    if (entry.successes >= MAX_PENDING_SUCCESSES) return this.drop(flagId, 1, 'success count at its bound');
    entry.successes++;
  }

  /** One evaluation that served `variant` (exposures and last-use time), of the flag's `version` when known (the receipt). */
  recordEvaluation(flagId: string, variant: string, at: number = this.now(), version?: number): void {
    this.addUsage(flagId, variant, 1, at, version, at);
  }

  /** Whether anything waits to be sent. */
  get hasPending(): boolean {
    return this.reports.size > 0 || this.usage.size > 0 || this.counters.dirty || this.experiments.hasPending;
  }

  /** A copy of what waits to be sent (for tests and diagnostics). */
  pending(): { reports: (ReportBody & { flagId: string })[]; usage: Record<string, Usage> } {
    this.harvestCounters();
    return {
      reports: [...this.reports.values()].map((r) => ({ flagId: r.flagId, ...toBody(r) })),
      usage: Object.fromEntries([...this.usage.values()].map((u) => [u.flagId, toUsage(u, this.options.reader)])),
    };
  }

  // ------------------------------------------------------------------ flushing

  /**
   * `ctx.waitUntil(reporter.flush())` when anything is pending. Without a `ctx` nothing starts:
   * a flush outside `waitUntil` could be cut off with its request and hold up later flushes, so
   * the counts wait for the next request that passes one.
   */
  schedule(ctx: WaitUntil | undefined): void {
    if (!ctx || (!this.hasPending && !this.inFlight)) return;
    const flushing = this.flush();
    // A request that checks many flags hands its context the same flush once, not once per check.
    if (this.heldBy.get(ctx) === flushing) return;
    this.heldBy.set(ctx, flushing);
    ctx.waitUntil(flushing);
  }

  /**
   * Sends everything pending. Returns the flush in flight when there is one (which will also send
   * what was recorded after it started), so concurrent callers share one flush.
   */
  flush(): Promise<void> {
    const now = this.now();
    if (this.inFlight && now - this.inFlightSince > this.maxFlushMs + this.callTimeoutMs + 5_000) {
      // A flush that never settles belonged to a request whose context went away; start afresh.
      this.generation++;
      this.inFlight = null;
    }
    if (!this.inFlight) {
      if (!this.hasPending) return Promise.resolve();
      const generation = this.generation;
      const run: Promise<void> = this.drain(generation).finally(() => {
        if (this.inFlight === run) this.inFlight = null;
      });
      this.inFlight = run;
      this.inFlightSince = now;
      this.stats.flushes++;
    }
    return this.inFlight;
  }

  private async drain(generation: number): Promise<void> {
    // Let the synchronous rest of the request that scheduled this flush record its counts first.
    await undefined;
    const started = this.now();
    while (this.hasPending && generation === this.generation) {
      // Wait for this round's slot; an urgent failure arriving meanwhile shortens a quiet wait.
      for (;;) {
        const now = this.now();
        const due = this.dueAt();
        if (now >= due) break;
        if (now - started + Math.min(WAIT_TICK_MS, due - now) > this.maxFlushMs) return; // next request picks it up
        await sleep(this.clock, Math.min(WAIT_TICK_MS, due - now));
        if (!this.hasPending) return;
      }
      const batch = this.take();
      const now = this.now();
      this.lastSentAt = now;
      if (batch.reports.some((r) => r.failures > 0)) this.lastFailureSentAt = now;
      const delivered = await this.send(batch);
      if (delivered) {
        this.consecutiveFailures = 0;
        this.retryAt = -Infinity;
      } else {
        this.consecutiveFailures++;
        this.retryAt = this.now() + Math.min(MAX_BACKOFF_MS, 250 * 2 ** (this.consecutiveFailures - 1));
      }
    }
  }

  /** When the next round may go: failures soon, quiet counts once per interval, both after any backoff. */
  private dueAt(): number {
    const urgent = [...this.reports.values()].some((r) => r.failures > 0);
    const slot = urgent ? this.lastFailureSentAt + this.failureIntervalMs : this.lastSentAt + this.flushIntervalMs;
    return Math.max(slot, this.retryAt);
  }

  /** Moves everything pending into a batch (within the per-call limits; the excess stays queued). */
  private take(): Batch {
    this.harvestCounters();
    const batch: Batch = { reports: [], usage: [...this.usage.values()] };
    this.usage.clear();
    for (const [flagId, { units, events }] of this.experiments.take(MAX_UNITS_PER_USAGE, MAX_EVENTS_PER_USAGE)) {
      let entry = batch.usage.find((u) => u.flagId === flagId);
      if (!entry) batch.usage.push((entry = { flagId, variants: new Map(), lastAt: 0 }));
      entry.units = units;
      entry.events = events;
    }
    for (const [key, entry] of this.reports) {
      const failures = Math.min(entry.failures, MAX_FAILURES_PER_CALL);
      const successes = Math.min(entry.successes, MAX_SUCCESSES_PER_CALL);
      batch.reports.push({ ...entry, failures, successes });
      entry.failures -= failures;
      entry.successes -= successes;
      entry.error = undefined;
      if (entry.failures === 0 && entry.successes === 0) this.reports.delete(key);
    }
    return batch;
  }

  /** Sends a batch; failed calls put their counts back. True when every call was delivered. */
  private async send(batch: Batch): Promise<boolean> {
    const calls: Promise<boolean>[] = [];
    for (const report of batch.reports) {
      this.stats.reportCalls++;
      calls.push(
        this.call(report.flagId, () => this.binding.report(report.flagId, { ...toBody(report), seen_version: this.options.seen?.(report.flagId) })).then((outcome) => {
          if (outcome === 'failed') this.requeueReport(report);
          return outcome !== 'failed';
        }),
      );
    }
    for (const usage of batch.usage) {
      this.stats.usageCalls++;
      calls.push(
        this.call(usage.flagId, () => this.binding.recordUsage(usage.flagId, { ...toUsage(usage, this.options.reader), seen_version: this.options.seen?.(usage.flagId) })).then((outcome) => {
          if (outcome === 'failed') this.requeueUsage(usage);
          return outcome !== 'failed';
        }),
      );
    }
    const results = await Promise.all(calls);
    return results.every(Boolean);
  }

  private async call(flagId: string, send: () => Promise<unknown>): Promise<'ok' | 'rejected' | 'failed'> {
    let timer: unknown;
    try {
      const answer = await Promise.race([
        send(),
        new Promise<never>((_, reject) => {
          timer = this.clock.setTimeout(() => reject(new Error(`no answer within ${this.callTimeoutMs} ms`)), this.callTimeoutMs);
        }),
      ]);
      if (isRefusal(answer)) {
        this.stats.rejected++;
        this.onProblem({ kind: 'rejected', flagId, detail: `${answer.code ?? 'refused'}: ${answer.message ?? ''}` });
        return 'rejected';
      }
      const state = stateOf(answer);
      if (state && this.onState) this.onState(flagId, state);
      return 'ok';
    } catch (error) {
      this.stats.failedCalls++;
      this.onProblem({ kind: 'call_failed', flagId, detail: errorSample(error, 200) });
      return 'failed';
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }

  private requeueReport(report: PendingReport): void {
    const entry = this.reportEntry(report.flagId, report.variant);
    if (!entry) return this.drop(report.flagId, report.failures + report.successes, 'report queue full on retry');
    const failures = Math.min(report.failures, MAX_PENDING_FAILURES - entry.failures);
    const successes = Math.min(report.successes, MAX_PENDING_SUCCESSES - entry.successes);
    entry.failures += failures;
    entry.successes += successes;
    entry.error ??= report.error;
    this.stats.requeued += failures + successes;
    const lost = report.failures - failures + (report.successes - successes);
    if (lost > 0) this.drop(report.flagId, lost, 'counts at their bound on retry');
  }

  private requeueUsage(usage: PendingUsage): void {
    if (usage.units || usage.events) this.stats.requeued += this.experiments.requeue(usage.flagId, usage.units ?? [], usage.events ?? []);
    for (const [variant, count] of usage.variants) {
      this.stats.requeued += this.addUsage(usage.flagId, variant, count, usage.lastAt, undefined, 0, ' on retry');
    }
    const entry = this.usage.get(usage.flagId);
    if (entry) for (const s of usage.served?.values() ?? []) serve(entry, s);
  }

  /** Moves the synchronous path's counters into the usage queue. */
  private harvestCounters(): void {
    if (this.counters.dirty) this.counters.harvest((...args) => this.addUsage(...args));
  }

  /**
   * Adds `count` evaluations of a variant (of `version`, first served at `firstAt`) to the usage
   * queue, within its bounds; returns how many fit.
   */
  private addUsage(flagId: string, variant: string, count: number, at: number, version: number | undefined, firstAt: number, when = ''): number {
    let entry = this.usage.get(flagId);
    if (!entry) {
      if (this.usage.size >= this.maxEntries) {
        this.drop(flagId, count, `usage queue full${when}`);
        return 0;
      }
      entry = { flagId, variants: new Map(), lastAt: 0 };
      this.usage.set(flagId, entry);
    }
    const current = entry.variants.get(variant);
    if (current === undefined && entry.variants.size >= MAX_VARIANTS_PER_USAGE) {
      this.drop(flagId, count, `too many variants${when}`);
      return 0;
    }
    const kept = Math.min(count, MAX_USAGE_PER_VARIANT - (current ?? 0));
    if (kept > 0) {
      entry.variants.set(variant, (current ?? 0) + kept);
      if (at > entry.lastAt) entry.lastAt = at;
      if (version !== undefined) serve(entry, { version, count: kept, first_at: Math.floor(firstAt), last_at: Math.floor(at) });
    }
    if (kept < count) this.drop(flagId, count - kept, `usage count at its bound${when}`);
    return kept;
  }

  private reportEntry(flagId: string, variant: string | undefined): PendingReport | undefined {
    const key = `${flagId}\u0000${variant ?? ''}`;
    let entry = this.reports.get(key);
    if (!entry) {
      if (this.reports.size >= this.maxEntries) return undefined;
      entry = { flagId, variant, failures: 0, successes: 0, error: undefined };
      this.reports.set(key, entry);
    }
    return entry;
  }

  private drop(flagId: string, count: number, why: string): void {
    this.stats.dropped += count;
    this.onProblem({ kind: 'dropped', flagId, detail: `${count} count(s) dropped: ${why}` });
  }
}

function toBody(report: PendingReport): ReportBody {
  const body: ReportBody = { failures: report.failures, successes: report.successes };
  if (report.error !== undefined) body.error = report.error;
  if (report.variant !== undefined) body.variant = report.variant;
  return body;
}

function toUsage(usage: PendingUsage, reader?: string): Usage {
  const body: Usage = { variants: Object.fromEntries(usage.variants), last_at: Math.floor(usage.lastAt) };
  if (usage.units?.length) body.units = usage.units;
  if (usage.events?.length) body.events = usage.events;
  if (reader && usage.served) {
    body.reader = reader;
    // Versions in the order first served: the newest are last.
    body.served = [...usage.served.values()].slice(-USAGE_LIMITS.maxServed);
  }
  return body;
}

/** Adds one version's counts and times to a usage entry's receipt. */
function serve(entry: PendingUsage, s: ServedVersion): void {
  const served = (entry.served ??= new Map());
  const had = served.get(s.version);
  if (!had) served.set(s.version, { ...s });
  else {
    had.count += s.count;
    had.first_at = Math.min(had.first_at, s.first_at);
    had.last_at = Math.max(had.last_at, s.last_at);
  }
}

/** The flag state in an `{ ok: true, value }` answer, when it has one. */
function stateOf(answer: unknown): FlagStateAnswer | undefined {
  const value = typeof answer === 'object' && answer !== null ? (answer as { value?: unknown }).value : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<FlagStateAnswer>;
  return typeof v.version === 'number' && typeof v.enabled === 'boolean' ? (v as FlagStateAnswer) : undefined;
}

function isRefusal(answer: unknown): answer is { ok: false; code?: string; message?: string } {
  return typeof answer === 'object' && answer !== null && (answer as { ok?: unknown }).ok === false;
}

/** A short, single-line description of an error, for the flag's incident record. */
export function errorSample(error: unknown, maxLength: number): string {
  let text: string;
  if (error instanceof Error) text = error.message ? `${error.name}: ${error.message}` : error.name;
  else if (typeof error === 'string') text = error;
  else {
    try {
      text = JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  text = text.replace(/\s+/g, ' ').trim() || 'error';
  return text.length > maxLength ? `${text.slice(0, Math.max(0, maxLength - 1))}…` : text;
}

/**
 * Evaluation counts as flat arrays, one slot per flag and variant, so that a synchronous check
 * records its exposure with two array writes; the reporter moves them into its usage queue when it
 * takes a batch. Slots are assigned when a flag is compiled and kept for the isolate's life.
 */
export class UsageCounters {
  readonly counts: number[] = [];
  readonly lastAt: number[] = [];
  /** Time of the first evaluation since the last harvest. */
  readonly firstAt: number[] = [];
  /** Set by the first check of a request; cleared when the counts are harvested. */
  dirty = false;
  private readonly keys: { flagId: string; variant: string; version: number }[] = [];
  private readonly slots = new Map<string, number>();

  /** The slot counting evaluations of `variant` of `flagId` at `version`. */
  slot(flagId: string, variant: string, version: number): number {
    const key = `${flagId}\u0000${variant}\u0000${version}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.keys.length;
      this.keys.push({ flagId, variant, version });
      this.counts.push(0);
      this.lastAt.push(0);
      this.firstAt.push(0);
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Hands every non-zero count to `take` and resets it. */
  harvest(take: (flagId: string, variant: string, count: number, lastAt: number, version: number, firstAt: number) => void): void {
    this.dirty = false;
    const { counts, lastAt, firstAt, keys } = this;
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (count === 0) continue;
      counts[i] = 0;
      take(keys[i]!.flagId, keys[i]!.variant, count, lastAt[i]!, keys[i]!.version, firstAt[i]!);
    }
  }
}

/** Logs problems at most once per 10 s per kind, so a failing coordinator cannot flood the logs. */
function throttledLog(): (problem: ReporterProblem) => void {
  const last = new Map<string, number>();
  return (problem) => {
    const now = Date.now();
    if (now - (last.get(problem.kind) ?? -Infinity) < 10_000) return;
    last.set(problem.kind, now);
    console.warn(`flag-coordinator reporter: ${problem.kind} for "${problem.flagId}": ${problem.detail}`);
  };
}
