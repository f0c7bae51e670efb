/**
 * The reporter's logic against a fake binding and a fake clock: when rounds go out, what a call
 * carries, retries with backoff, refusals, timeouts, bounds from model.ts, and the exposure counts
 * of the synchronous path (one flush handed to a request however many flags it checks). No real
 * waiting: time moves by hand.
 */
import { describe, expect, it } from 'vitest';
import { REPORT_LIMITS, USAGE_LIMITS } from '../../src/flags/model';
import type { Usage } from '../../src/flags/reports';
import { FlagClient } from '../../src/sdk/client';
import { BatchReporter, type FlagReporterBinding, type ReportBody, type ReporterOptions, type ReporterProblem } from '../../src/sdk/reporter';
import { FakeClock, settle } from '../support/fake-clock';
import { bundleOf, FakeSource, snapshot } from './fakes';

type Answer = 'ok' | 'refuse' | 'throw' | 'hang';

/** Records every call with the fake time it arrived; answers as `next` says (default ok). */
class FakeBinding implements FlagReporterBinding {
  reports: { at: number; flagId: string; body: ReportBody }[] = [];
  usage: { at: number; flagId: string; usage: Usage }[] = [];
  next: Answer[] = [];
  constructor(private readonly clock: FakeClock) {}

  private answer(): Promise<unknown> {
    const answer = this.next.shift() ?? 'ok';
    if (answer === 'throw') return Promise.reject(new Error('network is down'));
    if (answer === 'hang') return new Promise(() => undefined);
    if (answer === 'refuse') return Promise.resolve({ ok: false, status: 404, code: 'not_found', message: 'no such flag' });
    return Promise.resolve({ ok: true, value: {} });
  }

  report(flagId: string, body: ReportBody): Promise<unknown> {
    this.reports.push({ at: this.clock.ms, flagId, body: { ...body } });
    return this.answer();
  }

  recordUsage(flagId: string, usage: Usage): Promise<unknown> {
    this.usage.push({ at: this.clock.ms, flagId, usage: structuredClone(usage) });
    return this.answer();
  }
}

function setup(options: ReporterOptions = {}) {
  const clock = new FakeClock();
  const binding = new FakeBinding(clock);
  const problems: ReporterProblem[] = [];
  const reporter = new BatchReporter(binding, { clock, onProblem: (p) => problems.push(p), ...options });
  return { clock, binding, reporter, problems, start: clock.ms };
}

/** A context whose `waitUntil` promises the test can count. */
function requestContext() {
  const held: Promise<unknown>[] = [];
  return { held, waitUntil: (promise: Promise<unknown>) => void held.push(promise) };
}

describe('BatchReporter rounds', () => {
  it('sends failures at once and spaces later failure rounds by failureIntervalMs', async () => {
    const { clock, binding, reporter, start } = setup({ failureIntervalMs: 100, flushIntervalMs: 5_000 });
    reporter.recordFailure('f', 'on', new Error('first'));
    const flushing = reporter.flush();
    await settle();
    expect(binding.reports).toEqual([{ at: start, flagId: 'f', body: { failures: 1, successes: 0, error: 'Error: first', variant: 'on' } }]);
    await flushing;
    for (let i = 0; i < 9; i++) reporter.recordFailure('f', 'on', `later ${i}`);
    const next = reporter.flush();
    await clock.advance(99);
    expect(binding.reports).toHaveLength(1);
    await clock.advance(1);
    await next;
    expect(binding.reports[1]).toEqual({ at: start + 100, flagId: 'f', body: { failures: 9, successes: 0, error: 'later 0', variant: 'on' } });
    expect(reporter.hasPending).toBe(false);
  });

  it('holds quiet counts (successes, usage) for flushIntervalMs, and a failure cuts the wait short', async () => {
    const { clock, binding, reporter, start } = setup({ failureIntervalMs: 100, flushIntervalMs: 5_000 });
    reporter.recordSuccess('f', 'on');
    const first = reporter.flush();
    await settle();
    expect(binding.reports).toHaveLength(1); // the first round of an isolate goes at once
    reporter.recordSuccess('f', 'on');
    reporter.recordEvaluation('f', 'on', clock.ms);
    await first;
    const second = reporter.flush();
    await clock.advance(1_000);
    expect(binding.reports).toHaveLength(1);
    reporter.recordFailure('f', 'on', 'boom');
    await clock.advance(25); // one wait tick: the urgent failure is noticed
    await second;
    expect(binding.reports[1]).toMatchObject({ at: start + 1_025, body: { failures: 1, successes: 1 } });
    expect(binding.usage).toEqual([{ at: start + 1_025, flagId: 'f', usage: { variants: { on: 1 }, last_at: start } }]);
  });

  it('re-queues the counts of a failed call and retries with doubling backoff', async () => {
    const { clock, binding, reporter, start } = setup({ failureIntervalMs: 0, flushIntervalMs: 0 });
    binding.next = ['throw', 'throw', 'ok'];
    reporter.recordFailure('f', 'on', 'x');
    const flushing = reporter.flush();
    await clock.advance(250);
    await clock.advance(500);
    await flushing;
    expect(binding.reports.map((r) => r.at - start)).toEqual([0, 250, 750]);
    expect(binding.reports.map((r) => r.body.failures)).toEqual([1, 1, 1]);
    expect(reporter.stats).toMatchObject({ failedCalls: 2, requeued: 2, reportCalls: 3 });
    expect(reporter.hasPending).toBe(false);
  });

  it('drops what the coordinator refuses, and counts it', async () => {
    const { binding, reporter, problems } = setup({ failureIntervalMs: 0, flushIntervalMs: 0 });
    binding.next = ['refuse', 'refuse'];
    reporter.recordFailure('gone', 'on', 'x');
    reporter.recordEvaluation('gone', 'on');
    await reporter.flush();
    expect(reporter.stats).toMatchObject({ rejected: 2, failedCalls: 0 });
    expect(reporter.hasPending).toBe(false);
    expect(problems.map((p) => p.kind)).toEqual(['rejected', 'rejected']);
  });

  it('times out a call that never answers, re-queues it, and a stuck flush is abandoned', async () => {
    const { clock, binding, reporter, problems } = setup({ failureIntervalMs: 0, flushIntervalMs: 0, callTimeoutMs: 1_000, maxFlushMs: 2_000 });
    binding.next = ['hang'];
    reporter.recordFailure('f', 'on', 'x');
    const flushing = reporter.flush();
    await clock.advance(1_000);
    expect(problems[0]).toMatchObject({ kind: 'call_failed', detail: 'Error: no answer within 1000 ms' });
    await clock.advance(250);
    await flushing;
    expect(binding.reports).toHaveLength(2);
    expect(reporter.stats).toMatchObject({ failedCalls: 1, requeued: 1 });
  });

  it('gives up a flush after maxFlushMs and leaves the rest queued for the next request', async () => {
    const { clock, binding, reporter } = setup({ failureIntervalMs: 0, flushIntervalMs: 10_000, maxFlushMs: 3_000 });
    reporter.recordSuccess('f', 'on');
    await reporter.flush();
    reporter.recordSuccess('f', 'on');
    const flushing = reporter.flush();
    await clock.advance(3_000);
    await flushing;
    expect(binding.reports).toHaveLength(1);
    expect(reporter.hasPending).toBe(true);
    await clock.advance(7_000);
    const later = reporter.flush();
    await clock.advance(0);
    await later;
    expect(binding.reports).toHaveLength(2);
  });
});

describe('BatchReporter bounds (the coordinator schemas\' limits, from model.ts)', () => {
  it('splits counts above one call\'s limit over several calls', async () => {
    const { clock, binding, reporter } = setup({ failureIntervalMs: 0, flushIntervalMs: 0 });
    for (let i = 0; i < REPORT_LIMITS.maxFailures + 5; i++) reporter.recordFailure('f', 'on', 'x');
    const flushing = reporter.flush();
    await clock.advance(0);
    await flushing;
    expect(binding.reports.map((r) => r.body.failures)).toEqual([REPORT_LIMITS.maxFailures, 5]);
  });

  it('never sends an error sample longer than the coordinator accepts', async () => {
    const { binding, reporter } = setup({ failureIntervalMs: 0, errorSampleLength: 50_000 });
    reporter.recordFailure('f', 'on', 'x'.repeat(5_000));
    await reporter.flush();
    expect(binding.reports[0]!.body.error!.length).toBe(REPORT_LIMITS.maxErrorSampleLength);
  });

  it('counts at most the schema\'s variants per usage call and drops the rest, counted', async () => {
    const { binding, reporter, problems } = setup({ flushIntervalMs: 0 });
    for (let v = 0; v < USAGE_LIMITS.maxVariants + 3; v++) reporter.recordEvaluation('f', `v${v}`);
    await reporter.flush();
    expect(Object.keys(binding.usage[0]!.usage.variants)).toHaveLength(USAGE_LIMITS.maxVariants);
    expect(reporter.stats.dropped).toBe(3);
    expect(problems.every((p) => p.kind === 'dropped')).toBe(true);
  });
});

describe('propagation receipts', () => {
  it('sends per version served the count and first and last time, with seen_version, and keeps them across a failed call', async () => {
    const { clock, binding, reporter, start } = setup({ flushIntervalMs: 0, reader: 'reader-1', seen: (flagId) => (flagId === 'f' ? 2 : undefined) });
    binding.next = ['throw'];
    reporter.recordEvaluation('f', 'on', start, 1);
    reporter.recordEvaluation('f', 'off', start + 10, 1);
    reporter.recordEvaluation('f', 'on', start + 20, 2);
    reporter.recordEvaluation('g', 'on', start + 30);
    const flushing = reporter.flush();
    await clock.advance(250);
    await flushing;
    const receipts = binding.usage.map((u) => [u.flagId, u.usage.reader, u.usage.seen_version, u.usage.served]);
    const served = [
      { version: 1, count: 2, first_at: start, last_at: start + 10 },
      { version: 2, count: 1, first_at: start + 20, last_at: start + 20 },
    ];
    // The first round's call for f threw; the retry carries the same receipt. No version known for g: no receipt.
    expect(receipts).toEqual([
      ['f', 'reader-1', 2, served],
      ['g', undefined, undefined, undefined],
      ['f', 'reader-1', 2, served],
    ]);
  });

  it('sends at most the schema\'s versions per call, the newest', async () => {
    const { binding, reporter, start } = setup({ flushIntervalMs: 0, reader: 'reader-1' });
    for (let v = 1; v <= USAGE_LIMITS.maxServed + 5; v++) reporter.recordEvaluation('f', 'on', start + v, v);
    await reporter.flush();
    expect(binding.usage[0]!.usage.served!.map((s) => s.version)).toEqual(Array.from({ length: USAGE_LIMITS.maxServed }, (_, i) => i + 6));
  });
});

describe('exposure counts of the synchronous path', () => {
  const flags = [
    snapshot({ id: 'on-for-all' }),
    snapshot({ id: 'off-for-all', rollout_percentage: 0 }),
    snapshot({ id: 'colour', type: 'string', variants: { red: 'red', blue: 'blue' }, on_variant: 'red', off_variant: 'blue', split: [{ variant: 'red', weight: 5_000 }, { variant: 'blue', weight: 5_000 }] }),
  ];

  function client() {
    const clock = new FakeClock();
    const binding = new FakeBinding(clock);
    const flagClient = new FlagClient({
      source: new FakeSource(bundleOf(flags)),
      environment: 'production',
      reporter: binding,
      reporting: { flushIntervalMs: 5_000 },
      clock,
    });
    return { clock, binding, flagClient };
  }

  it('hands a request one flush however many flags it checks, and sends the counts in one round', async () => {
    const { clock, binding, flagClient } = client();
    const ctx = requestContext();
    const request = await flagClient.forRequest(ctx, { userId: 'u-1' });
    for (let i = 0; i < 10; i++) {
      request.isEnabled('on-for-all');
      request.isEnabled('off-for-all');
    }
    expect(ctx.held).toHaveLength(1);
    await clock.advance(0);
    await Promise.all(ctx.held);
    // With the propagation receipt: this isolate's reader id, the version served and when, and the version it holds.
    const receipt = (count: number) => ({ reader: flagClient.reader, seen_version: 1, served: [{ version: 1, count, first_at: clock.ms, last_at: clock.ms }] });
    expect(binding.usage.map((u) => [u.flagId, u.usage])).toEqual([
      ['on-for-all', { variants: { on: 10 }, last_at: clock.ms, ...receipt(10) }],
      ['off-for-all', { variants: { off: 10 }, last_at: clock.ms, ...receipt(10) }],
    ]);
    expect(flagClient.reporter!.stats.usageCalls).toBe(2);
  });

  it('counts per variant and keeps the latest request time', async () => {
    const { clock, binding, flagClient } = client();
    const served: Record<string, number> = {};
    const first = clock.ms;
    for (let u = 0; u < 200; u++) {
      if (u === 100) await clock.advance(1_000);
      const request = await flagClient.forRequest(undefined, { userId: `user-${u}` });
      const colour = request.getStringValue('colour', 'none');
      served[colour] = (served[colour] ?? 0) + 1;
    }
    // Without a ctx nothing is sent; a flush sends the counts (values, not the unknown flag, are counted).
    (await flagClient.forRequest(undefined, {})).evaluate('unknown');
    await Promise.all([flagClient.flush(), clock.advance(0)]);
    const receipt = { reader: flagClient.reader, seen_version: 1, served: [{ version: 1, count: 200, first_at: first, last_at: first + 1_000 }] };
    expect(binding.usage).toEqual([{ at: first + 1_000, flagId: 'colour', usage: { variants: served, last_at: first + 1_000, ...receipt } }]);
    expect(served['red']! + served['blue']!).toBe(200);
  });

  it('does not count a typed check that answers with the default', async () => {
    const { binding, flagClient, clock } = client();
    const request = await flagClient.forRequest(undefined, { userId: 'u' });
    expect(request.getNumberValue('colour', 7)).toBe(7);
    expect(request.getBooleanValue('on-for-all', false)).toBe(true);
    await Promise.all([flagClient.flush(), clock.advance(0)]);
    expect(binding.usage.map((u) => u.flagId)).toEqual(['on-for-all']);
  });

  it('counts the async methods the same way', async () => {
    const { binding, flagClient, clock } = client();
    const ctx = requestContext();
    await flagClient.isEnabled('on-for-all', { userId: 'u' }, ctx);
    await flagClient.getStringValue('colour', 'none', { userId: 'u' }, ctx);
    // Both checks' counts reach the coordinator through the one flush the request holds.
    await clock.advance(5_000);
    await Promise.all(ctx.held);
    expect(ctx.held).toHaveLength(1);
    expect(binding.usage).toHaveLength(2);
    const total = binding.usage.reduce((sum, u) => sum + Object.values(u.usage.variants).reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(2);
  });
});
