/** Helpers for the SDK tests: admin calls, waiting for the KV bundle, counting wrappers, the article's bucket. */
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import type { FlagBundle } from '../../src/flags/schema';
import { KvSnapshotSource, type SnapshotSource } from '../../src/sdk/bundle-cache';
import type { FlagReporterBinding, ReportBody } from '../../src/sdk/reporter';
import type { Usage } from '../../src/flags/reports';

const ADMIN = { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' };

export async function admin<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const init: RequestInit = { method, headers: ADMIN };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await exports.default.fetch(`https://flags.test${path}`, init);
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Creates a flag through the admin API and returns its config (with `version`). */
export async function createFlag(flag: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const response = await admin('POST', '/admin/flags', flag);
  if (response.status !== 201) throw new Error(`create ${String(flag['id'])} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.flag;
}

export async function health(flagId: string): Promise<any> {
  const response = await admin('GET', `/admin/flags/${flagId}/health`);
  if (response.status !== 200) throw new Error(`health ${flagId}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Polls until `check` returns something other than `undefined`; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function readBundle(): Promise<FlagBundle | null> {
  return env.FLAGS_KV.get<FlagBundle>('flags:bundle', 'json');
}

/** Waits until the catalog's KV bundle holds every given flag at (at least) the given version. */
export function bundleWith(versions: Record<string, number>, timeoutMs = 10_000): Promise<FlagBundle> {
  return waitFor(
    async () => {
      const bundle = await readBundle();
      if (!bundle) return undefined;
      const ready = Object.entries(versions).every(([id, version]) => (bundle.flags[id]?.version ?? 0) >= version);
      return ready ? bundle : undefined;
    },
    `bundle with ${JSON.stringify(versions)}`,
    timeoutMs,
  );
}

/** The coordinator's RPC entrypoint (a loopback to `FlagCoordinator`), as an application Worker's service binding. */
export function coordinator(): FlagReporterBinding {
  return exports.FlagCoordinator;
}

/** A reporter binding that counts (and optionally fails) calls before passing them to `inner`. */
export class CountingReporter implements FlagReporterBinding {
  reports: { flagId: string; report: ReportBody }[] = [];
  usage: { flagId: string; usage: Usage }[] = [];
  /** Calls to fail (throw) before reaching the coordinator, in order. */
  failNext = 0;
  thrown = 0;

  constructor(private readonly inner: FlagReporterBinding = coordinator()) {}

  async report(flagId: string, report: ReportBody): Promise<unknown> {
    if (this.failNext > 0) {
      this.failNext--;
      this.thrown++;
      throw new Error('network is down');
    }
    this.reports.push({ flagId, report: { ...report } });
    return this.inner.report(flagId, report);
  }

  async recordUsage(flagId: string, usage: Usage): Promise<unknown> {
    if (this.failNext > 0) {
      this.failNext--;
      this.thrown++;
      throw new Error('network is down');
    }
    this.usage.push({ flagId, usage: structuredClone(usage) });
    return this.inner.recordUsage(flagId, usage);
  }

  reportCallsFor(flagId: string): number {
    return this.reports.filter((r) => r.flagId === flagId).length;
  }
}

/** A snapshot source over the real KV that counts reads and can be made to fail. */
export class CountingSource implements SnapshotSource {
  reads = 0;
  failing = false;
  private readonly inner = new KvSnapshotSource(env.FLAGS_KV);

  async load(): Promise<FlagBundle | null> {
    this.reads++;
    // Yield first, so concurrent callers really are concurrent with the read.
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.failing) throw new Error('KV unavailable');
    return this.inner.load();
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public ms = Date.now()) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** The article's bucket, computed independently with WebCrypto: first 4 bytes big-endian % 100. */
export async function articleBucket(flagId: string, userId: string): Promise<number> {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${flagId}:${userId}`));
  return new DataView(hash).getUint32(0) % 100;
}

/** Runs `work` with a fresh ExecutionContext and waits for its `waitUntil` promises. */
export async function withContext<T>(work: (ctx: ExecutionContext) => Promise<T>): Promise<T> {
  const ctx = createExecutionContext();
  try {
    return await work(ctx);
  } finally {
    await waitOnExecutionContext(ctx);
  }
}

export { createExecutionContext, waitOnExecutionContext };
