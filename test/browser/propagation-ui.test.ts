/**
 * The flag page's Propagation section in a real browser against the real coordinator: after a kill
 * clicked on the page it shows "0 of 2 readers so far", updates live (polling every second) as
 * the readers' receipts arrive, says "Reached 2 of 2 readers, … s after the kill" once the lagging
 * one reports the new version, and then stops asking.
 */
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, REPO_ROOT, apiClient, launchBrowser, openPage, signIn, startService, textOf, type Browser, type Service } from './harness';

let service: Service;
let browser: Browser;
let call: ReturnType<typeof apiClient>;
let flagId: string;

/** One reader's usage flush with its receipt: per version, one evaluation first and last served at `at`. */
async function receipt(reader: string, served: { version: number; at: number }[]): Promise<void> {
  const body = {
    variants: { on: served.length },
    last_at: Math.max(...served.map((s) => s.at)),
    reader,
    served: served.map(({ version, at }) => ({ version, count: 1, first_at: at, last_at: at })),
  };
  const answer = await call('POST', `/v1/flags/${flagId}/usage`, body);
  if (answer.status !== 200) throw new Error(`usage: ${answer.status} ${JSON.stringify(answer.body)}`);
}

beforeAll(async () => {
  service = await startService();
  call = apiClient(service.baseUrl, ADMIN_TOKEN);
  flagId = service.owned ? 'web-propagation' : `web-propagation-${Date.now().toString(36)}`;
  const created = await call('POST', '/admin/flags', { id: flagId, enabled: true, rollout_percentage: 100 });
  if (created.status !== 201) throw new Error(`create ${flagId}: ${created.status} ${JSON.stringify(created.body)}`);
  await receipt('reader-fast', [{ version: 1, at: Date.now() }]);
  await receipt('reader-slow', [{ version: 1, at: Date.now() }]);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the Propagation section', () => {
  test('a kill clicked on the page: live "n of 2 so far", then "reached 2 of 2", then no more polling', async () => {
    const { page, errors } = await openPage(browser);
    const asked: number[] = [];
    page.on('request', (request: Request) => {
      if (new URL(request.url()).pathname === `/admin/flags/${flagId}/propagation`) asked.push(Date.now());
    });
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');
    await page.goto(`${service.baseUrl}/admin#/flags/${flagId}`);
    const section = page.locator('#sec-propagation');
    const summary = section.locator('[data-testid="propagation-summary"]');
    const shows = (text: string | RegExp) => section.locator('[data-testid="propagation-summary"]', { hasText: text }).waitFor();
    await shows(/Reached 2 of 2 readers, \d+\.\d s after the creation/);

    await page.locator('#sec-serving').getByRole('button', { name: 'Kill flag…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Why are you killing it?').fill('propagation test');
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    await shows('0 of 2 readers so far (version 2).');
    expect(await textOf(section.locator('.propagation-lagging'))).toContain('reader-s');
    const killedAt = Date.parse((await call('GET', `/admin/flags/${flagId}`)).body.flag.updated_at);

    // Receipts say when a reader first served the new version; the coordinator takes no time from the future.
    await page.waitForTimeout(Math.max(0, killedAt + 1_500 - Date.now()));
    // The fast reader switched 0.8 s after the kill; the page shows it without a reload.
    await receipt('reader-fast', [{ version: 1, at: killedAt + 100 }, { version: 2, at: killedAt + 800 }]);
    await shows('1 of 2 readers so far (version 2).');
    await section.screenshot({ path: join(REPO_ROOT, 'test-results', 'browser', 'propagation-live.png') });

    // The slow reader switched 1.4 s after the kill: the last one, so that is when it was confirmed.
    await receipt('reader-slow', [{ version: 1, at: killedAt + 200 }, { version: 2, at: killedAt + 1_400 }]);
    await shows('Reached 2 of 2 readers, 1.4 s after the kill.');
    expect(await summary.getAttribute('data-confirmed')).toBe('yes');
    expect(await section.locator('.propagation-lagging').count()).toBe(0);
    await section.screenshot({ path: join(REPO_ROOT, 'test-results', 'browser', 'propagation-confirmed.png') });

    // Confirmed: no more asking.
    const settled = asked.length;
    await page.waitForTimeout(2_500);
    expect(asked.length).toBe(settled);
    expect(errors).toEqual([]);
  });
});
