import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

const admin = { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' };

describe('smoke', () => {
  it('creates and reads a flag', async () => {
    const created = await exports.default.fetch('https://flags.test/admin/flags', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ id: 'smoke', enabled: true, rollout_percentage: 10 }),
    });
    expect(created.status).toBe(201);
    const got = await exports.default.fetch('https://flags.test/admin/flags/smoke', { headers: admin });
    expect(got.status).toBe(200);
    expect(got.headers.get('ETag')).toBe('"1"');
    const body = await got.json<{ flag: { rollout_percentage: number } }>();
    expect(body.flag.rollout_percentage).toBe(10);
  });
});

describe('admin UI entry points', () => {
  it('/ redirects to the UI, which is served from the assets', async () => {
    const root = await exports.default.fetch('https://flags.test/', { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('Location')).toBe('https://flags.test/admin');
    const page = await exports.default.fetch('https://flags.test/admin/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<!doctype html>');
  });
});
