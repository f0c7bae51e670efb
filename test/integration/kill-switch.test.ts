import { afterEach, describe, expect, it } from 'vitest';
import { api, createFlag, kvVersion, TOKENS, waitFor } from '../helpers/api';
import { TestClock, useClock } from '../helpers/clock';
import { installReceiver } from '../helpers/receiver';
import { flagObject as stubOf } from '../helpers/stubs';

const report = (flagId: string, body: unknown = {}) => api('POST', `/v1/flags/${flagId}/failures`, body, { token: TOKENS.reporter });

let receiver: ReturnType<typeof installReceiver> | null = null;
afterEach(() => {
  receiver?.restore();
  receiver = null;
});

describe('automatic kill switch', () => {
  it('200 concurrent failure reports: one kill, 200 counted, one report says it tripped, KV shows off', async () => {
    receiver = installReceiver();
    await createFlag({ id: 'storm', enabled: true, rollout_percentage: 50 });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => report('storm', { error: `boom ${i}` })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const tripped = answers.filter((a) => a.body.tripped);
    expect(tripped).toHaveLength(1);
    expect(tripped[0]!.body).toMatchObject({ enabled: false, failures: 10, tripped: true });

    const history = await api('GET', '/admin/flags/storm/history');
    const kills = history.body.entries.filter((e: any) => e.action === 'auto_kill');
    expect(kills).toHaveLength(1);
    expect(kills[0]).toMatchObject({ actor: 'auto-kill', details: { rule: 'max_failures', failures: 10, window_seconds: 300 } });
    expect(kills[0].details.error_sample).toMatch(/^boom \d+$/);

    const health = await api('GET', '/admin/flags/storm/health');
    expect(health.body).toMatchObject({ failures: 200, successes: 0, enabled: false });
    expect(health.body.last_incident).toMatchObject({ rule: 'max_failures', failures: 10 });

    const snapshot = await kvVersion('storm', 2);
    expect(snapshot).toMatchObject({ enabled: false, rollout_percentage: 0 });
    // One notification per channel for the one kill.
    await waitFor(async () => (receiver!.deliveries.filter((d) => d.body.includes('storm')).length >= 2 ? true : undefined));
    expect(receiver.deliveries.filter((d) => d.url.includes('slack') && d.body.includes('storm'))).toHaveLength(1);
  });

  it('9 failures do not kill, the 10th does; failures older than the window do not count', async () => {
    await createFlag({ id: 'threshold', enabled: true, rollout_percentage: 100 });
    const clock = new TestClock();
    await useClock(stubOf('threshold'), clock);
    await report('threshold', { failures: 5 });
    clock.advance(301_000);
    const nine = await report('threshold', { failures: 4 });
    expect(nine.body).toMatchObject({ enabled: true, failures: 4, tripped: false });
    for (let i = 0; i < 5; i++) expect((await report('threshold')).body.tripped).toBe(false);
    expect((await api('GET', '/admin/flags/threshold')).body.flag.enabled).toBe(true);
    const tenth = await report('threshold');
    expect(tenth.body).toMatchObject({ enabled: false, failures: 10, tripped: true });
    const eleventh = await report('threshold');
    expect(eleventh.body).toMatchObject({ enabled: false, failures: 11, tripped: false });
  });

  it('the error-rate rule fires only past its minimum sample', async () => {
    await createFlag({
      id: 'rate',
      enabled: true,
      rollout_percentage: 100,
      auto_kill: { max_failures: 1000, window_seconds: 300, max_error_rate: 0.2, min_samples: 50 },
    });
    const small = await report('rate', { failures: 5, successes: 5 });
    expect(small.body).toMatchObject({ enabled: true, tripped: false });
    const stillSmall = await report('rate', { failures: 4, successes: 35 });
    expect(stillSmall.body).toMatchObject({ enabled: true, tripped: false, failures: 9, successes: 40 });
    const tip = await report('rate', { failures: 1 });
    expect(tip.body).toMatchObject({ enabled: false, tripped: true, failures: 10, successes: 40 });
    const kill = (await api('GET', '/admin/flags/rate/history')).body.entries[0];
    expect(kill.details).toMatchObject({ rule: 'max_error_rate', error_rate: 0.2, min_samples: 50 });
  });

  it('a healthy error rate under the threshold never kills', async () => {
    await createFlag({ id: 'healthy', enabled: true, auto_kill: { max_failures: 1000, max_error_rate: 0.5, min_samples: 10 } });
    const answer = await report('healthy', { failures: 30, successes: 70 });
    expect(answer.body).toMatchObject({ enabled: true, tripped: false });
  });

  it('auto_kill.enabled false opts out', async () => {
    await createFlag({ id: 'opt-out', enabled: true, auto_kill: { enabled: false } });
    const answer = await report('opt-out', { failures: 500 });
    expect(answer.body).toMatchObject({ enabled: true, tripped: false, failures: 500 });
  });

  it('after an admin re-enables, the window restarts: the next 9 failures do not kill it again', async () => {
    await createFlag({ id: 'phoenix', enabled: true, rollout_percentage: 10 });
    await report('phoenix', { failures: 12 });
    expect((await api('GET', '/admin/flags/phoenix')).body.flag.enabled).toBe(false);
    const enabled = await api('PATCH', '/admin/flags/phoenix', { enabled: true, rollout_percentage: 10, reason: 'fixed' });
    expect(enabled.status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await report('phoenix')).body).toMatchObject({ enabled: true, tripped: false });
    expect((await report('phoenix')).body).toMatchObject({ tripped: true });
    const kills = (await api('GET', '/admin/flags/phoenix/history')).body.entries.filter((e: any) => e.action === 'auto_kill');
    expect(kills).toHaveLength(2);
  });

  it('the policy is editable and validated through the admin API', async () => {
    await createFlag({ id: 'policy' });
    const ok = await api('PATCH', '/admin/flags/policy', { auto_kill: { max_failures: 3, window_seconds: 60 } });
    expect(ok.body.flag.auto_kill).toMatchObject({ enabled: true, max_failures: 3, window_seconds: 60 });
    for (const [auto_kill, path] of [
      [{ max_failures: -1 }, 'auto_kill.max_failures'],
      [{ window_seconds: 10_000_000 }, 'auto_kill.window_seconds'],
      [{ max_error_rate: 1.5 }, 'auto_kill.max_error_rate'],
      [{ max_failures: 'ten' }, 'auto_kill.max_failures'],
    ] as const) {
      const bad = await api('PATCH', '/admin/flags/policy', { auto_kill });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: any) => d.path)).toContain(path);
    }
  });
});

describe('bad reports change nothing', () => {
  it('unknown flag, negative or huge counts, wrong types, oversized error text → 4xx', async () => {
    await createFlag({ id: 'strict', enabled: true });
    expect((await report('no-such-flag')).status).toBe(404);
    for (const [body, path] of [
      [{ count: -1 }, 'count'],
      [{ failures: -3 }, 'failures'],
      [{ failures: 10_000_000 }, 'failures'],
      [{ successes: 'many' }, 'successes'],
      [{ failures: 1.5 }, 'failures'],
      [{ error: 'x'.repeat(1001) }, 'error'],
      [{ count: 1, failures: 1 }, 'count'],
      [{ extra: true }, ''],
    ] as const) {
      const answer = await report('strict', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      if (path) expect(answer.body.error.details.map((d: any) => d.path)).toContain(path);
    }
    const health = await api('GET', '/admin/flags/strict/health');
    expect(health.body).toMatchObject({ failures: 0, successes: 0, enabled: true });
  });
});

describe('notifications', () => {
  it('a receiver failing twice gets the event exactly once on a later alarm, signed', async () => {
    // Other tests' flags retry their own notifications meanwhile: count only this flag's.
    const ours = (d: { body: string }) => d.body.includes('notify-me');
    let webhookAttempts = 0;
    receiver = installReceiver((delivery) => {
      if (!ours(delivery) || !delivery.url.includes('example')) return new Response('ok');
      webhookAttempts++;
      return webhookAttempts <= 2 ? new Response('down', { status: 503 }) : new Response('ok');
    });
    await createFlag({ id: 'notify-me', enabled: true, rollout_percentage: 5 });
    await api('POST', '/admin/flags/notify-me/rollout', { percentage: 25, reason: 'day 3' });
    const webhook = () => receiver!.deliveries.filter((d) => d.url.includes('example') && ours(d));
    await waitFor(async () => (webhook().length >= 3 ? true : undefined), 10_000, 'third webhook attempt');
    await new Promise((r) => setTimeout(r, 1500));
    expect(webhook()).toHaveLength(3);
    const event = JSON.parse(webhook()[2]!.body);
    expect(event).toMatchObject({ event: 'flag.rollout_changed', flag_id: 'notify-me', version: 2, actor: 'admin', reason: 'day 3' });
    expect(event.before.rollout_percentage).toBe(5);
    expect(event.after.rollout_percentage).toBe(25);

    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('test-webhook-secret'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    const signature = webhook()[2]!.headers.get('X-Flag-Signature')!.replace('sha256=', '');
    const bytes = new Uint8Array(signature.match(/../g)!.map((h) => parseInt(h, 16)));
    expect(await crypto.subtle.verify('HMAC', key, bytes, new TextEncoder().encode(webhook()[2]!.body))).toBe(true);

    const slack = receiver.deliveries.filter((d) => d.url.includes('slack') && ours(d));
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!.body).text).toContain('rollout changed: 5% → 25%');
    const pending = (await api('GET', '/admin/flags/notify-me/health')).body.pending_side_effects;
    expect(pending.filter((p: any) => p.kind === 'webhook' || p.kind === 'slack')).toEqual([]);
  });

  it('a receiver that never answers does not hold up kills or reports', async () => {
    let hanging = 0;
    let settled = false;
    receiver = installReceiver(
      () =>
        new Promise<Response>(() => {
          hanging++;
        }),
    );
    await createFlag({ id: 'slow-hook', enabled: true, rollout_percentage: 5 });
    const kill = await api('POST', '/admin/flags/slow-hook/kill', { reason: 'test' });
    expect(kill.status).toBe(200);
    await waitFor(async () => (hanging >= 2 ? true : undefined));
    const answer = await report('slow-hook', { failures: 1 });
    settled = true;
    expect(answer.status).toBe(200);
    // The report came back while both deliveries were still hanging.
    expect(hanging).toBe(2);
    expect(settled).toBe(true);
  });

  it('a receiver stuck on one event holds back none of the flag\'s later events', async () => {
    const ours = (d: { url: string; body: string }) => d.url.includes('example') && d.body.includes('"flag_id":"stuck-hook"');
    let release!: (response: Response) => void;
    const stuck = new Promise<Response>((resolve) => (release = resolve));
    receiver = installReceiver((delivery) => (ours(delivery) && JSON.parse(delivery.body).version === 2 ? stuck : new Response('ok')));
    await createFlag({ id: 'stuck-hook', enabled: true, rollout_percentage: 5 });
    await api('POST', '/admin/flags/stuck-hook/rollout', { percentage: 25 });
    await waitFor(async () => (receiver!.deliveries.some((d) => ours(d) && JSON.parse(d.body).version === 2) ? true : undefined));
    await api('POST', '/admin/flags/stuck-hook/rollout', { percentage: 50 });
    const later = await waitFor(async () => receiver!.deliveries.find((d) => ours(d) && JSON.parse(d.body).version === 3));
    expect(JSON.parse(later.body)).toMatchObject({ event: 'flag.rollout_changed', after: { rollout_percentage: 50 } });
    release(new Response('ok'));
  });

  it('every delivery carries an idempotency key: flag, version and event', async () => {
    const ours = (d: { body: string }) => d.body.includes('keyed-hook');
    receiver = installReceiver();
    await createFlag({ id: 'keyed-hook', enabled: true, rollout_percentage: 5 });
    await api('POST', '/admin/flags/keyed-hook/kill', { reason: 'keyed' });
    const both = await waitFor(async () => {
      const found = receiver!.deliveries.filter(ours);
      return found.length >= 2 ? found : undefined;
    });
    const webhook = both.find((d) => d.url.includes('example'))!;
    expect(webhook.headers.get('Idempotency-Key')).toBe('keyed-hook:2:flag.killed');
    expect(JSON.parse(webhook.body).idempotency_key).toBe('keyed-hook:2:flag.killed');
    expect(both.find((d) => d.url.includes('slack'))!.headers.get('Idempotency-Key')).toBe('keyed-hook:2:flag.killed');
  });
});
