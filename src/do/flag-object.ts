/**
 * FlagObject: the single writer for one flag (addressed by `idFromName(flagId)`).
 *
 * Every mutation runs as one synchronous SQLite transaction that stores the new config, its
 * history entry and the outbox rows for its side effects, so a change is either complete or
 * absent, and concurrent requests are serialised without locks. Side effects (KV snapshot,
 * catalog, notifications) are drained from the outbox afterwards and retried by alarm.
 */
import { DurableObject } from 'cloudflare:workers';
import { flagMigrations } from '../../migrations/flag';
import {
  applied,
  applyAtRefusal,
  decided,
  failed,
  isDue,
  needsApproval,
  refusal,
  requestId,
  staleness,
  type ChangeRequest,
  type RequestAction,
  type RequestActor,
  type RequestedChange,
  type RequestStatus,
} from '../flags/change-requests';
import { requestEvent, withIdempotencyKey, type FlagEvent, type RequestEventKind } from '../flags/notifications';
import { historyPage, type HistoryEntry, type HistoryPage } from '../flags/history';
import { nextPlanCheck, PLAN_ACTOR, stageGuardrails } from '../flags/plan/transitions';
import { AUTO_KILL_ACTOR, decide, type ChangeContext, type Command, type Decision, type Effect } from '../flags/pipeline';
import { currentOf, liveFloor, propagation, receive, type Propagation } from '../flags/propagation';
import { flagStateAnswer, type EventOutcome, type MetricEventInput, type Report, type ReportOutcome, type Usage, type UsageOutcome } from '../flags/reports';
import { flagGuardrails, flagReadout, type FlagExperimentReadout } from '../flags/experiments';
import { fail, ok, versionMismatch, type Failure, type Result } from '../flags/result';
import { KV_KEYS, type ServedVersion } from '../flags/model';
import { snapshotTooLarge } from '../flags/shards';
import { toSnapshot, type CreateFlagInput, type FlagConfig } from '../flags/schema';
import { flagStatus, summarise } from '../flags/status';
import { bucketSizeMs, bucketStart, errorRate, windowFloor } from '../flags/window';
import type { Env } from '../env';
import type { CatalogEntry } from './catalog-object';
import { catalogStub, type FlagApi, type FlagHealth, type FlagView, type RequestOutcome, type Submission, type Submitted } from './stubs';
import { FlagStore } from './flag-store';
import { ReaderStore } from './reader-store';
import { emptyEventOutcome, ExperimentStore } from './experiment-store';
import { Outbox, type Channel } from './outbox';
import { applyMigrations } from './migrations';
import { deliverSlack, deliverWebhook } from './notify';
import { scheduleAlarm, systemClock, type Clock } from './timing';

/** How long an admin change waits for its own publish before answering anyway. */
const SETTLE_WAIT_MS = 2_000;

/** Who asks for a change, and why. */
interface Who {
  actor: string;
  reason?: string | undefined;
}

/** The actor of a scheduled change's failure at its time. */
const SCHEDULE_ACTOR = 'schedule';

/** `requests`: a change request's newest state, to the catalog's index. */
type FlagOutboxKind = 'kv' | 'catalog' | 'requests' | 'slack' | 'webhook';

export class FlagObject extends DurableObject<Env> implements FlagApi {
  private readonly store: FlagStore;
  private readonly experiments: ExperimentStore;
  private readonly readers: ReaderStore;
  private readonly outbox: Outbox<FlagOutboxKind>;

  /** workerd passes `ctx` and `env`; tests and the bench also pass a clock of their own. */
  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly clock: Clock = systemClock,
  ) {
    super(ctx, env);
    this.store = new FlagStore(ctx.storage.sql);
    this.experiments = new ExperimentStore(ctx.storage.sql, this.store.state);
    this.readers = new ReaderStore(ctx.storage.sql);
    this.outbox = new Outbox(ctx.storage.sql, this.store.state, clock, this.channels(), () => this.ctx.waitUntil(this.scheduleAlarm()));
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, flagMigrations);
    });
  }

  // ------------------------------------------------------------------ admin operations

  create(input: CreateFlagInput, actor: string): Promise<Result<FlagView>> {
    return this.answer(this.change(input.id, { kind: 'create', input }, { actor, reason: input.reason }));
  }

  get(flagId: string): Result<FlagView> {
    const flag = this.load(flagId, { allowArchived: true });
    return flag.ok ? ok(this.view(flag.value)) : flag;
  }

  kill(flagId: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.answer(this.change(flagId, { kind: 'kill' }, { actor, reason, ifMatch }));
  }

  /**
   * Every admin write but creation and a kill: applied at once, or held as a change request when
   * the flag is protected and the author may not approve, or when it carries `apply_at`. A change
   * the pipeline would refuse is refused now, and one that would change nothing is not held.
   */
  async submit(flagId: string, change: RequestedChange, who: Submission): Promise<Result<Submitted>> {
    const loaded = this.loadForChange(flagId, who.ifMatch);
    if (!loaded.ok) return this.refused(loaded);
    const flag = loaded.value;
    const needs = needsApproval(flag, change, who);
    if (!needs && who.applyAt === undefined) {
      const result = await this.answer(this.change(flagId, this.command(change), who));
      return result.ok ? ok({ kind: 'applied', flag: result.value }) : result;
    }
    const now = this.clock.now();
    const early = who.applyAt === undefined ? null : applyAtRefusal(who.applyAt, now);
    if (early) return early;
    const tried = decide(flag, this.command(change), { actor: who.actor, reason: who.reason, now });
    if (!tried.ok) return tried;
    if (!tried.value) return ok({ kind: 'applied', flag: this.view(flag) });
    const n = this.store.nextRequestNumber();
    const request: ChangeRequest = {
      id: requestId(flagId, n),
      flag: flagId,
      author: who.actor,
      base_version: flag.version,
      change,
      reason: who.reason ?? null,
      status: needs ? 'pending' : 'scheduled',
      needs_approval: needs,
      ...(who.applyAt === undefined ? {} : { apply_at: isoOf(who.applyAt) }),
      created_at: isoOf(now),
      updated_at: isoOf(now),
      revision: 1,
    };
    this.ctx.storage.transactionSync(() => this.saveRequest(n, request, 'requested', who.actor, flag));
    await this.drainAndWait();
    return ok({ kind: 'held', request });
  }

  /**
   * Approves, rejects or cancels a change request. An approval applies the change at once as one
   * new version (or schedules it, when its `apply_at` lies ahead), or answers 409 when the flag
   * has moved past the request's `base_version`. A refusal changes nothing.
   */
  async actOnRequest(flagId: string, n: number, action: RequestAction, who: RequestActor & { note?: string | undefined }): Promise<Result<RequestOutcome>> {
    const flag = this.store.config();
    const request = flag?.id === flagId ? this.store.changeRequest(n) : null;
    if (!flag || !request) return fail(404, 'not_found', `change request ${requestId(flagId, n)} not found`);
    const refused = refusal(request, action, who);
    if (refused) return refused;
    const stale = action === 'approve' ? staleness(request, flag) : null;
    if (stale) {
      const details = { base_version: request.base_version, current_version: flag.version };
      return fail(409, 'conflict', `change request ${request.id} was made against version ${request.base_version}, and ${stale}: make the change again`, details);
    }
    const now = this.clock.now();
    const next = decided(request, action, who, who.note, isoOf(now));
    const result = this.ctx.storage.transactionSync((): Result<ChangeRequest> => {
      if (action === 'approve' && isDue(next, now)) return this.applyRequest(n, next, flag, now, who.actor);
      this.saveRequest(n, next, action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'cancelled', who.actor, flag);
      return ok(next);
    });
    if (!result.ok) return result;
    this.afterChange();
    await this.drainAndWait();
    return ok({ request: result.value, flag: this.view(this.store.config() ?? flag) });
  }

  changeRequest(flagId: string, n: number): Result<ChangeRequest> {
    const flag = this.load(flagId, { allowArchived: true });
    if (!flag.ok) return flag;
    const request = this.store.changeRequest(n);
    return request ? ok(request) : fail(404, 'not_found', `change request ${requestId(flagId, n)} not found`);
  }

  /** The flag's change requests, newest first (those in `statuses` when given). */
  changeRequests(flagId: string, statuses: readonly RequestStatus[] | undefined, limit: number): Result<ChangeRequest[]> {
    const flag = this.load(flagId, { allowArchived: true });
    return flag.ok ? ok(this.store.changeRequests(statuses, limit)) : flag;
  }

  history(flagId: string, limit: number, before?: number): Result<HistoryPage<HistoryEntry>> {
    const flag = this.load(flagId, { allowArchived: true });
    if (!flag.ok) return flag;
    return ok(historyPage(this.store.history(limit, before), limit));
  }

  // ------------------------------------------------------------------ reports and health

  /**
   * Counts a batch of failures/successes in the current bucket and, in the same transaction,
   * kills the flag if that breaches the policy. Only an enabled flag can be killed, so the kill
   * happens once per incident however many reports race for it. The report that trips the kill
   * answers once the kill has reached the change feed's relays (bounded, like an admin change).
   */
  async report(flagId: string, report: Report): Promise<Result<ReportOutcome>> {
    const loaded = this.load(flagId);
    if (!loaded.ok) return loaded;
    const flag = loaded.value;
    const now = this.clock.now();
    const window = flag.auto_kill.window_seconds;
    const { counts, decided } = this.ctx.storage.transactionSync(() => {
      this.store.addToBucket(bucketStart(now, window), report.variant ?? '', report.failures, report.successes);
      const counts = this.store.windowCounts(windowFloor(now, window));
      return { counts, decided: this.decideAndStore(flag, { kind: 'health', counts, report }, { actor: AUTO_KILL_ACTOR, now }) };
    });
    const after = decided.ok ? decided.value?.after : undefined;
    if (after) {
      this.afterChange();
      await this.settle();
    } else this.ctx.waitUntil(this.scheduleAlarm());
    const shown = after ?? flag;
    return ok({ ...flagStateAnswer(shown, report.seen_version), ...counts, tripped: after !== undefined && !after.enabled });
  }

  /**
   * Evaluation counts per variant from SDK flushes and OFREP, for exposures and stale-flag
   * detection; while the experiment runs, also the units first exposed and the metric events,
   * stored with their aggregates in one transaction (exposures first, so a unit's events in the
   * same flush find it); and the reader's propagation receipt, when it sends one.
   */
  recordUsage(flagId: string, usage: Usage): Result<UsageOutcome> {
    const loaded = this.load(flagId, { allowArchived: true });
    if (!loaded.ok) return loaded;
    const flag = loaded.value;
    const now = this.clock.now();
    // A client's clock may run ahead: a time in the future would freeze "last used" for good.
    const lastAt = Math.min(usage.last_at, now);
    const units = usage.units ?? [];
    const events = usage.events ?? [];
    const experiment = this.ctx.storage.transactionSync(() => {
      this.store.addExposures(usage.variants, lastAt);
      if (usage.reader !== undefined && usage.served?.length) this.receipt(flag, usage.reader, usage.served, now);
      if (units.length === 0 && events.length === 0) return undefined;
      if (!flag.experiment) return { new_units: 0, multiple: 0, events: { ...emptyEventOutcome(), not_running: events.length } };
      const exposed = this.experiments.recordExposures(flag.experiment, units.map((u) => ({ ...u, at: Math.min(u.at, now) })));
      const outcome = { ...exposed, events: this.experiments.recordEvents(flag.experiment, events.map((e) => ({ ...e, at: Math.min(e.at ?? now, now) }))) };
      this.checkGuardrails(flag, now);
      return outcome;
    });
    const recorded = Object.values(usage.variants).reduce((a, b) => a + b, 0);
    // The catalog learns of use at most hourly: enough for stale-flag reports, cheap for the catalog.
    const lastSynced = this.store.getState<number>('usage_synced_at') ?? 0;
    if (lastAt - lastSynced > 60 * 60 * 1000) {
      this.store.setState('usage_synced_at', lastAt);
      this.ctx.waitUntil(catalogStub(this.env).recordUsage(flagId, lastAt).catch(() => undefined));
    }
    const state = flagStateAnswer(loaded.value, usage.seen_version);
    return ok(experiment ? { recorded, ...state, experiment } : { recorded, ...state });
  }

  /** A reader's receipt into its record (a new reader may evict the least recently seen). Call inside a transaction. */
  private receipt(flag: FlagConfig, reader: string, served: ServedVersion[], now: number): void {
    const previous = this.readers.get(reader);
    const record = receive(previous, reader, served, currentOf(flag), now);
    if (!record) return;
    if (!previous) this.readers.prune(liveFloor(now));
    this.readers.save(record, previous === null);
  }

  /** `GET /admin/flags/:id/propagation`: how far the current version has reached the live readers. */
  propagation(flagId: string): Result<Propagation> {
    const loaded = this.load(flagId, { allowArchived: true });
    if (!loaded.ok) return loaded;
    const now = this.clock.now();
    this.readers.prune(liveFloor(now));
    return ok(propagation(currentOf(loaded.value), this.readers.live(liveFloor(now)), now));
  }

  /** `POST /v1/flags/:id/events`: metric events of units (see `ExperimentStore.recordEvents`). */
  recordEvents(flagId: string, events: MetricEventInput[]): Result<EventOutcome> {
    const loaded = this.load(flagId);
    if (!loaded.ok) return loaded;
    const experiment = loaded.value.experiment;
    if (!experiment) return fail(409, 'conflict', `flag "${flagId}" has no experiment`);
    const now = this.clock.now();
    const records = events.map((e) => ({ ...e, at: Math.min(e.at ?? now, now) }));
    return ok(
      this.ctx.storage.transactionSync(() => {
        const outcome = this.experiments.recordEvents(experiment, records);
        this.checkGuardrails(loaded.value, now);
        return outcome;
      }),
    );
  }

  /**
   * New experiment data: a running plan whose stage has guardrails reacts at once when one shows
   * harm. Call inside the transaction that stored the data.
   */
  private checkGuardrails(flag: FlagConfig, now: number): void {
    const guardrails = stageGuardrails(flag);
    if (guardrails.length === 0) return;
    const verdict = flagGuardrails(flag, guardrails, () => this.experiments.aggregates(flag.experiment!), now);
    if (!verdict.worse && verdict.unknown_metrics.length === 0) return;
    const decided = this.decideAndStore(flag, { kind: 'guardrail', verdict }, { actor: PLAN_ACTOR, now });
    if (decided.ok && decided.value) this.afterChange();
  }

  /** `GET /admin/flags/:id/experiment`: the read-out, from the aggregates alone. */
  experimentReadout(flagId: string): Result<FlagExperimentReadout> {
    const loaded = this.load(flagId, { allowArchived: true });
    if (!loaded.ok) return loaded;
    const flag = loaded.value;
    if (!flag.experiment) return fail(404, 'not_found', `flag "${flagId}" has no experiment`);
    const withExperiment = { ...flag, experiment: flag.experiment };
    return ok(flagReadout(withExperiment, this.experiments.aggregates(flag.experiment), this.clock.now()));
  }

  health(flagId: string): Result<FlagHealth> {
    const loaded = this.load(flagId, { allowArchived: true });
    if (!loaded.ok) return loaded;
    const flag = loaded.value;
    const now = this.clock.now();
    const floor = windowFloor(now, flag.auto_kill.window_seconds);
    const counts = this.store.windowCounts(floor);
    const byVariant = Object.fromEntries(
      Object.entries(this.store.windowByVariant(floor)).map(([variant, c]) => [variant || 'unknown', { ...c, error_rate: errorRate(c) }]),
    );
    const exposures = this.store.exposures();
    const lastEvaluated = exposures.reduce((max, e) => Math.max(max, e.last_at), 0);
    return ok({
      flag_id: flag.id,
      enabled: flag.enabled,
      version: flag.version,
      window_seconds: flag.auto_kill.window_seconds,
      ...counts,
      error_rate: errorRate(counts),
      policy: flag.auto_kill,
      by_variant: byVariant,
      buckets: this.store.windowBuckets(floor).map((b) => ({ ...b, start: new Date(b.start).toISOString() })),
      exposures: Object.fromEntries(exposures.map((e) => [e.variant, { count: e.count, last_at: new Date(e.last_at).toISOString() }])),
      last_incident: flag.last_incident ?? null,
      last_evaluated_at: lastEvaluated ? new Date(lastEvaluated).toISOString() : null,
      pending_side_effects: this.outbox.pending(),
    });
  }

  // ------------------------------------------------------------------ alarm and outbox

  /** One alarm for everything timed: window pruning, scheduled changes, the plan's next step and the outbox. */
  override async alarm(): Promise<void> {
    const flag = this.store.config();
    if (flag) {
      this.store.pruneBuckets(windowFloor(this.clock.now(), flag.auto_kill.window_seconds));
      this.applyScheduled();
      this.stepPlan(this.store.config() ?? flag);
    }
    await this.outbox.drain();
    await this.scheduleAlarm();
  }

  /**
   * A running plan whose hold has elapsed takes one step (or reacts to ill health), however late
   * the alarm: the next hold counts from now, and the next step is another alarm.
   */
  private stepPlan(flag: FlagConfig): void {
    const now = this.clock.now();
    const due = nextPlanCheck(flag);
    if (due === null || due > now) return;
    this.ctx.storage.transactionSync(() => {
      const counts = this.store.windowCounts(windowFloor(now, flag.auto_kill.window_seconds));
      const guardrails = stageGuardrails(flag);
      const verdict = guardrails.length > 0 ? flagGuardrails(flag, guardrails, () => this.experiments.aggregates(flag.experiment!), now) : undefined;
      this.decideAndStore(flag, { kind: 'plan_tick', counts, ...(verdict ? { guardrails: verdict } : {}) }, { actor: PLAN_ACTOR, now });
    });
  }

  /**
   * Scheduled changes whose time has come, each in its own transaction, in the order they are due:
   * applied as one new version, or marked failed (and notified) when the flag moved past the
   * version they were made against or the pipeline refuses them.
   */
  private applyScheduled(): void {
    const now = this.clock.now();
    for (const { n, request } of this.store.dueRequests(now)) {
      this.ctx.storage.transactionSync(() => {
        const flag = this.store.config();
        if (!flag) return;
        const stale = staleness(request, flag);
        const result = stale ? fail(409, 'conflict', stale) : this.applyRequest(n, request, flag, now, null);
        if (!result.ok) this.saveRequest(n, failed(request, result.message, isoOf(now)), 'failed', SCHEDULE_ACTOR, flag);
      });
    }
  }

  /** The outbox channels: the snapshot to KV and the summary to the catalog (newest only), each request and notification on its own. */
  private channels(): Record<FlagOutboxKind, Channel> {
    const newest = (send: (flag: FlagConfig) => Promise<unknown>) => () => {
      const flag = this.store.config();
      return flag && { version: flag.version, send: () => send(flag) };
    };
    const notify = (deliver: (event: FlagEvent) => Promise<unknown>): Channel => ({
      mode: 'each',
      deliver: (row) => deliver(withIdempotencyKey(JSON.parse(row.payload) as FlagEvent)),
    });
    return {
      kv: { mode: 'latest', spaced: true, latest: newest((flag) => this.env.FLAGS_KV.put(KV_KEYS.flag(flag.id), JSON.stringify(toSnapshot(flag)))) },
      catalog: { mode: 'latest', latest: newest((flag) => catalogStub(this.env).upsertFlag(this.catalogEntry(flag))) },
      requests: { mode: 'each', deliver: (row) => catalogStub(this.env).indexChangeRequest(JSON.parse(row.payload) as ChangeRequest) },
      slack: notify((event) => (this.env.SLACK_WEBHOOK_URL ? deliverSlack(this.env.SLACK_WEBHOOK_URL, event) : Promise.resolve())),
      webhook: notify((event) => (this.env.WEBHOOK_URL ? deliverWebhook(this.env.WEBHOOK_URL, this.env.WEBHOOK_SECRET, event) : Promise.resolve())),
    };
  }

  // ------------------------------------------------------------------ internals

  private load(flagId: string, { allowArchived = false } = {}): Result<FlagConfig> {
    const flag = this.store.config();
    if (!flag || flag.id !== flagId) return fail(404, 'not_found', `flag "${flagId}" not found`);
    if (flag.archived && !allowArchived) return fail(404, 'not_found', `flag "${flagId}" is archived`);
    return ok(flag);
  }

  private loadForChange(flagId: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.store.config();
    if (!flag || flag.id !== flagId) return fail(404, 'not_found', `flag "${flagId}" not found`);
    if (flag.archived) return fail(409, 'flag_archived', `flag "${flagId}" is archived`);
    return versionMismatch('flag', flag, ifMatch) ?? ok(flag);
  }

  /**
   * The one path of an admin change: load, check `If-Match`, decide, store, start the publish.
   * Returns the configuration as stored (the current one when the command changes nothing).
   */
  private change(flagId: string, command: Command, { actor, reason, ifMatch }: Who & { ifMatch?: number | undefined }): Result<FlagConfig> {
    const loaded: Result<FlagConfig | null> = command.kind === 'create' ? ok(this.store.config()) : this.loadForChange(flagId, ifMatch);
    if (!loaded.ok) return loaded;
    const current = loaded.value;
    const now = this.clock.now();
    const decided = this.ctx.storage.transactionSync(() => this.decideAndStore(current, command, { actor, reason, now }));
    if (!decided.ok) return decided;
    if (!decided.value) return ok(current!);
    this.afterChange();
    return ok(decided.value.after);
  }

  /** Decides a command and stores the decision: config, history and effects. Call inside a transaction. */
  private decideAndStore(flag: FlagConfig | null, command: Command, context: ChangeContext): Result<Decision | null> {
    const decided = decide(flag, command, context);
    if (!decided.ok || !decided.value) return decided;
    const { after, history, effects } = decided.value;
    const tooLarge = snapshotTooLarge(toSnapshot(after));
    if (tooLarge) return tooLarge;
    this.store.saveConfig(after);
    this.store.appendHistory(history);
    for (const effect of effects) this.queue(effect, after.version);
    return decided;
  }

  /**
   * Applies a change request through the pipeline as one new version whose history names the
   * request, its author and its approver; `approvedBy` notifies the approval too. Call inside a
   * transaction; a refusal stores nothing.
   */
  private applyRequest(n: number, request: ChangeRequest, flag: FlagConfig, now: number, approvedBy: string | null): Result<ChangeRequest> {
    const { id, author, approved_by, apply_at, reason } = request;
    const context: ChangeContext = { actor: author, reason: reason ?? undefined, now, request: { id, author, approved_by, apply_at } };
    const stored = this.decideAndStore(flag, this.command(request.change), context);
    if (!stored.ok) return stored;
    const after = stored.value?.after ?? flag;
    const next = applied(request, after.version, isoOf(now));
    this.saveRequest(n, next, approvedBy === null ? null : 'approved', approvedBy ?? author, after);
    return ok(next);
  }

  /** Stores a request's new state, queues it for the catalog's index and notifies `event`. Call inside a transaction. */
  private saveRequest(n: number, request: ChangeRequest, event: RequestEventKind | null, actor: string, flag: FlagConfig): void {
    this.store.saveChangeRequest(n, request);
    this.outbox.enqueue('requests', flag.version, request);
    if (event) this.queue({ kind: 'notify', event: requestEvent(event, request, flag, actor, request.updated_at) }, flag.version);
  }

  /** The pipeline's command for a requested change (a revert finds the version it restores). */
  private command(change: RequestedChange): Command {
    if (change.kind !== 'revert') return change;
    return { kind: 'revert', version: change.version, target: this.store.historyEntry(change.version)?.after ?? null };
  }

  /** Turns one effect of a stored change into its outbox rows (or does it, when it is local). */
  private queue(effect: Effect, version: number): void {
    switch (effect.kind) {
      case 'publish':
        this.outbox.enqueue('catalog', version);
        this.outbox.enqueue('kv', version);
        return;
      case 'notify':
        if (this.env.SLACK_WEBHOOK_URL) this.outbox.enqueue('slack', version, effect.event);
        if (this.env.WEBHOOK_URL) this.outbox.enqueue('webhook', version, effect.event);
        return;
      case 'reset_window':
        this.store.clearWindow();
        return;
    }
  }

  /**
   * An admin change answers once its publish has reached the catalog, which has pushed it to the
   * change feed's relays (and KV, when its slot is free), so the list read right after a change
   * shows it and readers can see it; a slow publish is not waited for.
   */
  private async answer(result: Result<FlagConfig>): Promise<Result<FlagView>> {
    if (!result.ok) return this.refused(result);
    await this.settle();
    return ok(this.view(result.value));
  }

  /** Waits for the publishes under way (catalog, hence the change feed's relays, and KV), at most SETTLE_WAIT_MS. */
  private async settle(): Promise<void> {
    const publishing = this.outbox.publishing();
    if (publishing) await Promise.race([publishing, scheduler.wait(SETTLE_WAIT_MS)]);
  }

  /** A 412 shows the flag as it now is, status included, so a client can redraw from it. */
  private refused(failure: Failure): Failure {
    const current = this.store.config();
    return failure.code === 'version_mismatch' && current ? { ...failure, details: { current: this.view(current) } } : failure;
  }

  /** Delivers what is due (a request to the catalog's index among it) and waits a little for it, so a list read next shows it. */
  private async drainAndWait(): Promise<void> {
    const draining = this.outbox.drain();
    this.ctx.waitUntil(draining);
    await Promise.race([draining, scheduler.wait(SETTLE_WAIT_MS)]);
  }

  /** The flag as the admin API shows it: its config and its one-word status. */
  private view(flag: FlagConfig): FlagView {
    return { ...flag, status: flagStatus(flag) };
  }

  /** Starts draining the outbox without holding up the caller's response. */
  private afterChange(): void {
    this.ctx.waitUntil(this.outbox.drain());
  }

  /** The alarm serves the earliest of: an outbox row due, the next bucket to prune, a scheduled change, the plan's next step. */
  private scheduleAlarm(): Promise<void> {
    const flag = this.store.config();
    const oldest = this.store.oldestBucket();
    const window = flag?.auto_kill.window_seconds;
    const prune = window !== undefined && oldest !== null ? oldest + window * 1000 + bucketSizeMs(window) : null;
    const times = [this.outbox.nextAttempt(), prune, this.store.nextScheduled(), flag ? nextPlanCheck(flag) : null];
    return scheduleAlarm(this.ctx.storage, this.clock, times);
  }

  private catalogEntry(flag: FlagConfig): CatalogEntry {
    return { summary: summarise(flag), snapshot: toSnapshot(flag) };
  }
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
