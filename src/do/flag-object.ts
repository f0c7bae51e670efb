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
  archived,
  changedFields,
  killed,
  newFlag,
  patched,
  reverted,
  withRollout,
  type FlagAction,
} from '../flags/changes';
import { historyPage, type HistoryPage } from '../flags/history';
import { eventFor } from '../flags/notifications';
import type { PlanCommand, PlanDefinition } from '../flags/plan/body';
import {
  afterOutsideChange,
  controlPlan,
  healthReaction,
  nextPlanCheck,
  PLAN_ACTOR,
  scheduledStep,
  setPlan,
  type PlanChange,
} from '../flags/plan/transitions';
import type { Report, ReportOutcome, Usage } from '../flags/reports';
import { fail, ok, versionMismatch, type Result } from '../flags/result';
import { KV_KEYS } from '../flags/model';
import { toSnapshot, type CreateFlagInput, type FlagConfig, type FlagPatch } from '../flags/schema';
import { flagStatus, summarise, type FlagStatus } from '../flags/status';
import { breachedRule, bucketSizeMs, bucketStart, errorRate, incidentFacts, windowFloor } from '../flags/window';
import type { Env } from '../env';
import { CATALOG_NAME, type CatalogEntry } from './catalog-object';
import { FlagStore, type HistoryEntry, type OutboxRow } from './flag-store';
import { applyMigrations } from './migrations';
import { deliverSlack, deliverWebhook } from './notify';
import { KV_WRITE_INTERVAL_MS, systemClock, type Clock } from './timing';
import type { FlagEvent } from '../flags/notifications';

const MAX_BACKOFF_MS = 60 * 60 * 1000;
/** How long an admin change waits for its own publish before answering anyway. */
const SETTLE_WAIT_MS = 2_000;

/** A flag as the admin API returns it. */
export type FlagView = FlagConfig & { status: FlagStatus };

export interface FlagHealth {
  flag_id: string;
  enabled: boolean;
  version: number;
  window_seconds: number;
  failures: number;
  successes: number;
  error_rate: number;
  policy: FlagConfig['auto_kill'];
  by_variant: Record<string, { failures: number; successes: number; error_rate: number }>;
  buckets: { start: string; failures: number; successes: number }[];
  exposures: Record<string, { count: number; last_at: string }>;
  last_incident: Record<string, unknown> | null;
  last_evaluated_at: string | null;
  pending_side_effects: { kind: string; count: number; attempts: number }[];
}

interface Change {
  action: FlagAction;
  before: FlagConfig | null;
  after: FlagConfig;
  actor: string;
  reason?: string | undefined;
  details?: Record<string, unknown>;
}

export class FlagObject extends DurableObject<Env> {
  private readonly store: FlagStore;
  /** Replaced in tests to move time; every time-dependent rule reads it. */
  clock: Clock = systemClock;
  private publishing: Promise<void> | null = null;
  private notifying: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new FlagStore(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, flagMigrations);
    });
  }

  // ------------------------------------------------------------------ admin operations

  create(input: CreateFlagInput, actor: string): Promise<Result<FlagView>> {
    return this.settled(this.createNow(input, actor));
  }

  private createNow(input: CreateFlagInput, actor: string): Result<FlagConfig> {
    const existing = this.store.config();
    if (existing) {
      const state = existing.archived ? 'an archived flag' : 'a flag';
      return fail(409, 'flag_exists', `${state} with id "${input.id}" already exists`);
    }
    const created = newFlag(input, this.isoNow());
    if (!created.ok) return created;
    this.commit({ action: 'create', before: null, after: created.value, actor, reason: input.reason });
    return created;
  }

  get(flagId: string): Result<FlagView> {
    const flag = this.load(flagId, { allowArchived: true });
    return flag.ok ? ok(this.view(flag.value)) : flag;
  }

  patch(flagId: string, patch: FlagPatch, actor: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.patchNow(flagId, patch, actor, ifMatch));
  }

  private patchNow(flagId: string, patch: FlagPatch, actor: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    const next = patched(flag.value, patch, this.isoNow());
    if (!next.ok) return next;
    // A patch that changes nothing is answered with the flag as it is, not a new version.
    if (changedFields(flag.value, next.value).length === 0) return flag;
    const action: FlagAction = rolloutOnly(flag.value, next.value) ? 'rollout_update' : 'update';
    return ok(this.commit({ action, before: flag.value, after: next.value, actor, reason: patch.reason }));
  }

  setRollout(flagId: string, percentage: number, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.setRolloutNow(flagId, percentage, actor, reason, ifMatch));
  }

  private setRolloutNow(flagId: string, percentage: number, actor: string, reason?: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    const next = withRollout(flag.value, percentage, this.isoNow());
    return ok(this.commit({ action: 'rollout_update', before: flag.value, after: next, actor, reason }));
  }

  kill(flagId: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.killNow(flagId, actor, reason, ifMatch));
  }

  private killNow(flagId: string, actor: string, reason?: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    // Killing a killed flag changes nothing: no new version, no second notification.
    if (!flag.value.enabled && flag.value.rollout_percentage === 0) return flag;
    const next = killed(flag.value, this.isoNow());
    return ok(this.commit({ action: 'kill', before: flag.value, after: next, actor, reason }));
  }

  archive(flagId: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.archiveNow(flagId, actor, reason, ifMatch));
  }

  private archiveNow(flagId: string, actor: string, reason?: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    const next = archived(flag.value, this.isoNow());
    return ok(this.commit({ action: 'archive', before: flag.value, after: next, actor, reason }));
  }

  revert(flagId: string, version: number, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.revertNow(flagId, version, actor, reason, ifMatch));
  }

  private revertNow(flagId: string, version: number, actor: string, reason?: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    const target = this.store.historyEntry(version);
    if (!target) return fail(404, 'not_found', `flag "${flagId}" has no version ${version}`, [{ path: 'version', message: 'no such version' }]);
    const next = reverted(flag.value, target.after, this.isoNow());
    if (!next.ok) return next;
    return ok(
      this.commit({
        action: 'revert',
        before: flag.value,
        after: next.value,
        actor,
        reason: reason ?? `revert to version ${version}`,
        details: { reverted_to: version },
      }),
    );
  }

  // ------------------------------------------------------------------ rollout plan

  /** `PUT /admin/flags/:id/plan`: stores a draft plan (refused while one is running or paused). */
  setPlan(flagId: string, definition: PlanDefinition, actor: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.setPlanNow(flagId, definition, actor, ifMatch));
  }

  private setPlanNow(flagId: string, definition: PlanDefinition, actor: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    return this.commitPlan(flag.value, setPlan(flag.value, definition, this.clock.now(), actor), actor);
  }

  /** `POST /admin/flags/:id/plan/<command>`: start, pause, resume, abort or advance now. */
  controlPlan(flagId: string, command: PlanCommand, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>> {
    return this.settled(this.controlPlanNow(flagId, command, actor, reason, ifMatch));
  }

  private controlPlanNow(flagId: string, command: PlanCommand, actor: string, reason?: string, ifMatch?: number): Result<FlagConfig> {
    const flag = this.loadForChange(flagId, ifMatch);
    if (!flag.ok) return flag;
    return this.commitPlan(flag.value, controlPlan(flag.value, command, this.clock.now(), actor, reason), actor);
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
   * happens once per incident however many reports race for it.
   */
  report(flagId: string, report: Report): Result<ReportOutcome> {
    const loaded = this.load(flagId);
    if (!loaded.ok) return loaded;
    const flag = loaded.value;
    const now = this.clock.now();
    const policy = flag.auto_kill;
    let outcome!: ReportOutcome;
    let changed = false;
    this.ctx.storage.transactionSync(() => {
      this.store.addToBucket(bucketStart(now, policy.window_seconds), report.variant ?? '', report.failures, report.successes);
      const counts = this.store.windowCounts(windowFloor(now, policy.window_seconds));
      const rule = flag.enabled ? breachedRule(policy, counts) : null;
      outcome = { enabled: flag.enabled, version: flag.version, ...counts, tripped: false };
      if (!rule) {
        // A running rollout plan reacts to an unhealthy window at once (pause, roll back or kill).
        const reaction = healthReaction(flag, counts, now);
        if (!reaction) return;
        this.writePlanChange(flag, reaction, PLAN_ACTOR);
        changed = true;
        outcome = { enabled: reaction.after.enabled, version: reaction.after.version, ...counts, tripped: !reaction.after.enabled };
        return;
      }
      const details = incidentFacts(rule, policy, counts, report);
      const after = killed(flag, new Date(now).toISOString());
      this.writeChange({ action: 'auto_kill', before: flag, after, actor: 'auto-kill', reason: `policy breached: ${rule}`, details });
      this.store.setState('last_incident', { ...details, version: after.version, at: after.updated_at });
      outcome = { enabled: false, version: after.version, ...counts, tripped: true };
    });
    if (outcome.tripped || changed) this.afterChange();
    else this.ensureAlarm();
    return ok(outcome);
  }

  /** Evaluation counts per variant from SDK flushes and OFREP, for exposures and stale-flag detection. */
  recordUsage(flagId: string, usage: Usage): Result<{ recorded: number }> {
    const loaded = this.load(flagId, { allowArchived: true });
    if (!loaded.ok) return loaded;
    // A client's clock may run ahead: a time in the future would freeze "last used" for good.
    const lastAt = Math.min(usage.last_at, this.clock.now());
    this.store.addExposures(usage.variants, lastAt);
    const recorded = Object.values(usage.variants).reduce((a, b) => a + b, 0);
    // The catalog learns of use at most hourly: enough for stale-flag reports, cheap for the catalog.
    const lastSynced = this.store.getState<number>('usage_synced_at') ?? 0;
    if (lastAt - lastSynced > 60 * 60 * 1000) {
      this.store.setState('usage_synced_at', lastAt);
      this.ctx.waitUntil(this.catalog().recordUsage(flagId, lastAt).catch(() => undefined));
    }
    return ok({ recorded });
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
      last_incident: this.store.getState<Record<string, unknown>>('last_incident') ?? null,
      last_evaluated_at: lastEvaluated ? new Date(lastEvaluated).toISOString() : null,
      pending_side_effects: this.store.pendingOutbox(),
    });
  }

  // ------------------------------------------------------------------ alarm and outbox

  override async alarm(): Promise<void> {
    const flag = this.store.config();
    if (flag) {
      this.store.pruneBuckets(windowFloor(this.clock.now(), flag.auto_kill.window_seconds));
      this.stepPlan(flag);
    }
    await Promise.all([this.publish(), this.notify()]);
    this.ensureAlarm();
  }

  /**
   * A running plan whose hold has elapsed takes one step (or reacts to ill health), however late
   * the alarm: the next hold counts from now, and the next step is another alarm.
   */
  private stepPlan(flag: FlagConfig): void {
    const now = this.clock.now();
    const due = nextPlanCheck(flag);
    if (due === null || due > now) return;
    const counts = this.store.windowCounts(windowFloor(now, flag.auto_kill.window_seconds));
    const change = scheduledStep(flag, flag.auto_kill, counts, now);
    if (change) this.ctx.storage.transactionSync(() => this.writePlanChange(flag, change, PLAN_ACTOR));
  }

  /** Sends the newest snapshot to KV and the catalog; single-flight, so KV versions only grow. */
  publish(): Promise<void> {
    this.publishing ??= this.publishLoop().finally(() => {
      this.publishing = null;
    });
    return this.publishing;
  }

  private async publishLoop(): Promise<void> {
    for (;;) {
      const flag = this.store.config();
      const due = this.store.dueOutbox(['catalog', 'kv'], this.clock.now());
      if (!flag || due.length === 0) break;
      const results = await Promise.all([
        this.publishTo(due.filter((r) => r.kind === 'catalog'), flag, () => this.catalog().upsertFlag(this.catalogEntry(flag))),
        this.publishTo(due.filter((r) => r.kind === 'kv'), flag, () => this.writeKv(flag)),
      ]);
      if (!results.includes('sent')) break;
    }
    this.ensureAlarm();
  }

  private async publishTo(rows: OutboxRow[], flag: FlagConfig, send: () => Promise<unknown>): Promise<'sent' | 'waiting' | 'none'> {
    const first = rows[0];
    if (!first) return 'none';
    if (first.kind === 'kv') {
      // Coalesce: the next write to this flag's key waits for the one-per-second slot.
      const lastWrite = this.store.getState<number>('kv_last_write_at') ?? 0;
      const slot = lastWrite + KV_WRITE_INTERVAL_MS;
      if (this.clock.now() < slot) {
        this.store.postpone(rows.map((r) => r.id), slot, null, false);
        return 'waiting';
      }
    }
    try {
      await send();
      this.store.completeUpTo(first.kind, flag.version);
      return 'sent';
    } catch (error) {
      const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
      this.store.postpone(rows.map((r) => r.id), this.clock.now() + backoffMs(attempts), errorText(error), true);
      return 'waiting';
    }
  }

  private async writeKv(flag: FlagConfig): Promise<void> {
    this.store.setState('kv_last_write_at', this.clock.now());
    await this.env.FLAGS_KV.put(KV_KEYS.flag(flag.id), JSON.stringify(toSnapshot(flag)));
  }

  /** Delivers due notifications, each independently; a failed one backs off and is retried. */
  notify(): Promise<void> {
    this.notifying ??= this.notifyLoop().finally(() => {
      this.notifying = null;
    });
    return this.notifying;
  }

  private async notifyLoop(): Promise<void> {
    const due = this.store.dueOutbox(['slack', 'webhook'], this.clock.now());
    await Promise.all(
      due.map(async (row) => {
        try {
          const event = JSON.parse(row.payload) as FlagEvent;
          if (row.kind === 'slack' && this.env.SLACK_WEBHOOK_URL) await deliverSlack(this.env.SLACK_WEBHOOK_URL, event);
          if (row.kind === 'webhook' && this.env.WEBHOOK_URL) await deliverWebhook(this.env.WEBHOOK_URL, this.env.WEBHOOK_SECRET, event);
          this.store.completeRow(row.id);
        } catch (error) {
          this.store.postpone([row.id], this.clock.now() + backoffMs(row.attempts + 1), errorText(error), true);
        }
      }),
    );
    this.ensureAlarm();
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

  /** Stores one change and starts its side effects; returns the configuration as stored. */
  private commit(change: Change): FlagConfig {
    const stored = this.ctx.storage.transactionSync(() => this.writeChange(change));
    this.afterChange();
    return stored;
  }

  private commitPlan(before: FlagConfig, change: Result<PlanChange>, actor: string): Result<FlagConfig> {
    if (!change.ok) return change;
    const stored = this.ctx.storage.transactionSync(() => this.writePlanChange(before, change.value, actor));
    this.afterChange();
    return ok(stored);
  }

  private writePlanChange(before: FlagConfig, { action, after, reason, details }: PlanChange, actor: string): FlagConfig {
    const stored = this.writeChange({ action, before, after, actor, reason, details });
    if (action === 'auto_kill') this.store.setState('last_incident', { ...details, version: stored.version, at: stored.updated_at });
    return stored;
  }

  /**
   * Config, history and outbox rows of one change. Call inside a transaction. A change made
   * outside the rollout plan also carries the plan's reaction to it (a kill aborts the plan, a
   * manual percentage pauses it); returns the configuration as stored.
   */
  private writeChange(change: Change): FlagConfig {
    const { action, before, actor } = change;
    const now = this.clock.now();
    const outside = action.startsWith('plan_') ? { after: change.after } : afterOutsideChange(before, change.after, actor, now);
    const after = outside.after;
    const planChanged = JSON.stringify(before?.plan) !== JSON.stringify(after.plan);
    const details = outside.note ? { ...change.details, plan: outside.note } : change.details;
    const reason = change.reason;
    this.store.saveConfig(after);
    this.store.appendHistory({
      version: after.version,
      action,
      actor,
      reason: reason ?? null,
      before,
      after,
      details: { changed: [...changedFields(before, after), ...(planChanged ? ['plan'] : [])], ...details },
      created_at: after.updated_at,
    });
    if (before && !before.enabled && after.enabled) {
      // Re-enabled: the window restarts now, so the failures of the last incident cannot kill it again.
      this.store.clearWindow();
    }
    if (!after.enabled && (action === 'kill' || action === 'auto_kill')) this.store.setState('killed_by_switch', true);
    if (after.enabled) this.store.setState('killed_by_switch', false);
    this.store.enqueue('catalog', after.version, null, now);
    this.store.enqueue('kv', after.version, null, now);
    const event = eventFor(action, before, after, actor, reason ?? null, details);
    if (event && this.env.SLACK_WEBHOOK_URL) this.store.enqueue('slack', after.version, event, now);
    if (event && this.env.WEBHOOK_URL) this.store.enqueue('webhook', after.version, event, now);
    return after;
  }

  /**
   * An admin change answers once its publish has reached the catalog (and KV, when its slot is
   * free), so the list read right after a change shows it; a slow publish is not waited for.
   */
  private async settled(result: Result<FlagConfig>): Promise<Result<FlagView>> {
    if (!result.ok) {
      // A 412 shows the flag as it now is, status included, so a client can redraw from it.
      const current = this.store.config();
      return result.code === 'version_mismatch' && current ? { ...result, details: { current: this.view(current) } } : result;
    }
    if (this.publishing) await Promise.race([this.publishing, scheduler.wait(SETTLE_WAIT_MS)]);
    return ok(this.view(result.value));
  }

  /** The flag as the admin API shows it: its config and its one-word status. */
  private view(flag: FlagConfig): FlagView {
    return { ...flag, status: flagStatus(flag, this.store.getState<boolean>('killed_by_switch') ?? false) };
  }

  /** Starts draining the outbox without holding up the caller's response. */
  private afterChange(): void {
    this.ctx.waitUntil(Promise.all([this.publish(), this.notify()]));
  }

  /** Sets the alarm to the earliest of: an outbox retry, the next bucket to prune, the plan's next step. */
  private ensureAlarm(): void {
    const flag = this.store.config();
    const times: number[] = [];
    const outbox = this.store.nextOutboxAttempt();
    if (outbox !== null) times.push(outbox);
    const oldest = this.store.oldestBucket();
    if (flag && oldest !== null) times.push(oldest + flag.auto_kill.window_seconds * 1000 + bucketSizeMs(flag.auto_kill.window_seconds));
    const planStep = flag ? nextPlanCheck(flag) : null;
    if (planStep !== null) times.push(planStep);
    if (times.length === 0) return;
    // The clock may be a test clock: convert its time to the wall-clock time alarms run on.
    const skew = this.clock.now() - Date.now();
    const at = Math.max(Date.now(), Math.min(...times) - skew);
    void this.ctx.storage.getAlarm().then((current) => {
      // A current alarm in the past is the one running now: it will not fire again.
      if (current === null || current > at || current <= Date.now()) return this.ctx.storage.setAlarm(at);
    });
  }

  private catalogEntry(flag: FlagConfig): CatalogEntry {
    const killedBySwitch = this.store.getState<boolean>('killed_by_switch') ?? false;
    return { summary: summarise(flag, killedBySwitch), snapshot: toSnapshot(flag) };
  }

  private catalog() {
    return this.env.CATALOG.get(this.env.CATALOG.idFromName(CATALOG_NAME));
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function rolloutOnly(before: FlagConfig, after: FlagConfig): boolean {
  const changed = changedFields(before, after);
  return changed.length === 1 && changed[0] === 'rollout_percentage';
}

function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
