import { describe, expect, it } from 'vitest';
import { api, createFlag, TOKENS, waitFor } from '../helpers/api';
import { installReceiver } from '../helpers/receiver';

describe('idempotent and careful writes', () => {
  it('killing a killed flag and a PATCH that changes nothing make no new version', async () => {
    await createFlag({ id: 'idem', enabled: true, rollout_percentage: 20 });
    expect((await api('POST', '/admin/flags/idem/kill', {})).body.flag.version).toBe(2);
    expect((await api('POST', '/admin/flags/idem/kill', {})).body.flag.version).toBe(2);
    expect((await api('PATCH', '/admin/flags/idem', { enabled: false })).body.flag.version).toBe(2);
    expect((await api('GET', '/admin/flags/idem/history')).body.entries).toHaveLength(2);
  });

  it('archive and kill honour If-Match when sent, and the body flagId must match the path', async () => {
    await createFlag({ id: 'guarded', enabled: true });
    expect((await api('DELETE', '/admin/flags/guarded', undefined, { headers: { 'If-Match': '"7"' } })).status).toBe(412);
    expect((await api('POST', '/admin/flags/guarded/kill', {}, { headers: { 'If-Match': '"7"' } })).status).toBe(412);
    const mismatch = await api('DELETE', '/admin/flags/guarded', { flagId: 'other' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.details[0].path).toBe('flagId');
    expect((await api('GET', '/admin/flags/guarded')).body.flag.version).toBe(1);
  });

  it('a PATCH of auto_kill changes only the fields it names; null removes the rate rule', async () => {
    await createFlag({ id: 'policy-merge', auto_kill: { max_failures: 50, max_error_rate: 0.5, min_samples: 20 } });
    const narrowed = await api('PATCH', '/admin/flags/policy-merge', { auto_kill: { max_failures: 3 } });
    expect(narrowed.body.flag.auto_kill).toEqual({ enabled: true, max_failures: 3, window_seconds: 300, max_error_rate: 0.5, min_samples: 20 });
    const cleared = await api('PATCH', '/admin/flags/policy-merge', { auto_kill: { max_error_rate: null } });
    expect(cleared.body.flag.auto_kill).toEqual({ enabled: true, max_failures: 3, window_seconds: 300, min_samples: 20 });
  });

  it('turning a flag off by an edit notifies as "turned off", not as a kill', async () => {
    const receiver = installReceiver();
    try {
      await createFlag({ id: 'soft-off', enabled: true, rollout_percentage: 10 });
      await api('PATCH', '/admin/flags/soft-off', { enabled: false, reason: 'done testing' });
      const event = await waitFor(async () => {
        const hook = receiver.deliveries.find((d) => d.url.includes('example') && d.body.includes('soft-off'));
        return hook ? JSON.parse(hook.body) : undefined;
      });
      expect(event.event).toBe('flag.disabled');
      expect(event.text).toContain('turned off');
      expect((await api('GET', '/admin/flags/soft-off')).body.flag.status).toBe('off');
    } finally {
      receiver.restore();
    }
  });

  it('a usage report from a clock in the future cannot freeze "last used"', async () => {
    await createFlag({ id: 'future-use', enabled: true });
    const future = Date.now() + 10 * 365 * 24 * 60 * 60 * 1000;
    expect((await api('POST', '/v1/flags/future-use/usage', { variants: { off: 1 }, last_at: future }, { token: TOKENS.reporter })).status).toBe(200);
    const health = (await api('GET', '/admin/flags/future-use/health')).body;
    expect(Date.parse(health.last_evaluated_at)).toBeLessThanOrEqual(Date.now());
  });
});

describe('bad input at the edges', () => {
  it('malformed percent-encoding in a path is a 400, not a 500', async () => {
    for (const path of ['/admin/flags/%E0%A4%A', '/admin/segments/%E0%A4%A']) {
      const response = await api('GET', path);
      expect(response.status, path).toBe(400);
      expect(response.body.error.details[0].path).toBe('id');
    }
    expect((await api('POST', '/ofrep/v1/evaluate/flags/%E0%A4%A', { context: {} }, { token: TOKENS.reporter })).status).toBe(400);
  });

  it('"stale" is reserved: it names the stale-flag report', async () => {
    const response = await api('POST', '/admin/flags', { id: 'stale' });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('id');
  });

  it('OFREP refuses non-JSON bodies (415) and huge ones (413)', async () => {
    const text = await api('POST', '/ofrep/v1/evaluate/flags/x', undefined, { token: TOKENS.reporter, rawBody: 'context', headers: { 'Content-Type': 'text/plain' } });
    expect(text.status).toBe(415);
    const huge = await api('POST', '/ofrep/v1/evaluate/flags/x', { context: { blob: 'x'.repeat(300_000) } }, { token: TOKENS.reporter });
    expect(huge.status).toBe(413);
  });

  it('a segment may not use an unknown segment or itself', async () => {
    const unknown = await api('POST', '/admin/segments', { id: 'needs-ghost', conditions: [{ attribute: 'x', op: 'in_segment', values: ['ghost'] }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe('conditions.0.values');
    const self = await api('POST', '/admin/segments', { id: 'ouroboros', conditions: [{ attribute: 'x', op: 'in_segment', values: ['ouroboros'] }] });
    expect(self.status).toBe(400);
  });
});
