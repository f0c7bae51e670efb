/**
 * The admin list in a real browser against `wrangler dev` with 124 flags: it loads one page of 50,
 * pages forward and back by cursor, searches on the server (finding flags it never loaded), filters
 * by lifecycle, and applies bulk actions to selected flags with a result per flag.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, REPO_ROOT, apiClient, launchBrowser, openPage, signIn, startService, textOf, unlabelledControls, type Browser, type Service } from './harness';

let service: Service;
let browser: Browser;
let admin: ReturnType<typeof apiClient>;
/** Suffixed when the service is shared, so reruns do not collide. */
let prefix: string;
const COUNT = 120;
const NEEDLES = [110, 115, 118];

const idOf = (i: number) => `${prefix}-${String(i).padStart(3, '0')}`;

beforeAll(async () => {
  service = await startService();
  admin = apiClient(service.baseUrl, ADMIN_TOKEN);
  prefix = service.owned ? 'lt' : `lt${Date.now().toString(36)}`;
  const indexes = Array.from({ length: COUNT }, (_, i) => i);
  for (let i = 0; i < COUNT; i += 8) {
    await Promise.all(
      indexes.slice(i, i + 8).map(async (n) => {
        const created = await admin('POST', '/admin/flags', {
          id: idOf(n),
          owner: 'list-team',
          description: NEEDLES.includes(n) ? `Needle in the haystack ${n}` : `Haystack flag ${n}`,
        });
        expect(created.status).toBe(201);
      }),
    );
  }
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

/** GET /admin/flags requests the page sends, with their query. */
function recordListReads(page: Page): URLSearchParams[] {
  const reads: URLSearchParams[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/admin/flags' && request.method() === 'GET') reads.push(url.searchParams);
  });
  return reads;
}

const rowIds = (page: Page) => page.locator('table.flags-table tbody tr[data-flag]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.flag!));

describe('flag list at more than one page', () => {
  test('pages, searches on the server, and applies bulk actions to the selection', async () => {
    const { page, errors } = await openPage(browser);
    const reads = recordListReads(page);
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');
    const count = page.locator('p.count');

    // One page of 50, never the whole list.
    await count.filter({ hasText: /^Showing 1–50 of \d+ flags$/ }).waitFor();
    const total = Number((await textOf(count)).match(/of (\d+)/)![1]);
    expect(total).toBeGreaterThanOrEqual(COUNT);
    const firstPage = await rowIds(page);
    expect(firstPage).toHaveLength(50);
    expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);

    // Next loads the following 50 (after the last id of page 1), Previous goes back.
    await page.getByRole('button', { name: 'Next →' }).click();
    await count.filter({ hasText: `Showing 51–100 of ${total} flags` }).waitFor();
    const secondPage = await rowIds(page);
    expect(secondPage).toHaveLength(50);
    expect(secondPage[0]! > firstPage[49]!).toBe(true);
    expect(secondPage.some((id) => firstPage.includes(id))).toBe(false);
    expect(page.url()).toContain('cursor=');
    await page.getByRole('button', { name: '← Previous' }).click();
    await count.filter({ hasText: `Showing 1–50 of ${total} flags` }).waitFor();
    expect(await rowIds(page)).toEqual(firstPage);

    // Search: the server finds the three needles, none of which this page had loaded.
    expect(firstPage.concat(secondPage).filter((id) => NEEDLES.map(idOf).includes(id))).toEqual([]);
    await page.getByLabel('Search').fill('needle');
    await count.filter({ hasText: 'Showing 1–3 of 3 flags' }).waitFor();
    expect(await rowIds(page)).toEqual(NEEDLES.map(idOf));
    // The typed word went to the server once typing stopped; no request asked for more than a page.
    expect(reads.some((q) => q.get('q') === 'needle')).toBe(true);
    expect(reads.every((q) => Number(q.get('limit')) === 50)).toBe(true);

    // Select two, change their owner: one result per flag, the API agrees, one history entry each.
    const [a, b, c] = NEEDLES.map(idOf) as [string, string, string];
    await page.getByLabel(`Select ${a}`).check();
    await page.getByLabel(`Select ${b}`).check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.locator('.bulk-count', { hasText: '2 selected' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await bar.getByRole('button', { name: 'Change owner…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New owner').fill('search-team');
    await dialog.getByLabel(/Reason/).fill('team rename');
    await dialog.getByRole('button', { name: 'Change owner' }).click();
    const results = page.getByRole('status', { name: 'Bulk action results' });
    await results.getByRole('heading', { name: 'Change owner: 2 of 2 flags done' }).waitFor();
    expect(await results.locator('li[data-ok="true"]').count()).toBe(2);
    await mkdir(join(REPO_ROOT, 'test-results', 'browser'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-results', 'browser', 'list-bulk.png'), fullPage: true });
    await page.locator(`tr[data-flag="${a}"]`, { hasText: 'search-team' }).waitFor();
    expect(await bar.isHidden()).toBe(true); // what worked left the selection
    for (const id of [a, b]) {
      const flag = (await admin('GET', `/admin/flags/${id}`)).body.flag;
      expect(flag).toMatchObject({ owner: 'search-team', version: 2 });
      const history = (await admin('GET', `/admin/flags/${id}/history`)).body.entries;
      expect(history.map((e: any) => [e.action, e.actor, e.reason])).toEqual([['update', 'dev', 'team rename'], ['create', 'dev', null]]);
    }
    expect((await admin('GET', `/admin/flags/${c}`)).body.flag.owner).toBe('list-team');

    // Mark the third permanent; the lifecycle filter then finds only it.
    await page.getByLabel(`Select ${c}`).check();
    await bar.getByRole('button', { name: 'Mark permanent…' }).click();
    await dialog.getByRole('button', { name: 'Mark permanent' }).click();
    await results.getByRole('heading', { name: 'Mark permanent: 1 of 1 flag done' }).waitFor();
    await page.locator(`tr[data-flag="${c}"]`, { hasText: 'permanent' }).waitFor();
    expect((await admin('GET', `/admin/flags/${c}`)).body.flag.permanent).toBe(true);
    await page.getByLabel('Lifecycle').selectOption('permanent');
    await count.filter({ hasText: 'Showing 1–1 of 1 flag' }).waitFor();
    expect(await rowIds(page)).toEqual([c]);
    await page.getByLabel('Lifecycle').selectOption('');
    await count.filter({ hasText: 'Showing 1–3 of 3 flags' }).waitFor();

    // Archive two at once: they leave the list, and the results say so per flag.
    await page.getByLabel('Select every flag on this page').check();
    await page.getByLabel(`Select ${c}`).uncheck();
    await bar.locator('.bulk-count', { hasText: '2 selected' }).waitFor();
    await bar.getByRole('button', { name: 'Archive…' }).click();
    await dialog.getByRole('button', { name: 'Archive', exact: true }).click();
    await results.getByRole('heading', { name: 'Archive: 2 of 2 flags done' }).waitFor();
    await count.filter({ hasText: 'Showing 1–1 of 1 flag' }).waitFor();
    expect(await rowIds(page)).toEqual([c]);
    for (const id of [a, b]) expect((await admin('GET', `/admin/flags/${id}`)).body.flag.archived).toBe(true);

    // Sorting is the server's too: newest change first puts the permanent flag at the top.
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Sort by').selectOption('updated_at:desc');
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).get('sort') === 'updated_at:desc');
    await page.locator('table.flags-table tbody tr[data-flag]').first().and(page.locator(`tr[data-flag="${c}"]`)).waitFor();
    expect(reads.some((q) => q.get('sort') === 'updated_at' && q.get('order') === 'desc')).toBe(true);

    // On the flag's own page, "Permanent" is a detail that can be switched off again.
    await page.locator(`tr[data-flag="${c}"] a`).click();
    const details = page.locator('#sec-details');
    expect(await details.getByLabel('Permanent').isChecked()).toBe(true);
    await details.getByLabel('Permanent').uncheck();
    await details.getByRole('button', { name: 'Save details' }).click();
    await page.locator('.flag-head .meta', { hasText: 'version 3 ' }).waitFor();
    expect((await admin('GET', `/admin/flags/${c}`)).body.flag.permanent).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
