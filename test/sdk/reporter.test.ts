/**
 * Batched reports: a burst of failures in one isolate reaches the coordinator (the real
 * `FlagCoordinator` RPC entrypoint) as a handful of calls, every failure counted; transient call
 * failures re-queue their counts; the queue is bounded.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Usage } from '../../src/flags/reports';
import { FlagClient } from '../../src/sdk/client';
import { BatchReporter, type FlagReporterBinding, type ReportBody } from '../../src/sdk/reporter';
import { bundleWith, CountingReporter, createExecutionContext, createFlag, health, waitOnExecutionContext, withContext } from './helpers';

describe('a burst of failing requests in one isolate', () => {
  it('reaches the coordinator as a handful of batched calls, and every failure is counted', async () => {
    // max_failures high so the flag stays on through the burst and the counts can be checked.
    const flag = await createFlag({ id: 'burst', enabled: true, rollout_percentage: 100, auto_kill: { max_failures: 100_000 } });
    await bundleWith({ burst: flag.version });
    const reporter = new CountingReporter();
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', reporter });
    await client.ready();

    const contexts = Array.from({ length: 1_000 }, () => createExecutionContext());
    const answers = await Promise.all(
      contexts.map((ctx, i) =>
        client.withFallback(ctx, 'burst', { userId: `user-${i}` }, {
          enabled: async () => {
            throw new Error(`new handler failed for user-${i}`);
          },
          fallback: async () => 'legacy',
        }),
      ),
    );
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));

    expect(answers.every((a) => a === 'legacy')).toBe(true);
    const calls = reporter.reportCallsFor('burst');
    const usageCalls = reporter.usage.filter((u) => u.flagId === 'burst').length;
    console.log(`1,000 failing requests → ${calls} report call(s), ${usageCalls} usage call(s); batches: ${reporter.reports.map((r) => r.report.failures).join(', ')}`);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(5);
    expect(usageCalls).toBeLessThanOrEqual(5);
    expect(reporter.reports.reduce((sum, r) => sum + r.report.failures, 0)).toBe(1_000);
    expect(reporter.reports.every((r) => r.report.variant === 'on' && r.report.error?.startsWith('Error: new handler failed'))).toBe(true);

    const state = await health('burst');
    expect(state).toMatchObject({ enabled: true, failures: 1_000, successes: 0 });
    expect(state.by_variant.on.failures).toBe(1_000);
    expect(state.exposures.on.count).toBe(1_000);
    expect(client.reporter!.stats).toMatchObject({ failedCalls: 0, dropped: 0, rejected: 0 });
  });

  it('kills the flag after the policy\'s count even when the failures arrive in batches', async () => {
    const flag = await createFlag({ id: 'burst-kill', enabled: true, rollout_percentage: 100 });
    await bundleWith({ 'burst-kill': flag.version });
    const reporter = new CountingReporter();
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', reporter });
    const contexts = Array.from({ length: 200 }, () => createExecutionContext());
    const answers = await Promise.all(
      contexts.map((ctx, i) =>
        client.withFallback(ctx, 'burst-kill', { userId: `user-${i}` }, {
          enabled: async () => {
            throw new Error('down');
          },
          fallback: async () => 'legacy',
        }),
      ),
    );
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
    expect(answers.every((a) => a === 'legacy')).toBe(true);
    const state = await health('burst-kill');
    expect(state.enabled).toBe(false);
    expect(state.failures).toBe(200);
    expect(state.last_incident).toMatchObject({ rule: 'max_failures', max_failures: 10, variant: 'on' });
    expect(reporter.reportCallsFor('burst-kill')).toBeLessThanOrEqual(5);
  });
});

describe('delivery', () => {
  it('re-queues the counts of a failed call and delivers them on retry', async () => {
    const flag = await createFlag({ id: 'retry', enabled: true, rollout_percentage: 100, auto_kill: { max_failures: 100_000 } });
    await bundleWith({ retry: flag.version });
    const reporter = new CountingReporter();
    reporter.failNext = 2; // the first two calls (the report and the usage of the first flush) throw
    const client = new FlagClient({
      kv: env.FLAGS_KV,
      environment: 'production',
      reporter,
      reporting: { failureIntervalMs: 0, flushIntervalMs: 20 },
    });
    await withContext(async (ctx) => {
      for (let i = 0; i < 5; i++) {
        await client.withFallback(ctx, 'retry', { userId: `u${i}` }, {
          enabled: async () => {
            if (i % 2 === 0) throw new Error('flaky');
            return 'new';
          },
          fallback: async () => 'legacy',
        });
      }
    });
    expect(reporter.thrown).toBe(2);
    expect(client.reporter!.stats.failedCalls).toBe(2);
    expect(client.reporter!.stats.requeued).toBeGreaterThan(0);
    expect(client.reporter!.hasPending).toBe(false);
    const state = await health('retry');
    expect(state).toMatchObject({ failures: 3, successes: 2 });
    expect(state.exposures.on.count).toBe(5);
  });

  it('drops (and counts) what the coordinator refuses instead of retrying it forever', async () => {
    const reporter = new BatchReporter(new CountingReporter(), { failureIntervalMs: 0, flushIntervalMs: 0 });
    reporter.recordFailure('never-created', 'on', new Error('x'));
    reporter.recordEvaluation('never-created', 'on');
    await reporter.flush();
    expect(reporter.stats).toMatchObject({ rejected: 2, failedCalls: 0 });
    expect(reporter.hasPending).toBe(false);
  });

  it('never grows without bound while the coordinator is unreachable', async () => {
    const calls: string[] = [];
    const down: FlagReporterBinding = {
      report: async (flagId: string, _report: ReportBody) => {
        calls.push(flagId);
        throw new Error('unreachable');
      },
      recordUsage: async (flagId: string, _usage: Usage) => {
        calls.push(flagId);
        throw new Error('unreachable');
      },
    };
    const problems: string[] = [];
    const reporter = new BatchReporter(down, {
      maxPendingEntries: 50,
      failureIntervalMs: 0,
      flushIntervalMs: 0,
      maxFlushMs: 300,
      onProblem: (p) => problems.push(p.kind),
    });
    for (let i = 0; i < 200; i++) {
      reporter.recordFailure(`flag-${i}`, 'on', new Error('x'));
      reporter.recordEvaluation(`flag-${i}`, 'on');
    }
    expect(reporter.pending().reports).toHaveLength(50);
    expect(Object.keys(reporter.pending().usage)).toHaveLength(50);
    expect(reporter.stats.dropped).toBe(300);
    await reporter.flush();
    // Still queued (bounded), counted, and retried with backoff rather than in a tight loop.
    const pending = reporter.pending();
    expect(pending.reports).toHaveLength(50);
    expect(pending.reports.every((r) => r.failures === 1)).toBe(true);
    expect(reporter.stats.failedCalls).toBeGreaterThan(0);
    expect(calls.length).toBeLessThanOrEqual(100 * 3);
    expect(problems).toContain('dropped');
    expect(problems).toContain('call_failed');
  });

  it('keeps one flush in flight; what arrives meanwhile goes in its next round', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const bodies: ReportBody[] = [];
    const slow: FlagReporterBinding = {
      report: async (_flagId, report) => {
        bodies.push(report);
        await gate;
        return { ok: true, value: {} };
      },
      recordUsage: async () => ({ ok: true, value: {} }),
    };
    const reporter = new BatchReporter(slow, { failureIntervalMs: 0, flushIntervalMs: 0 });
    reporter.recordFailure('f', 'on', 'first');
    const first = reporter.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 99; i++) reporter.recordFailure('f', 'on', `later ${i}`);
    const second = reporter.flush();
    expect(second).toBe(first);
    release();
    await first;
    expect(bodies).toEqual([
      { failures: 1, successes: 0, error: 'first', variant: 'on' },
      { failures: 99, successes: 0, error: 'later 0', variant: 'on' },
    ]);
    expect(reporter.stats.flushes).toBe(1);
  });
});
