import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { api, createFlag, kvSnapshot, kvVersion, TOKENS, waitFor } from '../helpers/api';
import { TestClock, useClock } from '../helpers/clock';
import { installReceiver } from '../helpers/receiver';
import { flagObject as stubOf } from '../helpers/stubs';
import type { FlagObject } from '../support/objects';
import { templateStages } from '../../src/flags/plan/body';
import { KV_WRITE_INTERVAL_MS } from '../../src/do/timing';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const report = (flagId: string, body: unknown) => api('POST', `/v1/flags/${flagId}/failures`, body, { token: TOKENS.reporter });
const getFlag = async (flagId: string) => (await api('GET', `/admin/flags/${flagId}`)).body.flag;
const history = async (flagId: string) => (await api('GET', `/admin/flags/${flagId}/history?limit=500`)).body.entries as any[];

let receiver: ReturnType<typeof installReceiver> | null = null;
afterEach(() => {
  receiver?.restore();
  receiver = null;
});

/**
 * A flag with its own test clock, a second ahead of the wall clock's KV write slot. `act` moves the
 * clock one KV write interval first, so each change gets its own KV write slot (KV writes to a key are
 * coalesced to one per second of the object's clock).
 */
async function planned(id: string, flag: Record<string, unknown> = {}) {
  await createFlag({ id, ...flag });
  const clock = new TestClock(Date.now() + 2_000);
  const stub = stubOf(id);
  await useClock(stub, clock);
  return {
    clock,
    stub,
    act: (method: string, path: string, body?: unknown, token?: string) => {
      clock.advance(KV_WRITE_INTERVAL_MS);
      return api(method, `/admin/flags/${id}${path}`, body, token ? { token } : {});
    },
    /** Moves the clock and runs the object's alarm now, as if it fired on time (or late). */
    elapse: async (ms: number) => {
      clock.advance(ms);
      await runDurableObjectAlarm(stub);
    },
  };
}

/** Records every KV write of `flag:<id>` by the flag's object, from now on. */
async function watchKvWrites(stub: DurableObjectStub, id: string): Promise<number[]> {
  const versions: number[] = [];
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as FlagObject).kv.watch((write) => {
      if (write.key === `flag:${id}` && write.version !== null) versions.push(write.version);
    });
  });
  return versions;
}

describe('the article schedule', () => {
  it('walks 1 → 5 → 25 → 50 → 100 on time when healthy: one history entry and one KV write per step', async () => {
    const { clock, stub, act, elapse } = await planned('plan-article');
    const writes = await watchKvWrites(stub, 'plan-article');

    const set = await act('PUT', '/plan', { template: 'article', reason: 'ship the chatbot' });
    expect(set.status).toBe(200);
    expect(set.headers.get('ETag')).toBe('"2"');
    expect(set.body.flag.plan).toMatchObject({ status: 'draft', stage_index: 0, template: 'article', on_unhealthy: 'pause', next_step_at: null });
    expect(set.body.flag.plan.stages).toEqual(templateStages('article'));
    expect(set.body.flag).toMatchObject({ enabled: false, rollout_percentage: 0, version: 2 });

    const started = await act('POST', '/plan/start');
    expect(started.status).toBe(200);
    const startedAt = clock.now();
    expect(started.body.flag).toMatchObject({ enabled: true, rollout_percentage: 1, version: 3 });
    expect(started.body.flag.plan).toMatchObject({ status: 'running', stage_index: 0, next_step_at: new Date(startedAt + DAY).toISOString() });
    expect(await kvVersion('plan-article', 3)).toMatchObject({ enabled: true, rollout_percentage: 1 });
    // The plan never reaches KV: only what evaluation needs does.
    expect(await kvSnapshot('plan-article')).not.toHaveProperty('plan');
    // The object's alarm is set for the step (in wall-clock time: the test clock runs ahead).
    await waitFor(async () => {
      const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
      const wallStep = startedAt + DAY - (clock.now() - Date.now());
      return alarm !== null && Math.abs(alarm - wallStep) < 5_000 ? true : undefined;
    }, 5_000, 'the alarm at the first step');

    // Day 1 → 2 → 3 → 5 → 7: each stage's hold, from the step before.
    const schedule: [holdMs: number, percentage: number, version: number][] = [
      [DAY, 5, 4],
      [DAY, 25, 5],
      [2 * DAY, 50, 6],
      [2 * DAY, 100, 7],
    ];
    let previous = 1;
    for (const [hold, percentage, version] of schedule) {
      // A minute early: nothing moves.
      await elapse(hold - 60_000);
      expect(await getFlag('plan-article')).toMatchObject({ rollout_percentage: previous, version: version - 1 });
      await elapse(60_000);
      const flag = await getFlag('plan-article');
      expect(flag).toMatchObject({ rollout_percentage: percentage, version });
      expect(await kvVersion('plan-article', version)).toMatchObject({ rollout_percentage: percentage, enabled: true });
      previous = percentage;
    }
    expect(clock.now() - startedAt).toBe(6 * DAY); // stages began on days 1, 2, 3, 5 and 7

    const flag = await getFlag('plan-article');
    expect(flag.plan).toMatchObject({ status: 'completed', stage_index: 4, next_step_at: null });
    const steps = (await history('plan-article')).filter((e) => e.action === 'plan_step').reverse();
    expect(steps.map((e) => [e.version, e.actor, e.before.rollout_percentage, e.after.rollout_percentage])).toEqual([
      [4, 'rollout-plan', 1, 5],
      [5, 'rollout-plan', 5, 25],
      [6, 'rollout-plan', 25, 50],
      [7, 'rollout-plan', 50, 100],
    ]);
    expect(steps[0].details).toMatchObject({ plan_event: 'step', trigger: 'schedule', stage_index: 1, changed: ['rollout_percentage', 'plan'] });
    expect(steps[3].details).toMatchObject({ plan_event: 'complete', plan_status: 'completed' });
    // Every version has exactly one history entry; each step was written to KV exactly once.
    expect((await history('plan-article')).map((e) => e.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(writes).toEqual([2, 3, 4, 5, 6, 7]);

    // A completed plan does nothing more.
    await elapse(30 * DAY);
    expect(await getFlag('plan-article')).toMatchObject({ rollout_percentage: 100, version: 7 });
  });

  it('a late alarm (3 days) takes one step only, and times the next from that step', async () => {
    const { clock, act, elapse } = await planned('plan-late');
    await act('PUT', '/plan', { template: 'article' });
    await act('POST', '/plan/start');
    await elapse(3 * DAY);
    const flag = await getFlag('plan-late');
    expect(flag).toMatchObject({ rollout_percentage: 5, version: 4 });
    expect(flag.plan).toMatchObject({ status: 'running', stage_index: 1, next_step_at: new Date(clock.now() + DAY).toISOString() });
    // Running the alarm again at once changes nothing: the 5% stage holds for a day from now.
    await elapse(0);
    expect(await getFlag('plan-late')).toMatchObject({ rollout_percentage: 5, version: 4 });
    await elapse(DAY);
    expect(await getFlag('plan-late')).toMatchObject({ rollout_percentage: 25, version: 5 });
  });

  // Eviction waits for the object's in-flight work to drain, which takes a few seconds here.
  it('the plan survives eviction: state, schedule and alarm', { timeout: 20_000 }, async () => {
    const { clock, stub, act, elapse } = await planned('plan-evicted');
    await act('PUT', '/plan', { template: 'article', on_unhealthy: 'rollback' });
    await act('POST', '/plan/start');
    await elapse(DAY);
    const before = await getFlag('plan-evicted');
    expect(before).toMatchObject({ rollout_percentage: 5, version: 4 });

    await evictDurableObject(stub);
    const after = await getFlag('plan-evicted');
    expect(after).toEqual(before);
    expect(after.plan).toMatchObject({ status: 'running', stage_index: 1, on_unhealthy: 'rollback' });
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();

    await useClock(stub, clock);
    await elapse(DAY);
    expect(await getFlag('plan-evicted')).toMatchObject({ rollout_percentage: 25, version: 5 });
    expect((await history('plan-evicted'))[0]).toMatchObject({ action: 'plan_step', actor: 'rollout-plan' });
  });
});

describe('health gates', () => {
  const unhealthyPlan = (on_unhealthy: string) => ({
    stages: [
      { percentage: 10, hold_seconds: 3600 },
      { percentage: 20, hold_seconds: 3600 },
      { percentage: 40, hold_seconds: 3600 },
      { percentage: 100 },
    ],
    health: { max_error_rate: 0.1, min_samples: 20 },
    on_unhealthy,
  });
  // The auto-kill itself stays out of the way: only the plan's stricter threshold trips.
  const lenient = { auto_kill: { max_failures: 1000, window_seconds: 300 } };

  async function atSecondStage(id: string, onUnhealthy: string) {
    const ctl = await planned(id, lenient);
    expect((await ctl.act('PUT', '/plan', unhealthyPlan(onUnhealthy))).status).toBe(200);
    await ctl.act('POST', '/plan/start');
    await ctl.elapse(HOUR);
    expect(await getFlag(id)).toMatchObject({ rollout_percentage: 20, version: 4 });
    // Too few samples for the rate rule: healthy.
    expect((await report(id, { failures: 3, successes: 2 })).body).toMatchObject({ enabled: true, version: 4 });
    return ctl;
  }

  it('pause: failures during a stage pause it and notify; nothing advances while paused; resume continues', async () => {
    receiver = installReceiver();
    const { act, elapse } = await atSecondStage('gate-pause', 'pause');
    const tip = await report('gate-pause', { failures: 1, successes: 14 });
    expect(tip.body).toMatchObject({ enabled: true, version: 5, tripped: false });
    const flag = await getFlag('gate-pause');
    expect(flag).toMatchObject({ enabled: true, rollout_percentage: 20 });
    expect(flag.plan).toMatchObject({ status: 'paused', stage_index: 1, next_step_at: null });
    expect(flag.plan.paused_reason).toMatch(/^unhealthy \(error rate 20% of 20 reports in 300s, plan limit 10%\)$/);
    const entry = (await history('gate-pause'))[0];
    expect(entry).toMatchObject({ version: 5, action: 'plan_pause', actor: 'rollout-plan' });
    expect(entry.details).toMatchObject({ rule: 'plan_max_error_rate', failures: 4, successes: 16, error_rate: 0.2, changed: ['plan'] });
    const pausedEvent = (d: { body: string }) => d.body.includes('gate-pause') && d.body.includes('paused at');
    await waitFor(async () => (receiver!.deliveries.filter(pausedEvent).length >= 2 ? true : undefined));
    const slack = receiver.deliveries.filter((d) => d.url.includes('slack') && pausedEvent(d));
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!.body).text).toContain('Rollout plan of "gate-pause" paused at 20%');
    const webhook = receiver.deliveries.find((d) => d.url.includes('example') && pausedEvent(d));
    expect(JSON.parse(webhook!.body)).toMatchObject({ event: 'flag.plan_paused', actor: 'rollout-plan', version: 5 });

    // Days pass: nothing moves while paused.
    await elapse(3 * DAY);
    expect(await getFlag('gate-pause')).toMatchObject({ rollout_percentage: 20, version: 5, plan: { status: 'paused' } });

    const resumed = await act('POST', '/plan/resume', { reason: 'fixed the bug' });
    expect(resumed.body.flag).toMatchObject({ rollout_percentage: 20, version: 6, plan: { status: 'running', stage_index: 1, paused_reason: null } });
    expect((await history('gate-pause'))[0]).toMatchObject({ action: 'plan_resume', actor: 'admin', reason: 'fixed the bug' });
    await elapse(HOUR);
    expect(await getFlag('gate-pause')).toMatchObject({ rollout_percentage: 40, version: 7 });
  });

  it('rollback: failures roll back to the previous stage and pause there', async () => {
    const { clock, elapse } = await atSecondStage('gate-rollback', 'rollback');
    clock.advance(KV_WRITE_INTERVAL_MS); // the KV write slot of this key
    await report('gate-rollback', { failures: 1, successes: 14 });
    const flag = await getFlag('gate-rollback');
    expect(flag).toMatchObject({ enabled: true, rollout_percentage: 10, version: 5 });
    expect(flag.plan).toMatchObject({ status: 'paused', stage_index: 0 });
    expect(flag.plan.paused_reason).toContain('rolled back from 20% to 10%');
    expect((await history('gate-rollback'))[0]).toMatchObject({ action: 'plan_rollback', actor: 'rollout-plan', before: { rollout_percentage: 20 }, after: { rollout_percentage: 10 } });
    expect(await kvVersion('gate-rollback', 5)).toMatchObject({ rollout_percentage: 10 });
    await elapse(2 * DAY);
    expect(await getFlag('gate-rollback')).toMatchObject({ rollout_percentage: 10, version: 5 });
  });

  it('rollback from the first stage goes to 0%', async () => {
    const { act } = await planned('gate-rollback-first', lenient);
    await act('PUT', '/plan', unhealthyPlan('rollback'));
    await act('POST', '/plan/start');
    await report('gate-rollback-first', { failures: 5, successes: 15 });
    expect(await getFlag('gate-rollback-first')).toMatchObject({ enabled: true, rollout_percentage: 0, plan: { status: 'paused', stage_index: 0 } });
    // Resuming from below the first stage starts it again.
    const resumed = await act('POST', '/plan/resume');
    expect(resumed.body.flag).toMatchObject({ rollout_percentage: 10, plan: { status: 'running', stage_index: 0 } });
  });

  it('kill: failures kill the flag and abort the plan; the report that tipped it says so', async () => {
    const { elapse } = await atSecondStage('gate-kill', 'kill');
    const tip = await report('gate-kill', { failures: 1, successes: 14 });
    expect(tip.body).toMatchObject({ enabled: false, version: 5, tripped: true });
    const flag = await getFlag('gate-kill');
    expect(flag).toMatchObject({ enabled: false, rollout_percentage: 0 });
    expect(flag.plan).toMatchObject({ status: 'aborted', next_step_at: null });
    expect(flag.plan.aborted_reason).toContain('flag killed: unhealthy');
    expect((await history('gate-kill'))[0]).toMatchObject({ action: 'auto_kill', actor: 'rollout-plan', details: { rule: 'plan_max_error_rate' } });
    const health = (await api('GET', '/admin/flags/gate-kill/health')).body;
    expect(health.last_incident).toMatchObject({ rule: 'plan_max_error_rate', version: 5 });
    await elapse(2 * DAY);
    expect(await getFlag('gate-kill')).toMatchObject({ enabled: false, version: 5 });
    const listed = await waitFor(async () => {
      const found = (await api('GET', '/admin/flags')).body.flags.find((f: any) => f.id === 'gate-kill');
      return found?.version === 5 ? found : undefined;
    });
    expect(listed.status).toBe('killed');
  });

  it('health is checked again at each step: an unhealthy window at the end of a hold pauses instead of stepping', async () => {
    const { act, elapse } = await planned('gate-at-step', { auto_kill: { max_failures: 1000, window_seconds: 86_400 } });
    await act('PUT', '/plan', unhealthyPlan('pause'));
    await act('POST', '/plan/start');
    await act('POST', '/plan/pause');
    // Failures while paused are counted but the paused plan does not react to them...
    await report('gate-at-step', { failures: 10, successes: 10 });
    await act('POST', '/plan/resume');
    expect(await getFlag('gate-at-step')).toMatchObject({ rollout_percentage: 10, plan: { status: 'running' } });
    // ...and at the end of the hold the window (a day long) is still unhealthy: no step.
    await elapse(HOUR);
    const flag = await getFlag('gate-at-step');
    expect(flag).toMatchObject({ rollout_percentage: 10, plan: { status: 'paused' } });
    expect((await history('gate-at-step'))[0]).toMatchObject({ action: 'plan_pause', actor: 'rollout-plan', details: { plan_event: 'pause', rule: 'plan_max_error_rate' } });
  });

  it('the auto-kill limit counts too: max_failures in the window is unhealthy even with the auto-kill off', async () => {
    const { act } = await planned('gate-limit', { auto_kill: { enabled: false, max_failures: 5 } });
    await act('PUT', '/plan', { template: 'double_daily', start: 1 });
    await act('POST', '/plan/start');
    await report('gate-limit', { failures: 5 });
    const flag = await getFlag('gate-limit');
    expect(flag).toMatchObject({ enabled: true, rollout_percentage: 1, plan: { status: 'paused' } });
    expect(flag.plan.paused_reason).toContain('5 failures in 300s, limit 5');
  });

  it('an automatic or manual kill stops the plan', async () => {
    const auto = await planned('gate-auto-kill');
    await auto.act('PUT', '/plan', { template: 'article' });
    await auto.act('POST', '/plan/start');
    const tip = await report('gate-auto-kill', { failures: 10 });
    expect(tip.body).toMatchObject({ tripped: true, enabled: false });
    const killed = await getFlag('gate-auto-kill');
    expect(killed.plan).toMatchObject({ status: 'aborted', aborted_reason: 'flag killed automatically' });
    expect((await history('gate-auto-kill'))[0]).toMatchObject({ action: 'auto_kill', actor: 'auto-kill', details: { plan: 'rollout plan aborted: flag killed automatically' } });
    await auto.elapse(2 * DAY);
    expect(await getFlag('gate-auto-kill')).toMatchObject({ enabled: false, version: killed.version });

    const manual = await planned('gate-manual-kill');
    await manual.act('PUT', '/plan', { template: 'article' });
    await manual.act('POST', '/plan/start');
    const kill = await manual.act('POST', '/kill', { reason: 'bad' });
    expect(kill.body.flag).toMatchObject({ enabled: false, plan: { status: 'aborted', aborted_reason: 'flag disabled by admin' } });
    // A killed plan can be started again from its first stage.
    const restarted = await manual.act('POST', '/plan/start');
    expect(restarted.body.flag).toMatchObject({ enabled: true, rollout_percentage: 1, plan: { status: 'running', stage_index: 0, aborted_reason: null } });
  });
});

describe('manual control', () => {
  it('a manual rollout change pauses the plan and says so; resume continues from the current stage', async () => {
    const { act, elapse } = await planned('manual-change');
    await act('PUT', '/plan', { template: 'article' });
    await act('POST', '/plan/start');
    await elapse(DAY);
    expect(await getFlag('manual-change')).toMatchObject({ rollout_percentage: 5, version: 4 });

    const rollout = await act('POST', '/rollout', { percentage: 8, reason: 'a bit more' });
    expect(rollout.status).toBe(200);
    expect(rollout.body.flag).toMatchObject({ rollout_percentage: 8, version: 5 });
    expect(rollout.body.flag.plan).toMatchObject({ status: 'paused', paused_reason: 'rollout changed manually by admin: 5% → 8%', next_step_at: null });
    const entry = (await history('manual-change'))[0];
    expect(entry).toMatchObject({ version: 5, action: 'rollout_update', actor: 'admin', reason: 'a bit more' });
    expect(entry.details).toMatchObject({ changed: ['rollout_percentage', 'plan'], plan: 'rollout plan paused: rollout changed manually by admin: 5% → 8%' });

    await elapse(5 * DAY);
    expect(await getFlag('manual-change')).toMatchObject({ rollout_percentage: 8, version: 5 });

    // A PATCH of the percentage counts as manual too (and re-words the reason).
    const patched = await act('PATCH', '', { rollout_percentage: 6 });
    expect(patched.body.flag.plan).toMatchObject({ status: 'paused', paused_reason: 'rollout changed manually by admin: 8% → 6%' });

    // Resume: from the current stage (5%, the last at or below 6%), its hold restarting now.
    const resumed = await act('POST', '/plan/resume');
    expect(resumed.body.flag).toMatchObject({ rollout_percentage: 5, version: 7 });
    expect(resumed.body.flag.plan).toMatchObject({ status: 'running', stage_index: 1, paused_reason: null });
    await elapse(DAY - 60_000);
    expect(await getFlag('manual-change')).toMatchObject({ rollout_percentage: 5 });
    await elapse(60_000);
    expect(await getFlag('manual-change')).toMatchObject({ rollout_percentage: 25, version: 8 });
  });

  it('an edit that leaves the percentage alone does not touch the plan', async () => {
    const { act } = await planned('manual-edit');
    await act('PUT', '/plan', { template: 'article' });
    await act('POST', '/plan/start');
    const edited = await act('PATCH', '', { description: 'the new chatbot' });
    expect(edited.body.flag.plan).toMatchObject({ status: 'running' });
    expect((await history('manual-edit'))[0].details.changed).toEqual(['description']);
    // A split overrides the percentage the plan drives: the plan pauses, and resume refuses while it is there.
    const split = await act('PATCH', '', { split: [{ variant: 'on', weight: 2000 }, { variant: 'off', weight: 8000 }] });
    expect(split.body.flag.plan).toMatchObject({ status: 'paused', paused_reason: 'split set by admin: it overrides rollout_percentage' });
    expect((await act('POST', '/plan/resume')).status).toBe(409);
    await act('PATCH', '', { split: null });
    expect((await act('POST', '/plan/resume')).body.flag.plan).toMatchObject({ status: 'running' });
  });

  it('start, pause, resume, advance and abort: versioned, by the token, with If-Match', async () => {
    const { clock, act, elapse } = await planned('controls');
    expect((await act('POST', '/plan/start')).status).toBe(409); // no plan yet
    const set = await act('PUT', '/plan', { template: 'double_daily', start: 1, on_unhealthy: 'kill', health: { max_error_rate: 0.05 } });
    expect(set.body.flag.plan).toMatchObject({ template: 'double_daily', on_unhealthy: 'kill', health: { max_error_rate: 0.05, min_samples: 100 } });
    expect(set.body.flag.plan.stages.map((s: any) => s.percentage)).toEqual([1, 2, 4, 8, 16, 32, 64, 100]);
    expect((await act('POST', '/plan/pause')).status).toBe(409); // a draft is not running
    expect((await act('POST', '/plan/resume')).status).toBe(409);

    // If-Match guards the plan routes like the others.
    const stale = await api('POST', '/admin/flags/controls/plan/start', {}, { headers: { 'If-Match': '1' } });
    expect(stale.status).toBe(412);
    const started = await api('POST', '/admin/flags/controls/plan/start', undefined, { headers: { 'If-Match': '"2"' } });
    expect(started.status).toBe(200);
    expect(started.body.flag).toMatchObject({ enabled: true, rollout_percentage: 1, version: 3 });
    expect((await act('PUT', '/plan', { template: 'article' })).status).toBe(409); // abort first
    expect((await act('POST', '/plan/resume')).status).toBe(409);

    const advanced = await act('POST', '/plan/advance', { reason: 'looks great' });
    expect(advanced.body.flag).toMatchObject({ rollout_percentage: 2, version: 4 });
    expect(advanced.body.flag.plan).toMatchObject({ status: 'running', stage_index: 1, next_step_at: new Date(clock.now() + DAY).toISOString() });
    expect((await history('controls'))[0]).toMatchObject({ action: 'plan_step', actor: 'admin', reason: 'looks great', details: { trigger: 'manual' } });

    const paused = await act('POST', '/plan/pause', { reason: 'holiday' });
    expect(paused.body.flag.plan).toMatchObject({ status: 'paused', paused_reason: 'paused by admin: holiday' });
    expect((await history('controls'))[0]).toMatchObject({ action: 'plan_pause', actor: 'admin', reason: 'holiday' });
    // Advancing a paused plan steps it and leaves it paused.
    const stepped = await act('POST', '/plan/advance');
    expect(stepped.body.flag).toMatchObject({ rollout_percentage: 4, plan: { status: 'paused', stage_index: 2 } });

    const aborted = await act('POST', '/plan/abort', { reason: 'changed our minds' });
    expect(aborted.body.flag).toMatchObject({ enabled: true, rollout_percentage: 4 });
    expect(aborted.body.flag.plan).toMatchObject({ status: 'aborted', aborted_reason: 'aborted by admin: changed our minds' });
    await elapse(10 * DAY);
    expect(await getFlag('controls')).toMatchObject({ rollout_percentage: 4, version: aborted.body.flag.version });

    // Every plan change is one version in the history.
    const entries = await history('controls');
    expect(entries.map((e) => e.action)).toEqual(['plan_abort', 'plan_step', 'plan_pause', 'plan_step', 'plan_start', 'plan_set', 'create']);
    expect(entries.map((e) => e.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    // A finished plan can be replaced.
    expect((await act('PUT', '/plan', { template: 'article' })).body.flag.plan).toMatchObject({ status: 'draft' });
  });

  it('a last stage with a hold is watched for that long, then the plan completes', async () => {
    const { act, elapse } = await planned('last-hold', { auto_kill: { max_failures: 1000 } });
    await act('PUT', '/plan', {
      stages: [
        { percentage: 50, hold_seconds: 60 },
        { percentage: 100, hold_seconds: 3600 },
      ],
      health: { max_error_rate: 0.5, min_samples: 2 },
      on_unhealthy: 'rollback',
    });
    await act('POST', '/plan/start');
    await elapse(60_000);
    expect(await getFlag('last-hold')).toMatchObject({ rollout_percentage: 100, plan: { status: 'running', stage_index: 1 } });
    await elapse(3_600_000);
    expect(await getFlag('last-hold')).toMatchObject({ rollout_percentage: 100, plan: { status: 'completed' } });
    // A completed plan no longer reacts to failures (the auto-kill still does).
    await report('last-hold', { failures: 5 });
    expect(await getFlag('last-hold')).toMatchObject({ rollout_percentage: 100, plan: { status: 'completed' } });
  });

  it('scopes and routes: a reader cannot steer a plan; unknown commands and flags are 404; a split flag cannot start one', async () => {
    await createFlag({ id: 'plan-scopes' });
    expect((await api('PUT', '/admin/flags/plan-scopes/plan', { template: 'article' }, { token: TOKENS.viewer })).status).toBe(403);
    expect((await api('POST', '/admin/flags/plan-scopes/plan/start', {}, { token: TOKENS.viewer })).status).toBe(403);
    expect((await api('POST', '/admin/flags/plan-scopes/plan/explode', {})).status).toBe(404);
    expect((await api('PUT', '/admin/flags/no-such-flag/plan', { template: 'article' })).status).toBe(404);
    expect((await api('POST', '/admin/flags/no-such-flag/plan/start', {})).status).toBe(404);

    await createFlag({ id: 'plan-split', enabled: true, split: [{ variant: 'on', weight: 5000 }, { variant: 'off', weight: 5000 }] });
    expect((await api('PUT', '/admin/flags/plan-split/plan', { template: 'article' })).status).toBe(200);
    const refused = await api('POST', '/admin/flags/plan-split/plan/start', {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('split');
  });
});

describe('validation', () => {
  it('invalid plans get a 400 naming the problem, and change nothing', async () => {
    await createFlag({ id: 'plan-invalid' });
    const stage = (percentage: unknown, hold_seconds: unknown = 3600) => ({ percentage, hold_seconds });
    const cases: [body: unknown, path: string, message?: RegExp][] = [
      [{ stages: [stage(5), stage(1)] }, 'stages.1.percentage', /above the previous stage's 5%/],
      [{ stages: [stage(5), stage(5)] }, 'stages.1.percentage', /above the previous/],
      [{ stages: [stage(1), stage(50), stage(25), stage(100)] }, 'stages.2.percentage', /above the previous stage's 50%/],
      [{ stages: [stage(5), stage(150)] }, 'stages.1.percentage'],
      [{ stages: [stage(0), stage(100)] }, 'stages.0.percentage', /above 0/],
      [{ stages: [stage(1.234), stage(100)] }, 'stages.0.percentage', /two decimal/],
      [{ stages: [] }, 'stages', /at least 1 stage/],
      [{ stages: Array.from({ length: 21 }, (_, i) => stage(i + 1)) }, 'stages', /at most 20 stages/],
      [{ stages: [stage(5, 10), stage(100)] }, 'stages.0.hold_seconds', /at least 60 seconds/],
      [{ stages: [stage(5, 0), stage(100)] }, 'stages.0.hold_seconds', /at least 60 seconds/],
      [{ stages: [{ percentage: 5 }, stage(100)] }, 'stages.0.hold_seconds', /at least 60 seconds/],
      [{ stages: [stage(5, 365 * 86_400), stage(100)] }, 'stages.0.hold_seconds', /30 days/],
      [{ stages: [stage(5, -60), stage(100)] }, 'stages.0.hold_seconds'],
      [{ stages: [stage(5, 90.5), stage(100)] }, 'stages.0.hold_seconds'],
      [{ stages: [stage(5), stage(100, 30)] }, 'stages.1.hold_seconds', /0 \(complete on arrival\)/],
      [{ stages: [stage('five'), stage(100)] }, 'stages.0.percentage'],
      [{}, 'stages', /required/],
      [{ stages: [stage(5)], template: 'article' }, 'template', /either/],
      [{ template: 'weekly' }, 'template'],
      [{ template: 'double_daily' }, 'start', /required/],
      [{ template: 'double_daily', start: 0 }, 'start'],
      [{ template: 'double_daily', start: 120 }, 'start'],
      [{ template: 'double_daily', start: 1, hold_seconds: 5 }, 'hold_seconds'],
      [{ template: 'article', start: 1 }, 'start', /only for the double_daily/],
      [{ template: 'article', on_unhealthy: 'explode' }, 'on_unhealthy'],
      [{ template: 'article', health: { max_error_rate: 2 } }, 'health.max_error_rate'],
      [{ template: 'article', health: { min_samples: 0 } }, 'health.min_samples'],
    ];
    for (const [body, path, message] of cases) {
      const answer = await api('PUT', '/admin/flags/plan-invalid/plan', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      const details = answer.body.error.details as { path: string; message: string }[];
      const found = details.find((d) => d.path === path);
      expect(found, `${JSON.stringify(body)} → ${JSON.stringify(details)}`).toBeDefined();
      if (message) expect(found!.message).toMatch(message);
    }
    const unknownField = await api('PUT', '/admin/flags/plan-invalid/plan', { template: 'article', speed: 'fast' });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body.error)).toContain('speed');
    expect((await api('PUT', '/admin/flags/plan-invalid/plan', 'not json', { headers: { 'Content-Type': 'text/plain' } })).status).toBe(415);
    expect(await getFlag('plan-invalid')).toMatchObject({ version: 1 });
    expect((await getFlag('plan-invalid')).plan).toBeUndefined();
  });

  it('templates: the article schedule and doubling from any start', () => {
    expect(templateStages('article')).toEqual([
      { percentage: 1, hold_seconds: 86_400 },
      { percentage: 5, hold_seconds: 86_400 },
      { percentage: 25, hold_seconds: 172_800 },
      { percentage: 50, hold_seconds: 172_800 },
      { percentage: 100, hold_seconds: 0 },
    ]);
    expect(templateStages('double_daily', 3).map((s) => s.percentage)).toEqual([3, 6, 12, 24, 48, 96, 100]);
    expect(templateStages('double_daily', 0.01).map((s) => s.percentage)).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 100,
    ]);
    expect(templateStages('double_daily', 100)).toEqual([{ percentage: 100, hold_seconds: 0 }]);
    expect(templateStages('double_daily', 5, 3600).slice(0, 2)).toEqual([
      { percentage: 5, hold_seconds: 3600 },
      { percentage: 10, hold_seconds: 3600 },
    ]);
  });
});
