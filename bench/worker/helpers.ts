/** Shared pieces of the benchmark sections, which run inside the bench Worker in workerd. */
import { env, exports } from 'cloudflare:workers';
import * as stubs from '../../src/do/stubs';
import { apiClient, interceptReceivers as intercept, kvBundle, kvSnapshot, mainEntry, waitFor as poll } from '../../test/support/coordinator';
import type { Env } from '../../src/env';
import type { CatalogObject, FlagObject, RelayObject } from './instrumented';

export const TOKEN = 'bench-admin-token';

export { mainEntry };

export const benchEnv = env as unknown as Env;

/** What the coordinator's RPC entrypoint answers. */
export interface RpcResult<T = unknown> {
  ok: boolean;
  value?: T;
}

/** The coordinator's RPC entrypoint through its loopback binding, as an application Worker's service binding. */
export interface Coordinator {
  report(flagId: string, report: { failures?: number; successes?: number; error?: string; variant?: string; count?: number }): Promise<RpcResult<{ tripped: boolean; enabled: boolean; failures: number }>>;
  recordUsage(flagId: string, usage: { variants: Record<string, number>; last_at: number }): Promise<RpcResult>;
  changes(cursor: number, options?: { reader?: string }): Promise<RpcResult>;
}
/** Bound on first use: `exports` is filled in once the Worker's module has been evaluated. */
export const coordinator: Coordinator = {
  report: (flagId, report) => (exports as unknown as { FlagCoordinator: Coordinator }).FlagCoordinator.report(flagId, report),
  recordUsage: (flagId, usage) => (exports as unknown as { FlagCoordinator: Coordinator }).FlagCoordinator.recordUsage(flagId, usage),
  changes: (cursor, options) => (exports as unknown as { FlagCoordinator: Coordinator }).FlagCoordinator.changes(cursor, options),
};

/** The coordinator's HTTP API through the Worker's loopback binding, as an HTTP client would call it. */
export const { api, createFlag } = apiClient('https://flags.bench', TOKEN);

export async function failuresCounted(flagId: string): Promise<number> {
  const health = await api('GET', `/admin/flags/${flagId}/health`);
  if (health.status !== 200) throw new Error(`health of ${flagId}: ${health.status}`);
  return health.body.failures as number;
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

export const sleep = (ms: number) => scheduler.wait(ms);

/** An I/O boundary: in production workerd the clock only moves across one. */
export const ioBoundary = () => scheduler.wait(0);

/** The current time in ms, read right after an I/O boundary. */
export async function stamp(): Promise<number> {
  await ioBoundary();
  return performance.now();
}

/** Polls `probe` every 2 ms (a bench measures when something happens) until it returns a value. */
export const waitFor = <T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> => poll(probe, timeoutMs, what, 2);

/**
 * Polls `probe` (every ~2 ms) until it holds; `at` resolves with the time it was first seen to
 * hold, or null when stopped or past the deadline.
 */
export function watch(probe: () => Promise<boolean>, timeoutMs = 15_000): { at: Promise<number | null>; stop: () => void } {
  let stopped = false;
  const deadline = Date.now() + timeoutMs;
  const at = (async () => {
    while (!stopped && Date.now() < deadline) {
      if (await probe()) return performance.now();
      await sleep(2);
    }
    return null;
  })();
  return { at, stop: () => void (stopped = true) };
}

export const kvFlag = kvSnapshot;
export { kvBundle };

export async function waitForKvVersion(flagId: string, version: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (((await kvFlag(flagId))?.version ?? 0) >= version ? true : undefined), timeoutMs, `flag:${flagId} v${version}`);
}

export async function waitForBundleVersion(flagId: string, version: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (((await kvBundle())?.flags[flagId]?.version ?? 0) >= version ? true : undefined), timeoutMs, `bundle ${flagId} v${version}`);
}

/** The objects' stubs from the coordinator's stub module, typed with the bench's measurement hooks. */
export const flagStub = (flagId: string) => stubs.flagStub(benchEnv, flagId) as unknown as DurableObjectStub<FlagObject>;
export const catalogStub = () => stubs.catalogStub(benchEnv) as unknown as DurableObjectStub<CatalogObject>;
export const relayStub = (index: number) => stubs.relayStub(benchEnv, index) as unknown as DurableObjectStub<RelayObject>;

// ---------------------------------------------------------------------------------- statistics

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const stats = (values: number[]) => ({
  p50: round(median(values), 1),
  p99: round(percentile(values, 99), 1),
  max: round(Math.max(...values), 1),
  samples: values.length,
});

// ---------------------------------------------------------------------------------- KV writes

export interface KvWriteLike {
  key: string;
  at: number;
}

/** Writes to one key: how many, the most inside any 1,000 ms, and the smallest gap between two. */
export function writeRate(writes: readonly KvWriteLike[], key: string): { writes: number; max_per_second: number; min_gap_ms: number | null } {
  const times = writes.filter((w) => w.key === key).map((w) => w.at).sort((a, b) => a - b);
  let maxPerSecond = 0;
  let minGap: number | null = null;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j + 1 < times.length && times[j + 1]! - times[i]! < 1_000) j++;
    maxPerSecond = Math.max(maxPerSecond, j - i + 1);
    if (i > 0) minGap = Math.min(minGap ?? Infinity, times[i]! - times[i - 1]!);
  }
  return { writes: times.length, max_per_second: maxPerSecond, min_gap_ms: minGap };
}

// ---------------------------------------------------------------------------------- receivers

/** Slack and webhook deliveries the bench Worker answered itself. */
export const deliveries: { url: string; body: string }[] = [];

/** Answers the notification hosts in-process and keeps what they were sent, so alerts can be counted. */
export function interceptReceivers(): void {
  intercept((delivery) => {
    deliveries.push(delivery);
    return new Response('ok');
  });
}

/** Auto-kill alerts delivered for one flag: Slack messages and signed webhook events. */
export function alertsFor(flagId: string): { slack: number; webhook: number } {
  let slack = 0;
  let webhook = 0;
  for (const delivery of deliveries) {
    try {
      const body = JSON.parse(delivery.body) as { text?: string; event?: string; flag_id?: string };
      if (delivery.url.includes('slack') && body.text?.includes('Auto-disabled') && body.text.includes(`"${flagId}"`)) slack++;
      if (!delivery.url.includes('slack') && body.event === 'flag.auto_killed' && body.flag_id === flagId) webhook++;
    } catch {
      /* not ours */
    }
  }
  return { slack, webhook };
}
