/**
 * CatalogObject: the list of flags, and the only writer of the shared KV keys.
 *
 * Flag objects push their newest summary and snapshot here (keeping the highest version). The
 * catalog publishes the sharded read path (`flags:manifest` and the shards, ./shard-publisher.ts)
 * and, while it has at most LEGACY_BUNDLE_MAX_FLAGS live flags, the legacy single `flags:bundle`
 * for SDKs from before the shards, each at most once per second per key, through the same outbox
 * drainer as the flag objects (`outbox.ts`).
 * One instance serves the whole deployment, up to MAX_FLAGS live flags (docs/architecture.md,
 * "Limits"); it handles ~1,000 updates per second.
 *
 * Every accepted change also goes into the change feed (issue 13, src/flags/feed.ts), which the
 * catalog pushes to the relay objects through the same outbox; a change waits (bounded) for that
 * push before it answers, so readers can see it as soon as the admin's answer returns.
 */
import { DurableObject } from 'cloudflare:workers';
import { catalogMigrations } from '../../migrations/catalog';
import type { ChangeRequest, RequestStatus } from '../flags/change-requests';
import { historyPage, type HistoryPage } from '../flags/history';
import { fail, invalid, ok, versionMismatch, type Failure, type Result } from '../flags/result';
import { FEED_DEFAULTS, positiveSetting, type FeedBatch } from '../flags/feed';
import { KV_KEYS } from '../flags/model';
import { DEFAULT_CACHE_TTL_SECONDS, LEGACY_BUNDLE_MAX_FLAGS, MAX_FLAGS, retiredShardDelayMs } from '../flags/shards';
import type { FlagBundle, FlagSnapshot, Segment } from '../flags/schema';
import {
  archivedSegment,
  newSegment,
  patchedSegment,
  referencedSegments,
  type CreateSegmentInput,
  type SegmentPatch,
} from '../flags/segments';
import type { FlagListPage, ListQuery } from '../flags/list-query';
import { staleReasons, type StaleFlag } from '../flags/stale';
import type { FlagSummary } from '../flags/status';
import type { Env } from '../env';
import { FlagListStore } from './catalog-list';
import { applyMigrations } from './migrations';
import { SegmentStore, type SegmentHistoryEntry } from './segment-store';
import { StateTable } from './state-table';
import { Outbox, type Channel } from './outbox';
import { ShardPublisher } from './shard-publisher';
import { scheduleAlarm, systemClock, type Clock } from './timing';
import { FeedStore, type NewChange } from './feed-store';
import { relayStubs } from './stubs';

export interface CatalogEntry {
  summary: FlagSummary;
  snapshot: FlagSnapshot;
}

/** How long a change waits for its push to the relays before answering anyway (the outbox retries). */
const RELAY_WAIT_MS = 1_000;

type FlagRow = { id: string; version: number; summary: string; snapshot: string; last_evaluated_at: number | null };

export class CatalogObject extends DurableObject<Env> {
  private readonly segments: SegmentStore;
  private readonly listing: FlagListStore;
  private readonly state: StateTable;
  private readonly outbox: Outbox<'kv' | 'shards' | 'relay'>;
  readonly shards: ShardPublisher;
  private readonly feed: FeedStore;

  /** workerd passes `ctx` and `env`; tests and the bench also pass a clock of their own. */
  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly clock: Clock = systemClock,
  ) {
    super(ctx, env);
    this.segments = new SegmentStore(ctx.storage.sql);
    this.state = new StateTable(ctx.storage.sql);
    this.listing = new FlagListStore(ctx.storage.sql, this.state);
    const bundle: Channel = {
      mode: 'latest',
      spaced: true,
      latest: () => ({ version: this.bundleVersion(), send: () => this.env.FLAGS_KV.put(KV_KEYS.bundle, JSON.stringify(this.bundle())) }),
    };
    this.shards = new ShardPublisher(ctx.storage.sql, this.state, clock, () => this.env.FLAGS_KV, {
      liveFlags: () => this.listing.live(),
      deleteDelayMs: retiredShardDelayMs(positiveSetting(env.FLAG_CACHE_TTL_SECONDS, DEFAULT_CACHE_TTL_SECONDS, { allowZero: true })),
    });
    this.feed = new FeedStore(ctx.storage.sql, this.state);
    const relays: Channel = {
      mode: 'latest',
      latest: () => {
        const head = this.feed.head();
        return head > 0 ? { version: head, send: () => this.pushToRelays() } : null;
      },
    };
    this.outbox = new Outbox(
      ctx.storage.sql,
      this.state,
      clock,
      { kv: bundle, shards: this.shards.channel(), relay: relays },
      () => this.ctx.waitUntil(this.scheduleAlarm()),
    );
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, catalogMigrations);
      // Rows stored before the shards existed get their hash, and their shards a publish.
      const seq = this.shards.start();
      if (seq !== null) {
        this.outbox.enqueue('shards', seq);
        this.ctx.waitUntil(this.outbox.drain());
      }
    });
  }

  /** Records a flag's newest state; an older version arriving late is ignored. */
  async upsertFlag(entry: CatalogEntry): Promise<void> {
    const { summary, snapshot } = entry;
    this.ctx.storage.transactionSync(() => {
      const wasLive = this.listing.isLive(summary.id);
      const cursor = this.sql.exec(
        `INSERT INTO flags (id, version, archived, summary, snapshot, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, archived = excluded.archived,
           summary = excluded.summary, snapshot = excluded.snapshot, updated_at = excluded.updated_at
         WHERE excluded.version > flags.version`,
        summary.id,
        summary.version,
        summary.archived ? 1 : 0,
        JSON.stringify(summary),
        JSON.stringify(snapshot),
        summary.updated_at,
      );
      if (cursor.rowsWritten > 0) {
        this.listing.index(summary, wasLive);
        this.outbox.enqueue('shards', this.shards.touched('flags', summary.id));
        this.bumpBundle();
        const changedAt = Date.parse(summary.updated_at);
        this.appendChange({
          kind: 'flag',
          id: summary.id,
          version: summary.version,
          changed_at: Number.isNaN(changedAt) ? this.clock.now() : changedAt,
          snapshot: summary.archived ? null : snapshot,
        });
      }
    });
    await this.publish();
  }

  /** The retained change feed after `from`: what a relay that is cold or behind fills from. */
  feedSince(from: number): FeedBatch {
    return this.feed.batchSince(from);
  }

  /** One page of the admin list (`GET /admin/flags`). */
  listPage(query: ListQuery): FlagListPage {
    return this.listing.page(query, this.clock.now());
  }

  recordUsage(flagId: string, atMs: number): void {
    this.sql.exec(
      'UPDATE flags SET last_evaluated_at = MAX(COALESCE(last_evaluated_at, 0), ?) WHERE id = ?',
      atMs,
      flagId,
    );
  }

  stale(thresholdDays: number, nowMs: number = this.clock.now()): StaleFlag[] {
    return this.sql
      .exec<FlagRow>('SELECT * FROM flags WHERE archived = 0 ORDER BY id')
      .toArray()
      .flatMap((row) => {
        const summary = JSON.parse(row.summary) as FlagSummary;
        const reasons = staleReasons(summary, row.last_evaluated_at, nowMs, thresholdDays);
        return reasons.length ? [{ ...summary, last_evaluated_at: isoOrNull(row.last_evaluated_at), stale_reasons: reasons }] : [];
      });
  }

  /** Whether one more flag may be created (MAX_FLAGS live flags per deployment). */
  roomForFlag(): Result<{ live: number; limit: number }> {
    const live = this.listing.live();
    if (live >= MAX_FLAGS) {
      return fail(409, 'conflict', `this deployment has ${live} live flags, the limit (archive flags to make room)`, { live, limit: MAX_FLAGS });
    }
    return ok({ live, limit: MAX_FLAGS });
  }

  /** Live client-side flags other than `exceptId`, counted in SQL: the catalog is never parsed for it. */
  clientSideFlags(exceptId: string): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM flags WHERE archived = 0 AND id <> ? AND json_extract(snapshot, '$.client_side') = 1", exceptId)
      .one().n;
  }

  /** True exactly once per catalog: lets the first request seed demo data. */
  claimSeed(): boolean {
    if (this.state.get<boolean>('seeded')) return false;
    this.state.set('seeded', true);
    return true;
  }

  /** The bundle as it would be published now. */
  bundle(): FlagBundle {
    const flags: Record<string, FlagSnapshot> = {};
    for (const row of this.sql.exec<FlagRow>('SELECT id, snapshot FROM flags WHERE archived = 0').toArray()) {
      flags[row.id] = JSON.parse(row.snapshot) as FlagSnapshot;
    }
    const segments: FlagBundle['segments'] = {};
    for (const segment of this.segments.list(false)) {
      segments[segment.id] = { id: segment.id, version: segment.version, conditions: segment.conditions };
    }
    return { schema: 1, generated_at: new Date(this.clock.now()).toISOString(), flags, segments };
  }

  // ------------------------------------------------------------------ change requests

  /** Records a change request's newest state, pushed by its flag object; an older revision arriving late is ignored. */
  indexChangeRequest(request: ChangeRequest): void {
    this.sql.exec(
      `INSERT INTO change_requests (id, flag, status, revision, created_at, request) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, revision = excluded.revision, request = excluded.request
       WHERE excluded.revision > change_requests.revision`,
      request.id,
      request.flag,
      request.status,
      request.revision,
      request.created_at,
      JSON.stringify(request),
    );
  }

  /** Every flag's change requests, newest first; those in `statuses` or of one flag when given. */
  listChangeRequests(query: { statuses?: readonly RequestStatus[] | undefined; flag?: string | undefined; limit: number }): ChangeRequest[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.statuses) {
      where.push(`status IN (${query.statuses.map(() => '?').join(', ')})`);
      args.push(...query.statuses);
    }
    if (query.flag) {
      where.push('flag = ?');
      args.push(query.flag);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return this.sql
      .exec<{ request: string }>(`SELECT request FROM change_requests ${filter} ORDER BY created_at DESC, id DESC LIMIT ?`, ...args, query.limit)
      .toArray()
      .map((row) => JSON.parse(row.request) as ChangeRequest);
  }

  // ------------------------------------------------------------------ segments

  listSegments(): Segment[] {
    return this.segments.list(false);
  }

  getSegment(id: string): Result<Segment> {
    const segment = this.segments.get(id);
    return segment ? ok(segment) : fail(404, 'not_found', `segment "${id}" not found`);
  }

  async createSegment(input: CreateSegmentInput, actor: string): Promise<Result<Segment>> {
    if (this.segments.get(input.id)) return fail(409, 'conflict', `a segment with id "${input.id}" already exists`);
    const created = newSegment(input, this.isoNow());
    if (!created.ok) return created;
    const unknown = this.unknownReferences(created.value);
    if (unknown) return unknown;
    await this.changeSegment(created.value, { action: 'create', actor, reason: input.reason ?? null, before: null });
    return created;
  }

  async patchSegment(id: string, patch: SegmentPatch, actor: string, ifMatch?: number): Promise<Result<Segment>> {
    const current = this.liveSegment(id);
    if (!current.ok) return current;
    const mismatch = versionMismatch('segment', current.value, ifMatch);
    if (mismatch) return mismatch;
    const next = patchedSegment(current.value, patch, this.isoNow());
    if (!next.ok) return next;
    const unknown = this.unknownReferences(next.value);
    if (unknown) return unknown;
    await this.changeSegment(next.value, { action: 'update', actor, reason: patch.reason ?? null, before: current.value });
    return next;
  }

  /** Archives a segment no live flag uses; refused with 409 while any flag's rules refer to it. */
  async deleteSegment(id: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<Segment>> {
    const current = this.liveSegment(id);
    if (!current.ok) return current;
    const mismatch = versionMismatch('segment', current.value, ifMatch);
    if (mismatch) return mismatch;
    const users = this.flagsUsingSegment(id);
    if (users.length > 0) {
      return fail(409, 'conflict', `segment "${id}" is used by ${users.length} flag(s): ${users.join(', ')}`, { flags: users });
    }
    const next = archivedSegment(current.value, this.isoNow());
    await this.changeSegment(next, { action: 'archive', actor, reason: reason ?? null, before: current.value });
    return ok(next);
  }

  segmentHistory(id: string, limit: number, before?: number): Result<HistoryPage<SegmentHistoryEntry>> {
    if (!this.segments.get(id)) return fail(404, 'not_found', `segment "${id}" not found`);
    return ok(historyPage(this.segments.history(id, limit, before), limit));
  }

  /** Which of these segment ids do not exist (or are archived). */
  missingSegments(ids: readonly string[]): string[] {
    return ids.filter((id) => {
      const segment = this.segments.get(id);
      return !segment || segment.archived;
    });
  }

  /** A segment may use other segments (not itself); each must exist. */
  private unknownReferences(segment: Segment): Failure | null {
    const details = segment.conditions.flatMap((condition, c) => {
      if (condition.op !== 'in_segment') return [];
      const bad = condition.values.map(String).filter((id) => id === segment.id || this.missingSegments([id]).length > 0);
      return bad.length ? [{ path: `conditions.${c}.values`, message: `unknown or self-referencing segment(s): ${bad.join(', ')}` }] : [];
    });
    return details.length ? invalid(details) : null;
  }

  private liveSegment(id: string): Result<Segment> {
    const segment = this.segments.get(id);
    if (!segment) return fail(404, 'not_found', `segment "${id}" not found`);
    if (segment.archived) return fail(409, 'conflict', `segment "${id}" is archived`);
    return ok(segment);
  }

  private flagsUsingSegment(id: string): string[] {
    const users: string[] = [];
    for (const row of this.sql.exec<FlagRow>('SELECT id, snapshot FROM flags WHERE archived = 0').toArray()) {
      const snapshot = JSON.parse(row.snapshot) as FlagSnapshot;
      if (referencedSegments(snapshot.rules).has(id)) users.push(row.id);
    }
    for (const segment of this.segments.list(false)) {
      if (segment.id !== id && segment.conditions.some((c) => c.op === 'in_segment' && c.values.includes(id))) users.push(`segment:${segment.id}`);
    }
    return users;
  }

  private async changeSegment(segment: Segment, entry: Omit<SegmentHistoryEntry, 'version' | 'after' | 'created_at'>): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.segments.save(segment, entry);
      this.outbox.enqueue('shards', this.shards.touched('segments', segment.id));
      this.bumpBundle();
      this.appendChange({
        kind: 'segment',
        id: segment.id,
        version: segment.version,
        changed_at: this.clock.now(),
        snapshot: segment.archived ? null : { id: segment.id, version: segment.version, conditions: segment.conditions },
      });
    });
    await this.publish();
  }

  /**
   * Starts the outbox (bundle to KV, feed to the relays) and waits for it, at most RELAY_WAIT_MS:
   * a change answers once readers can see it, and a slow relay is left to the outbox's retries.
   */
  private async publish(): Promise<void> {
    const draining = this.outbox.drain();
    this.ctx.waitUntil(draining);
    await Promise.race([draining, scheduler.wait(RELAY_WAIT_MS)]);
  }

  /** Appends to the change feed, drops what retention no longer keeps, and queues the push. Call inside a transaction. */
  private appendChange(change: NewChange): void {
    const seq = this.feed.append(change);
    const retentionMs = positiveSetting(this.env.FEED_RETENTION_SECONDS, FEED_DEFAULTS.retentionSeconds) * 1000;
    this.feed.trim(this.clock.now() - retentionMs);
    this.outbox.enqueue('relay', seq);
  }

  /**
   * Sends every relay the feed after the last push all of them took (`relay_pushed`); a relay
   * with a gap (cold, or added since) answers with its head and gets everything after it.
   */
  private async pushToRelays(): Promise<void> {
    const batch = this.feed.batchSince(this.state.get<number>('relay_pushed') ?? 0);
    await Promise.all(
      relayStubs(this.env).map(async (relay) => {
        const answer = await relay.accept(batch);
        if (!answer.accepted) await relay.accept(this.feed.batchSince(answer.head));
      }),
    );
    this.state.set('relay_pushed', Math.max(batch.head, this.state.get<number>('relay_pushed') ?? 0));
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** The alarm retries the publishes (the KV write slot, or back-off after a failure) and deletes outgrown shards' keys. */
  override async alarm(): Promise<void> {
    await this.outbox.drain();
    await this.shards.deleteRetired();
    await this.scheduleAlarm();
  }

  private scheduleAlarm(): Promise<void> {
    return scheduleAlarm(this.ctx.storage, this.clock, [this.outbox.nextAttempt(), this.shards.nextDeletion()]);
  }

  /** The bundle's version: how many changes it has had. Each change queues a publish of it. */
  private bundleVersion(): number {
    return this.state.get<number>('bundle_changes') ?? 0;
  }

  /**
   * Queues a publish of the legacy bundle while the catalog is small enough for it
   * (LEGACY_BUNDLE_MAX_FLAGS live flags); past that the bundle is no longer updated.
   */
  private bumpBundle(): void {
    if (this.listing.live() > LEGACY_BUNDLE_MAX_FLAGS) return;
    const version = this.bundleVersion() + 1;
    this.state.set('bundle_changes', version);
    this.outbox.enqueue('kv', version);
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }
}

function isoOrNull(ms: number | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}
