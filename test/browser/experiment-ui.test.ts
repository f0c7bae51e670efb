/**
 * The flag page's Experiment section in a real browser against the real coordinator: the read-out
 * table per metric with the interval bar and chance to win, units per variant, a sample-ratio
 * warning in plain words, and Stop sent as a PATCH with If-Match.
 */
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, REPO_ROOT, apiClient, launchBrowser, openPage, signIn, startService, textOf, type Browser, type Service } from './harness';

let service: Service;
let browser: Browser;
let flagId: string;

beforeAll(async () => {
  service = await startService();
  flagId = service.owned ? 'web-experiment' : `web-experiment-${Date.now().toString(36)}`;
  const call = apiClient(service.baseUrl, ADMIN_TOKEN);
  const created = await call('POST', '/admin/flags', {
    id: flagId,
    enabled: true,
    type: 'string',
    variants: { control: 'old', treatment: 'new' },
    on_variant: 'treatment',
    off_variant: 'control',
    split: [
      { variant: 'control', weight: 5000 },
      { variant: 'treatment', weight: 5000 },
    ],
    experiment: { control: 'control', metrics: [{ key: 'checkout', type: 'conversion', goal: 'increase' }], status: 'running', started_at: new Date(Date.now() - 3_600_000).toISOString() },
  });
  if (created.status !== 201) throw new Error(`create ${flagId}: ${created.status} ${JSON.stringify(created.body)}`);
  // 600 against 400 users on a 50/50 split: a sample-ratio mismatch. 10% against 20% converted.
  const at = Date.now() - 60_000;
  const units = [
    ...Array.from({ length: 600 }, (_, i) => ({ unit: `c${i}`, variant: 'control', at })),
    ...Array.from({ length: 400 }, (_, i) => ({ unit: `t${i}`, variant: 'treatment', at })),
  ];
  const usage = await call('POST', `/v1/flags/${flagId}/usage`, { variants: {}, last_at: at, units });
  if (usage.status !== 200) throw new Error(`usage: ${usage.status} ${JSON.stringify(usage.body)}`);
  const events = [...Array.from({ length: 60 }, (_, i) => ({ unit: `c${i}`, metric: 'checkout' })), ...Array.from({ length: 80 }, (_, i) => ({ unit: `t${i}`, metric: 'checkout' }))];
  const tracked = await call('POST', `/v1/flags/${flagId}/events`, { events });
  if (tracked.status !== 200 || tracked.body.counted !== 140) throw new Error(`events: ${tracked.status} ${JSON.stringify(tracked.body)}`);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the Experiment section', () => {
  test('shows the read-out with an interval bar, the units and a sample-ratio warning; Stop saves with If-Match', async () => {
    const { page, errors } = await openPage(browser);
    const writes: { ifMatch: string | undefined; body: any }[] = [];
    page.on('request', (request: Request) => {
      if (new URL(request.url()).pathname === `/admin/flags/${flagId}` && request.method() === 'PATCH') {
        writes.push({ ifMatch: request.headers()['if-match'], body: request.postDataJSON() });
      }
    });
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');
    await page.goto(`${service.baseUrl}/admin#/flags/${flagId}`);
    const section = page.locator('#sec-experiment');
    const table = section.locator('[data-testid="metric-checkout"]');
    await table.waitFor();
    expect(await textOf(section.locator('[data-testid="experiment-status"]'))).toContain('Running since');
    expect(await textOf(section.locator('[data-testid="experiment-units"]'))).toContain('1000 users so far: control 600, treatment 400');
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await textOf(rows.nth(0))).toContain('control');
    const treatment = await textOf(rows.nth(1));
    expect(treatment).toContain('20%');
    expect(treatment).toContain('+100.0%');
    expect(await rows.nth(1).locator('svg.ci-bar').count()).toBe(1);
    expect(await rows.nth(1).locator('svg.ci-bar').getAttribute('aria-label')).toMatch(/^95% interval \+/);
    const warning = section.locator('[data-testid="srm-warning"]');
    expect(await textOf(warning)).toContain('the groups are not the sizes the split asks for');
    await section.screenshot({ path: join(REPO_ROOT, 'test-results', 'browser', 'experiment-section.png') });

    await section.getByRole('button', { name: 'Stop experiment' }).click();
    await section.locator('[data-testid="experiment-status"]', { hasText: 'Stopped' }).waitFor();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.ifMatch).toBe('1');
    expect(writes[0]!.body.experiment).toMatchObject({ status: 'stopped', control: 'control' });
    // Stopped: the fixed interval stays, the numbers with it.
    await section.locator('[data-testid="metric-checkout"]').waitFor();
    expect(errors).toEqual([]);
  });
});
