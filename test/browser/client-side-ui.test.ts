/**
 * The flag page's Client-side switch in a real browser against the real coordinator: flipping it
 * saves `client_side` with If-Match, the history names the change, a client key then evaluates the
 * flag, and a read-only token sees the state without the switch.
 */
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, REPO_ROOT, VIEWER_TOKEN, apiClient, launchBrowser, openPage, signIn, startService, textOf, type Browser, type Service } from './harness';

let service: Service;
let browser: Browser;
let flagId: string;

beforeAll(async () => {
  service = await startService();
  flagId = service.owned ? 'web-checkout' : `web-checkout-${Date.now().toString(36)}`;
  const created = await apiClient(service.baseUrl, ADMIN_TOKEN)('POST', '/admin/flags', { id: flagId, enabled: true, rollout_percentage: 100 });
  if (created.status !== 201) throw new Error(`create ${flagId}: ${created.status}`);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

/** What the dev client key gets for the flag, as a page on localhost would ask. */
async function asBrowser(id: string): Promise<number> {
  const response = await fetch(`${service.baseUrl}/ofrep/v1/evaluate/flags/${id}`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-client-key', 'Content-Type': 'application/json', Origin: 'http://localhost:3000' },
    body: JSON.stringify({ context: { targetingKey: 'u1' } }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('the Client-side switch', () => {
  test('flipping it saves client_side with If-Match and shows in the history', async () => {
    const { page, errors } = await openPage(browser);
    const writes: { method: string; ifMatch: string | undefined; body: unknown }[] = [];
    page.on('request', (request: Request) => {
      if (new URL(request.url()).pathname === `/admin/flags/${flagId}` && request.method() === 'PATCH') {
        writes.push({ method: request.method(), ifMatch: request.headers()['if-match'], body: request.postDataJSON() });
      }
    });
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');
    await page.goto(`${service.baseUrl}/admin#/flags/${flagId}`);
    const section = page.locator('#sec-clientside');
    const toggle = section.getByRole('switch', { name: 'Client-side' });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(false);
    expect(await textOf(section)).toContain('Server-side only');
    expect(await asBrowser(flagId)).toBe(404);

    await toggle.check();
    await page.locator('.meta', { hasText: 'version 2' }).waitFor();
    expect(writes).toEqual([{ method: 'PATCH', ifMatch: '1', body: { client_side: true } }]);
    expect(await section.getByRole('switch', { name: 'Client-side' }).isChecked()).toBe(true);
    expect(await textOf(section)).toContain('Served to client keys');
    await page.locator('#sec-history .entry[data-version="2"]', { hasText: 'Client-side' }).waitFor();
    const flag = (await apiClient(service.baseUrl, ADMIN_TOKEN)('GET', `/admin/flags/${flagId}`)).body.flag;
    expect(flag.client_side).toBe(true);
    await expect.poll(() => asBrowser(flagId), { timeout: 20_000 }).toBe(200);
    expect(errors).toEqual([]);
    await section.screenshot({ path: join(REPO_ROOT, 'test-results', 'browser', 'client-side-section.png') });
  });

  test('a read-only token sees the state without the switch', async () => {
    const { page } = await openPage(browser);
    await signIn(page, service.baseUrl, VIEWER_TOKEN, 'viewer');
    await page.goto(`${service.baseUrl}/admin#/flags/${flagId}`);
    const section = page.locator('#sec-clientside');
    await section.waitFor();
    expect(await textOf(section)).toContain('Served to client keys');
    expect(await section.getByRole('switch').count()).toBe(0);
  });
});
