/**
 * RelayObject: one of `RELAY_COUNT` copies of the catalog's change feed, each serving the
 * `changes since` reads of the readers hashed to it (issue 13), so the read load of the change
 * channel is spread over several objects and never lands on the catalog.
 *
 * The catalog pushes new entries here through its outbox (`accept`). A relay that has never been
 * pushed to (a cold start, or a relay added by raising RELAY_COUNT), or that is asked for a cursor
 * ahead of its own head, fills from the catalog before it answers. The feed is kept in memory as
 * well as in SQLite, so a read costs no storage access.
 */
import { DurableObject } from 'cloudflare:workers';
import { relayMigrations } from '../../migrations/relay';
import { acceptBatch, answerSince, resetAnswer, type FeedBatch, type FeedState } from '../flags/feed';
import type { ChangesAnswer } from '../flags/model';
import type { Env } from '../env';
import { FeedStore } from './feed-store';
import { applyMigrations } from './migrations';
import { StateTable } from './state-table';
import { catalogStub } from './stubs';
import { systemClock, type Clock } from './timing';

export class RelayObject extends DurableObject<Env> {
  private readonly state: StateTable;
  private readonly store: FeedStore;
  private feed: FeedState | null = null;
  private filling: Promise<void> | null = null;
  private filled = false;

  /** workerd passes `ctx` and `env`; tests and the bench also pass a clock of their own. */
  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly clock: Clock = systemClock,
  ) {
    super(ctx, env);
    this.state = new StateTable(ctx.storage.sql);
    this.store = new FeedStore(ctx.storage.sql, this.state);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, relayMigrations);
    });
  }

  /** Takes a batch from the catalog; `accepted: false` (nothing stored) when it leaves a gap after `head`. */
  accept(batch: FeedBatch): { accepted: boolean; head: number } {
    const current = this.current();
    const next = acceptBatch(current, batch);
    if (!next) return { accepted: false, head: current.head };
    this.ctx.storage.transactionSync(() => {
      this.store.applyBatch(batch, next);
      this.state.set('filled', true);
    });
    this.feed = next;
    return { accepted: true, head: next.head };
  }

  /** Every retained change after `cursor` (see `answerSince`). */
  async changes(cursor: number): Promise<ChangesAnswer> {
    this.filled ||= this.state.get<boolean>('filled') === true;
    if (!this.filled) await this.fill();
    let answer = answerSince(this.current(), cursor, this.clock.now());
    if (answer === 'behind') {
      await this.fill();
      answer = answerSince(this.current(), cursor, this.clock.now());
    }
    return answer === 'behind' ? resetAnswer(this.current(), this.clock.now()) : answer;
  }

  /** Catches up with the catalog: one call at a time, however many readers are waiting. */
  private fill(): Promise<void> {
    this.filling ??= catalogStub(this.env)
      .feedSince(this.current().head)
      .then((batch) => void this.accept(batch))
      .finally(() => {
        this.filling = null;
      });
    return this.filling;
  }

  private current(): FeedState {
    this.feed ??= this.store.load();
    return this.feed;
  }
}
