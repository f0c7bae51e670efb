/**
 * The coordinator's Durable Objects as the workerd tests and the bench run them: the same classes,
 * constructed with a clock the caller sets (windows and schedules age without sleeping) and a KV
 * binding that records every put. What the objects do is unchanged. Free of `cloudflare:test`, so
 * the bench Worker (bench/worker/instrumented.ts) builds on it too.
 */
import { CatalogObject as CoordinatorCatalogObject } from '../../src/do/catalog-object';
import { FlagObject as CoordinatorFlagObject } from '../../src/do/flag-object';
import { systemClock, type Clock } from '../../src/do/timing';
import type { Env } from '../../src/env';

/** The wall clock until a test or the bench hands it another source. */
export class SettableClock implements Clock {
  private source: Clock = systemClock;

  now(): number {
    return this.source.now();
  }

  use(source: Clock): void {
    this.source = source;
  }
}

export interface KvWrite {
  key: string;
  /** Wall-clock time of the put. */
  at: number;
  /** The `version` of the JSON value written, when it has one. */
  version: number | null;
}

/** Every KV put an object makes, in order; `watch` follows the ones still to come. */
export class KvRecorder {
  readonly writes: KvWrite[] = [];
  private readonly watchers: ((write: KvWrite) => void)[] = [];

  watch(watcher: (write: KvWrite) => void): void {
    this.watchers.push(watcher);
  }

  /** `env` with a FLAGS_KV whose puts are recorded; every other call goes to the binding as is. */
  wrap(env: Env): Env {
    const kv = env.FLAGS_KV;
    const put: KVNamespace['put'] = (key, value, options) => {
      const write = { key, at: Date.now(), version: versionOf(value) };
      this.writes.push(write);
      for (const watcher of this.watchers) watcher(write);
      return kv.put(key, value, options);
    };
    const recording = {
      get: kv.get.bind(kv),
      getWithMetadata: kv.getWithMetadata.bind(kv),
      list: kv.list.bind(kv),
      delete: kv.delete.bind(kv),
      put,
    } as unknown as KVNamespace;
    return { ...env, FLAGS_KV: recording };
  }
}

function versionOf(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  try {
    return (JSON.parse(value) as { version?: number }).version ?? null;
  } catch {
    return null;
  }
}

export class FlagObject extends CoordinatorFlagObject {
  readonly testClock: SettableClock;
  readonly kv: KvRecorder;

  constructor(ctx: DurableObjectState, env: Env) {
    const clock = new SettableClock();
    const kv = new KvRecorder();
    super(ctx, kv.wrap(env), clock);
    this.testClock = clock;
    this.kv = kv;
  }
}

export class CatalogObject extends CoordinatorCatalogObject {
  readonly testClock: SettableClock;
  readonly kv: KvRecorder;

  constructor(ctx: DurableObjectState, env: Env) {
    const clock = new SettableClock();
    const kv = new KvRecorder();
    super(ctx, kv.wrap(env), clock);
    this.testClock = clock;
    this.kv = kv;
  }
}
