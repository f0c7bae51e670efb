/**
 * The synchronous per-request view of the flags: `await client.forRequest(ctx, context)` once,
 * then any number of checks without awaiting. The context is flattened and the time read once per
 * request; a check is a compiled evaluator's call (see ./compiled) and two array writes into the
 * reporter's usage counters; the first check of the request hands the report flush to
 * `ctx.waitUntil`.
 *
 * The answers are those of the client's async methods (`evaluate`, `isEnabled`, the typed getters),
 * which are themselves built on this class. Evaluations and successful details are shared frozen
 * objects: read them, do not change them.
 */
import type { ConditionOptions } from '../flags/conditions';
import { stringAttribute, type EvaluationContext } from '../flags/evaluate';
import type { FlagDetails, FlagEvaluation, ValueKind } from './answers';
import type { CompiledFlag, CompiledFlags, Outcome } from './compiled';
import { errorSample, type BatchReporter, type WaitUntil } from './reporter';

const FLAG_TYPE_OF = { boolean: 'boolean', string: 'string', number: 'number', object: 'json' } as const;

export class RequestFlags {
  private readonly conditions: ConditionOptions;
  private scheduled = false;

  constructor(
    private readonly flags: CompiledFlags,
    /** The request's context, flattened (`userId` standing in for `targetingKey`). */
    readonly context: EvaluationContext,
    /** Time of the request: the `now` attribute of conditions and the usage time. */
    readonly now: number,
    private readonly reporter: BatchReporter | null,
    private readonly ctx: WaitUntil | undefined,
  ) {
    this.conditions = { now, segments: flags.segments };
  }

  /** Whether snapshots were loaded; without them every flag is off (`PROVIDER_NOT_READY`). */
  get ready(): boolean {
    return this.flags.ready;
  }

  /** The article's `isEnabled`: true only when the flag evaluates to `true`. */
  isEnabled(flagId: string): boolean {
    return this.evaluate(flagId).value === true;
  }

  /** The flag's evaluation, exactly as the coordinator's `evaluate`. Never throws. */
  evaluate(flagId: string): FlagEvaluation {
    const flag = this.flags.get(flagId);
    if (flag === undefined) return this.missing(flagId);
    const outcome = this.outcomeOf(flag);
    if (typeof outcome === 'string') return { flagId, value: undefined, reason: 'ERROR', errorCode: 'GENERAL', errorMessage: outcome };
    this.count(outcome.slot);
    return outcome.evaluation;
  }

  getBooleanValue(flagId: string, defaultValue: boolean): boolean {
    return this.resolve(flagId, 'boolean', defaultValue).value;
  }

  getStringValue(flagId: string, defaultValue: string): string {
    return this.resolve(flagId, 'string', defaultValue).value;
  }

  getNumberValue(flagId: string, defaultValue: number): number {
    return this.resolve(flagId, 'number', defaultValue).value;
  }

  getObjectValue<T = unknown>(flagId: string, defaultValue: T): T {
    return this.resolve(flagId, 'object', defaultValue).value;
  }

  getBooleanDetails(flagId: string, defaultValue: boolean): FlagDetails<boolean> {
    return this.resolve(flagId, 'boolean', defaultValue);
  }

  getStringDetails(flagId: string, defaultValue: string): FlagDetails<string> {
    return this.resolve(flagId, 'string', defaultValue);
  }

  getNumberDetails(flagId: string, defaultValue: number): FlagDetails<number> {
    return this.resolve(flagId, 'number', defaultValue);
  }

  getObjectDetails<T = unknown>(flagId: string, defaultValue: T): FlagDetails<T> {
    return this.resolve(flagId, 'object', defaultValue);
  }

  /**
   * A typed evaluation: the flag's value when the flag is known and of the requested kind,
   * otherwise `defaultValue` with an `errorCode` (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`,
   * `PROVIDER_NOT_READY` when no bundle was ever loaded, `GENERAL`). Only answers that serve the
   * flag's value are counted as evaluations.
   */
  resolve<T>(flagId: string, kind: ValueKind, defaultValue: T): FlagDetails<T> {
    const flag = this.flags.get(flagId);
    if (flag === undefined) return { ...this.missing(flagId), value: defaultValue };
    const outcome = this.outcomeOf(flag);
    if (typeof outcome === 'string') return { flagId, value: defaultValue, reason: 'ERROR', errorCode: 'GENERAL', errorMessage: outcome };
    const { value, variant } = outcome.evaluation;
    const failed = (errorCode: 'TYPE_MISMATCH' | 'GENERAL', errorMessage: string): FlagDetails<T> => ({
      flagId,
      value: defaultValue,
      reason: 'ERROR',
      version: flag.version,
      flagType: flag.type,
      errorCode,
      errorMessage,
    });
    if (flag.type !== FLAG_TYPE_OF[kind]) return failed('TYPE_MISMATCH', `flag "${flagId}" is a ${flag.type} flag; a ${kind} was requested`);
    if (value === undefined) return failed('GENERAL', `flag "${flagId}" serves variant "${variant}", which has no value`);
    if (kind !== 'object' && typeof value !== kind) {
      return failed('TYPE_MISMATCH', `flag "${flagId}" variant "${variant}" holds a ${typeof value}; a ${kind} was requested`);
    }
    this.count(outcome.slot);
    return outcome.details as FlagDetails<T>;
  }

  /**
   * A metric event of this request's unit for every running experiment that lists `metric`
   * (`FlagClient.track`); a finite `value` only (others are ignored).
   */
  track(metric: string, value?: number): void {
    const reporter = this.reporter;
    if (reporter === null || (value !== undefined && !Number.isFinite(value))) return;
    const experiments = this.flags.trackedBy(metric);
    for (let i = 0; i < experiments.length; i++) {
      const { flagId, unitAttribute } = experiments[i]!;
      const unit = stringAttribute(this.context[unitAttribute]);
      if (unit !== undefined) reporter.experiments.event(flagId, unit, metric, value, this.now);
    }
    if (experiments.length > 0) this.scheduleFlush(reporter);
  }

  /** The compiled answer, or the error's sample when evaluation threw (it should not). */
  private outcomeOf(flag: CompiledFlag): Outcome | string {
    try {
      return flag.evaluate(this.context, this.conditions);
    } catch (error) {
      return errorSample(error, 200);
    }
  }

  private missing(flagId: string): FlagEvaluation {
    return this.flags.ready
      ? { flagId, value: undefined, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: `flag "${flagId}" was not found` }
      : { flagId, value: undefined, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY', errorMessage: 'no flag bundle has been loaded: every flag is off' };
  }

  /** One evaluation served: a counter slot, and the request's flush scheduled once. */
  private count(slot: number): void {
    const reporter = this.reporter;
    if (reporter === null) return;
    const { counters } = reporter;
    if (!counters.counts[slot]) counters.firstAt[slot] = this.now;
    counters.counts[slot] = counters.counts[slot]! + 1;
    counters.lastAt[slot] = this.now;
    counters.dirty = true;
    this.scheduleFlush(reporter);
  }

  private scheduleFlush(reporter: BatchReporter): void {
    if (!this.scheduled) {
      this.scheduled = true;
      reporter.schedule(this.ctx);
    }
  }
}
