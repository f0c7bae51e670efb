/**
 * FlagClient: feature flags for application Workers.
 *
 * Reads the coordinator's KV snapshots at most once per isolate per cache period: the small
 * `flags:manifest`, and only the shards holding the flags this isolate evaluates (./shard-source;
 * pass `flags` to name them up front, otherwise they are learnt from the checks), evaluates locally with exactly the answers of the coordinator's
 * `evaluate` (src/flags/evaluate.ts), and
 * reports outcomes and evaluation counts to the coordinator in batches through `ctx.waitUntil`.
 *
 *   const client = getFlagClient({ kv: env.FLAGS_KV, environment: env.ENVIRONMENT, reporter: env.FLAG_COORDINATOR });
 *   const flags = await client.forRequest(ctx, { userId });   // one await per request…
 *   if (flags.isEnabled('new-chatbot')) { … }                  // …then synchronous checks
 *   return client.withFallback(ctx, 'new-chatbot', { userId }, { enabled: () => newBot(req), fallback: () => oldBot(req) });
 *
 * Flags are compiled once per snapshot version (./compiled) and a check records its exposure in a
 * flat counter; the async per-check methods (`isEnabled(id, context, ctx)`, …) remain, built on the
 * same path.
 *
 * Fail safe: with no bundle ever loaded (KV empty or unreachable since the isolate started) every
 * flag is off; when KV fails later, the last good bundle keeps serving.
 */
import type { EvaluationContext } from '../flags/evaluate';
import type { FlagBundle, FlagStateAnswer, FlagType } from '../flags/model';
import { BundleCache, type KvReader, type SnapshotSource } from './bundle-cache';
import { ShardSource } from './shard-source';
import { BucketHashCache } from './bucket-hash-cache';
import { systemClock, type Clock } from './clock';
import { CompiledFlags } from './compiled';
import { ChangeChannel, readerId, SnapshotOverlay, type ChangeChannelOptions, type ChangesBinding } from './change-channel';
import { RequestFlags } from './request-flags';
import type { FlagContext, FlagDetails, FlagEvaluation, ValueKind } from './answers';
import { BatchReporter, errorSample, type FlagReporterBinding, type ReporterOptions, type WaitUntil } from './reporter';

export interface FlagClientOptions {
  /** The coordinator's KV namespace (its `FLAGS_KV`). Needed unless `source` is given. */
  kv?: KvReader;
  /** Where snapshots come from; defaults to the shards of `kv` (a `ShardSource`). */
  source?: SnapshotSource;
  /**
   * The flags this isolate evaluates, loaded with the first read. Others are loaded when first
   * asked for: the async methods, `withFallback` and `forRequest(ctx, context, flags)` wait for
   * them; a synchronous check of a flag not loaded yet answers FLAG_NOT_FOUND and loads it for
   * the next request.
   */
  flags?: readonly string[];
  /** This deployment's environment, matched against a flag's `environments`. */
  environment: string;
  /** Seconds the isolate keeps a bundle before reading KV again (default 5; fractions allowed). */
  cacheTtlSeconds?: number;
  /** The coordinator's service binding (`entrypoint = "FlagCoordinator"`), for reports and usage. */
  reporter?: FlagReporterBinding;
  /** Batching and retry settings of the reporter. */
  reporting?: ReporterOptions;
  /** Bucket hashes remembered (bounded, two generations; default 10,000 flag+user pairs). */
  bucketCacheSize?: number;
  /** How long a caller waits for a KV read before answering from memory (default 2 s). */
  loadTimeoutMs?: number;
  /**
   * The coordinator's change channel (its service binding, `entrypoint = "FlagCoordinator"`): kills
   * and edits reach this isolate within about 2 s whatever KV does (see ./change-channel).
   */
  changes?: ChangesBinding;
  /** Interval, freshness bound and wait of the change channel. */
  channel?: ChangeChannelOptions;
  /** Clock for the cache and the `now` attribute; tests replace it. */
  now?: () => number;
  /** Time and timers of the bundle cache's and the reporter's waits (tests pass a fake one); `now` above wins for the cache's time. */
  clock?: Clock;
}

/** Handlers of `withFallback`: the new code path, and the old one it falls back to. */
export interface FallbackHandlers<T> {
  /** Runs when the flag is on. A throw is reported as a failure and `fallback` answers instead. */
  enabled: (evaluation: FlagEvaluation) => Promise<T> | T;
  /** Runs when the flag is off, and when `enabled` failed. Its errors are the caller's. */
  fallback: (evaluation: FlagEvaluation) => Promise<T> | T;
  /**
   * Optional: treats a returned value as a failure too (say, a `Response` with a 5xx status): it is
   * reported and `fallback` answers instead. Return a string to use it as the error sample.
   */
  isFailure?: (result: T) => boolean | string;
}

/** KV is the bulk source, read at most once per isolate per 30 s; the change channel carries what changed since. */
const DEFAULT_TTL_SECONDS = 30;

export class FlagClient {
  readonly environment: string;
  readonly cache: BundleCache;
  readonly reporter: BatchReporter | null;
  private readonly buckets: BucketHashCache;
  private readonly compiled: CompiledFlags;
  /** The bundle and overlay generation `compiled` currently reads from. */
  private compiledFrom: FlagBundle | null = null;
  private compiledGeneration = -1;
  /** Snapshots newer than the bundle: the change channel's and those of report and usage answers. */
  private readonly overlay = new SnapshotOverlay();
  /** This isolate's random reader id (relay choice, propagation receipts). */
  readonly reader = readerId();
  readonly channel: ChangeChannel | null;
  private readonly now: () => number;
  private readonly source: SnapshotSource;

  constructor(options: FlagClientOptions) {
    const source = options.source ?? (options.kv ? new ShardSource(options.kv) : null);
    if (!source) throw new TypeError('FlagClient needs a KV namespace (`kv`) or a snapshot `source`');
    if (typeof options.environment !== 'string') throw new TypeError('FlagClient needs the deployment `environment`');
    this.environment = options.environment;
    const clock = options.clock;
    this.now = options.now ?? (clock ? () => clock.now() : Date.now);
    const ttlSeconds = options.cacheTtlSeconds ?? DEFAULT_TTL_SECONDS;
    const ttlMs = Number.isFinite(ttlSeconds) && ttlSeconds >= 0 ? ttlSeconds * 1000 : DEFAULT_TTL_SECONDS * 1000;
    this.source = source;
    if (options.flags) source.want?.(options.flags);
    this.cache = new BundleCache(source, ttlMs, this.now, { loadTimeoutMs: options.loadTimeoutMs, clock: options.clock });
    this.buckets = new BucketHashCache(options.bucketCacheSize ?? 10_000);
    const onState = (flagId: string, state: FlagStateAnswer) => this.overlay.applyState(flagId, state);
    this.reporter = options.reporter
      ? new BatchReporter(options.reporter, { clock: options.clock, onState, seen: (id) => this.overlay.versionOf(id, this.cache.peek()), reader: this.reader, ...options.reporting })
      : null;
    const channelClock = options.clock ?? { ...systemClock, now: this.now };
    this.channel = options.changes
      ? new ChangeChannel(options.changes, this.overlay, this.reader, () => this.cache.invalidate(), options.channel, channelClock)
      : null;
    // A check of a flag whose shard is not loaded makes the next read due (the next request has it).
    const learn = (id: string) => {
      if (source.want?.([id])) this.cache.invalidate();
    };
    this.compiled = new CompiledFlags(this.environment, this.buckets, this.reporter?.counters ?? null, learn, this.reporter?.experiments ?? null);
  }

  /** Loads the bundle (if due). True when a bundle is available to evaluate against. */
  async ready(): Promise<boolean> {
    return (await this.cache.get()) !== null;
  }

  /** The bundle in memory, if any (no read). */
  peekBundle(): FlagBundle | null {
    return this.cache.peek();
  }

  /**
   * The flags of one request: loads the bundle if due (the request's only await), then answers
   * every check synchronously (`isEnabled(id)`, `getBooleanValue(id, default)`, `evaluate(id)`, …).
   * Pass the request's `ctx` so the evaluation counts reach the coordinator through `waitUntil`,
   * and `flags` to have flags this isolate has not evaluated yet loaded first.
   */
  forRequest(ctx: WaitUntil | undefined, context: FlagContext = {}, flags?: readonly string[]): Promise<RequestFlags> {
    const waiting = this.channel?.before(ctx);
    if (waiting) return waiting.then(() => this.loaded(ctx, context, flags));
    return this.loaded(ctx, context, flags);
  }

  private loaded(ctx: WaitUntil | undefined, context: FlagContext, flags: readonly string[] | undefined): Promise<RequestFlags> {
    const missing = flags !== undefined && this.source.want?.(flags) === true;
    // Within the cache period the bundle is at hand: no read and no promise chain to wait on.
    const fresh = missing ? undefined : this.cache.fresh();
    if (fresh !== undefined) return this.settled(() => this.requestFlags(fresh, context, ctx));
    return this.load(missing ? flags : undefined).then((bundle) => this.requestFlags(bundle, context, ctx));
  }

  /** Adds flags this isolate evaluates (loaded with the next read; `getFlagClient` passes its `flags`). */
  want(flags: readonly string[]): void {
    if (this.source.want?.(flags)) this.cache.invalidate();
  }

  /** The bundle, with `flags` loaded: a read under way when they were asked for may not include them. */
  private async load(flags: readonly string[] | undefined): Promise<FlagBundle | null> {
    if (flags) this.cache.invalidate();
    const bundle = await this.cache.get();
    if (!flags || !this.source.want?.(flags)) return bundle;
    this.cache.invalidate();
    return this.cache.get();
  }

  private settled(build: () => RequestFlags): Promise<RequestFlags> {
    try {
      return Promise.resolve(build());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private requestFlags(bundle: FlagBundle | null, context: FlagContext, ctx: WaitUntil | undefined): RequestFlags {
    if (bundle !== this.compiledFrom || this.overlay.generation !== this.compiledGeneration) {
      this.compiledFrom = bundle;
      this.compiledGeneration = this.overlay.generation;
      this.compiled.use(this.overlay.over(bundle));
    }
    return new RequestFlags(this.compiled, toEvaluationContext(context), this.now(), this.reporter, ctx);
  }

  /**
   * Evaluates a flag, exactly as the coordinator does, against the cached bundle. Never throws.
   * Pass `ctx` so the evaluation count reaches the coordinator (or call `flush(ctx)` later).
   * A request checking several flags is cheaper with `forRequest`.
   */
  async evaluate(flagId: string, context: FlagContext = {}, ctx?: WaitUntil): Promise<FlagEvaluation> {
    // A copy: callers of the async methods always got an object of their own.
    return { ...(await this.forRequest(ctx, context, [flagId])).evaluate(flagId) };
  }

  /** The article's `isEnabled`: true only when the flag evaluates to `true`. */
  async isEnabled(flagId: string, context: FlagContext = {}, ctx?: WaitUntil): Promise<boolean> {
    return (await this.forRequest(ctx, context, [flagId])).isEnabled(flagId);
  }

  getBooleanDetails(flagId: string, defaultValue: boolean, context: FlagContext = {}, ctx?: WaitUntil): Promise<FlagDetails<boolean>> {
    return this.resolve(flagId, 'boolean', defaultValue, context, ctx);
  }

  getStringDetails(flagId: string, defaultValue: string, context: FlagContext = {}, ctx?: WaitUntil): Promise<FlagDetails<string>> {
    return this.resolve(flagId, 'string', defaultValue, context, ctx);
  }

  getNumberDetails(flagId: string, defaultValue: number, context: FlagContext = {}, ctx?: WaitUntil): Promise<FlagDetails<number>> {
    return this.resolve(flagId, 'number', defaultValue, context, ctx);
  }

  getObjectDetails<T = unknown>(flagId: string, defaultValue: T, context: FlagContext = {}, ctx?: WaitUntil): Promise<FlagDetails<T>> {
    return this.resolve(flagId, 'object', defaultValue, context, ctx);
  }

  async getBooleanValue(flagId: string, defaultValue: boolean, context: FlagContext = {}, ctx?: WaitUntil): Promise<boolean> {
    return (await this.getBooleanDetails(flagId, defaultValue, context, ctx)).value;
  }

  async getStringValue(flagId: string, defaultValue: string, context: FlagContext = {}, ctx?: WaitUntil): Promise<string> {
    return (await this.getStringDetails(flagId, defaultValue, context, ctx)).value;
  }

  async getNumberValue(flagId: string, defaultValue: number, context: FlagContext = {}, ctx?: WaitUntil): Promise<number> {
    return (await this.getNumberDetails(flagId, defaultValue, context, ctx)).value;
  }

  async getObjectValue<T = unknown>(flagId: string, defaultValue: T, context: FlagContext = {}, ctx?: WaitUntil): Promise<T> {
    return (await this.getObjectDetails(flagId, defaultValue, context, ctx)).value;
  }

  /**
   * A typed evaluation: the flag's value when the flag is known and of the requested kind,
   * otherwise `defaultValue` with an `errorCode` (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`,
   * `PROVIDER_NOT_READY` when no bundle was ever loaded, `GENERAL`).
   */
  async resolve<T>(flagId: string, kind: ValueKind, defaultValue: T, context: FlagContext = {}, ctx?: WaitUntil): Promise<FlagDetails<T>> {
    return { ...(await this.forRequest(ctx, context, [flagId])).resolve(flagId, kind, defaultValue) };
  }

  /**
   * The article's pattern 3 as one call: when the flag is on, run the new handler; if it throws
   * (or `isFailure` says its result is a failure), report the failure with the variant and a short
   * error sample, and answer with the fallback instead. The new handler's error never reaches the
   * caller. A success of the new handler is counted too (the error-rate rule needs both). Reports
   * are batched and flushed through `ctx.waitUntil`. `flags` (from `forRequest`) saves the bundle
   * look-up when the request already has them.
   */
  async withFallback<T>(ctx: WaitUntil, flagId: string, context: FlagContext | RequestFlags, handlers: FallbackHandlers<T>): Promise<T> {
    const flags = context instanceof RequestFlags ? context : await this.forRequest(ctx, context, [flagId]);
    const evaluation = { ...flags.evaluate(flagId) }; // the handlers' own copy
    if (evaluation.value === true) {
      let failure: unknown;
      try {
        const result = await handlers.enabled(evaluation);
        const verdict = handlers.isFailure ? safeVerdict(handlers.isFailure, result) : false;
        if (verdict === false) {
          this.reporter?.recordSuccess(flagId, evaluation.variant);
          this.reporter?.schedule(ctx);
          return result;
        }
        failure = typeof verdict === 'string' ? verdict : 'the new handler returned a failure';
      } catch (error) {
        failure = error;
      }
      if (this.reporter) this.reporter.recordFailure(flagId, evaluation.variant, failure);
      else console.warn(`flag "${flagId}": new handler failed, falling back: ${errorSample(failure, 200)}`);
    }
    this.reporter?.schedule(ctx);
    return handlers.fallback(evaluation);
  }

  /**
   * A metric event of the unit in `context` (the value of each flag's bucketing attribute), for every
   * running experiment in the bundle that lists `metric`; sent with the next usage flush. `value` is
   * summed by a mean metric (default 1) and ignored by a conversion metric. The coordinator counts
   * it only for a unit already exposed, at or after its exposure.
   */
  async track(metric: string, context: FlagContext = {}, value?: number, ctx?: WaitUntil): Promise<void> {
    (await this.forRequest(ctx, context)).track(metric, value);
  }

  /** Sends pending reports and evaluation counts, kept alive by `ctx.waitUntil` when given. */
  flush(ctx?: WaitUntil): Promise<void> {
    if (!this.reporter) return Promise.resolve();
    const flushing = this.reporter.flush();
    ctx?.waitUntil(flushing);
    return flushing;
  }
}

/** The context evaluation sees: attributes flattened, `userId` standing in for `targetingKey`. */
export function toEvaluationContext(context: FlagContext): EvaluationContext {
  const { attrs, ...top } = context;
  const result: EvaluationContext = attrs ? { ...attrs, ...top } : { ...top };
  if (result.targetingKey === undefined && typeof context.userId === 'string') result.targetingKey = context.userId;
  return result;
}

function safeVerdict<T>(isFailure: (result: T) => boolean | string, result: T): false | true | string {
  try {
    const verdict = isFailure(result);
    return typeof verdict === 'string' ? verdict || true : verdict === true;
  } catch (error) {
    return `isFailure threw: ${errorSample(error, 150)}`;
  }
}

// ---------------------------------------------------------------------- one client per isolate

const shared = new WeakMap<object, Map<string, FlagClient>>();

/**
 * The isolate's client for this KV namespace (or source) and settings, created on first use.
 * Workers keep `env` (and so its bindings) across the requests of an isolate, so calling this in
 * every request returns the same client: one bundle cache, one report batch per isolate.
 */
export function getFlagClient(options: FlagClientOptions): FlagClient {
  const anchor: object | undefined = options.source ?? options.kv;
  if (!anchor) throw new TypeError('FlagClient needs a KV namespace (`kv`) or a snapshot `source`');
  const key = JSON.stringify([options.environment, options.cacheTtlSeconds ?? DEFAULT_TTL_SECONDS, options.reporter ? 1 : 0, options.changes ? 1 : 0]);
  let clients = shared.get(anchor);
  if (!clients) {
    clients = new Map();
    shared.set(anchor, clients);
  }
  let client = clients.get(key);
  if (!client) {
    client = new FlagClient(options);
    clients.set(key, client);
  } else if (options.flags) client.want(options.flags);
  return client;
}
