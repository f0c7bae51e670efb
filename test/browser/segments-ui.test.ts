/**
 * The admin UI's segments view in a real browser against the real coordinator: create a segment
 * through the form, edit its conditions as JSON (an API validation error shows under the editor
 * with its path), lose a race to an API change (412), and fail to delete it while a flag's rule
 * uses it (409 naming the flag). A read-only token sees no write controls; the pages fit 390 px.
 */
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, VIEWER_TOKEN, apiClient, launchBrowser, openPage, signIn, startService, textOf, unlabelledControls, type Browser, type Service } from './harness';

let service: Service;
let browser: Browser;
let admin: ReturnType<typeof apiClient>;
/** Ids this run creates; suffixed when the service is shared so reruns do not collide. */
let segmentId: string;
let flagId: string;

beforeAll(async () => {
  service = await startService();
  admin = apiClient(service.baseUrl, ADMIN_TOKEN);
  const suffix = service.owned ? '' : `-${Date.now().toString(36)}`;
  segmentId = `beta-testers${suffix}`;
  flagId = `segment-gated${suffix}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('segments with a full-access token', () => {
  test('create, edit conditions, see a validation error, lose a race, and be refused a delete while in use', async () => {
    const { page, errors } = await openPage(browser);
    const writes: { method: string; path: string; ifMatch: string | undefined }[] = [];
    page.on('request', (request: Request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/admin/segments') && request.method() !== 'GET') {
        writes.push({ method: request.method(), path: url.pathname, ifMatch: request.headers()['if-match'] });
      }
    });
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');

    // The nav leads to the list, the list to the create form.
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByRole('heading', { name: 'Segments', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.getByRole('heading', { name: 'New segment' }).waitFor();

    // Create: id, description and conditions as JSON.
    await page.getByLabel('Segment id').fill(segmentId);
    await page.getByLabel('Description').fill('Users who opted into the beta');
    await page.getByLabel('Conditions (JSON)').fill(JSON.stringify([{ attribute: 'email', op: 'ends_with', values: ['@example.com'], case_insensitive: true }]));
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.locator('h1 .flag-id', { hasText: segmentId }).waitFor();
    await page.locator('.flag-head .meta', { hasText: 'version 1 ' }).waitFor();
    const conditions = page.locator('#sec-conditions');
    expect(await textOf(conditions.locator('ol.conditions'))).toContain('email ends_with (any case) ["@example.com"]');

    // Edit the conditions as JSON.
    await conditions.getByText('Edit as JSON').click();
    const editor = conditions.getByLabel('Conditions (JSON)');
    await editor.fill(JSON.stringify([
      { attribute: 'email', op: 'ends_with', values: ['@example.com'], case_insensitive: true },
      { attribute: 'country', op: 'in', values: ['DE', 'AT'] },
    ], null, 2));
    await conditions.getByLabel('Reason').fill('only DACH for now');
    await conditions.getByRole('button', { name: 'Save conditions' }).click();
    await page.locator('.flag-head .meta', { hasText: 'version 2 ' }).waitFor();
    expect(await conditions.locator('ol.conditions li').count()).toBe(2);
    expect(await textOf(conditions.locator('ol.conditions'))).toContain('country in ["DE", "AT"]');
    const history = page.locator('#sec-history');
    await history.locator('.entry[data-version="2"]', { hasText: 'only DACH for now' }).waitFor();

    // A bad condition: the API's message appears under the editor, with its path.
    await conditions.getByText('Edit as JSON').click();
    await editor.fill(JSON.stringify([{ attribute: 'age', op: 'gt', values: ['old'] }]));
    await conditions.getByRole('button', { name: 'Save conditions' }).click();
    const editorError = page.locator(`#${await editor.getAttribute('id')}-error`);
    await editorError.waitFor();
    expect(await textOf(editorError)).toContain('conditions.0.values.0');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    expect((await admin('GET', `/admin/segments/${segmentId}`)).body.segment.version).toBe(2);

    // Someone changes the segment behind the page's back: the page's edit is refused (412),
    // the page says so and shows the new state.
    const behind = await admin('PATCH', `/admin/segments/${segmentId}`, { description: 'Beta opt-ins (changed elsewhere)' }, { 'If-Match': '2' });
    expect(behind.status).toBe(200);
    const details = page.locator('#sec-details');
    await details.getByLabel('Description').fill('Beta users');
    await details.getByRole('button', { name: 'Save description' }).click();
    const conflict = page.locator('[data-testid="conflict"]');
    await conflict.waitFor();
    expect(await textOf(conflict)).toContain('Someone else changed this segment');
    expect(await textOf(conflict)).toContain('version 3');
    await page.locator('.flag-head .meta', { hasText: 'version 3 ' }).waitFor();
    expect(await details.getByLabel('Description').inputValue()).toBe('Beta opt-ins (changed elsewhere)');
    // Every edit carried If-Match with the version the page showed (the refused bad edit too).
    expect(writes.filter((w) => w.method === 'PATCH').map((w) => w.ifMatch)).toEqual(['1', '2', '2']);

    // A flag whose rule uses the segment...
    const created = await admin('POST', '/admin/flags', {
      id: flagId,
      enabled: true,
      rules: [{ conditions: [{ attribute: 'targetingKey', op: 'in_segment', values: [segmentId] }], serve: { variant: 'on' } }],
    });
    expect(created.status).toBe(201);

    // ...so deleting the segment (from the keyboard: Enter, reason, Tab past Cancel, Enter) is
    // refused (409), naming the flag.
    await page.getByRole('button', { name: 'Delete segment…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.keyboard.type('beta is over');
    await page.keyboard.press('Tab'); // Cancel
    await page.keyboard.press('Tab'); // Delete segment
    await page.keyboard.press('Enter');
    const banner = page.locator('[data-testid="segment-error"]');
    await banner.waitFor();
    expect(await textOf(banner)).toContain('in use');
    await banner.getByRole('link', { name: flagId }).waitFor();
    expect(await banner.evaluate((el) => el.getAttribute('role'))).toBe('alert');
    expect((await admin('GET', `/admin/segments/${segmentId}`)).body.segment.archived).toBe(false);

    // The list shows it with its description, condition count and last change.
    await page.getByRole('link', { name: '← All segments' }).click();
    const row = page.locator(`tr[data-segment="${segmentId}"]`);
    await row.waitFor();
    const rowText = await textOf(row);
    expect(rowText).toContain('Beta opt-ins (changed elsewhere)');
    expect(await textOf(row.locator('td[data-label="Conditions"]'))).toBe('2');
    expect(errors).toEqual([]);
  });
});

describe('segments with a read-only token', () => {
  test('shows no write controls', async () => {
    const { page, errors } = await openPage(browser);
    await signIn(page, service.baseUrl, VIEWER_TOKEN, 'viewer');
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.locator(`tr[data-segment="${segmentId}"]`).waitFor();
    expect(await page.getByRole('link', { name: 'New segment' }).count()).toBe(0);

    await page.locator(`tr[data-segment="${segmentId}"] a`).click();
    await page.locator('h1 .flag-id', { hasText: segmentId }).waitFor();
    await page.locator('#sec-history .entry').first().waitFor();
    expect(await page.locator('main form').count()).toBe(0);
    expect(await page.locator('main input, main textarea, main select, main details.editor').count()).toBe(0);
    for (const label of await page.locator('main button').allInnerTexts()) expect(['Show older changes']).toContain(label.trim());
    expect(await textOf(page.locator('main'))).toContain('Read-only');

    await page.goto(`${service.baseUrl}/admin#/new-segment`);
    await page.getByText('Your token can read segments but not change them.').waitFor();
    expect(await page.locator('main form').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe('segments layout and labels', () => {
  test('fits 390 px without sideways scrolling, and every control has a label', async () => {
    const { page, errors } = await openPage(browser, { width: 390, height: 844 });
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');
    for (const hash of ['#/segments', `#/segments/${segmentId}`, '#/new-segment']) {
      await page.goto(`${service.baseUrl}/admin${hash}`);
      await page.locator('main h1').first().waitFor();
      if (hash.startsWith('#/segments/')) {
        await page.locator('#sec-history .entry').first().waitFor();
        await page.locator('#sec-conditions').getByText('Edit as JSON').click();
      }
      const overflow = await page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
      expect({ hash, overflow }).toEqual({ hash, overflow: 0 });
      const unlabelled = await unlabelledControls(page);
      expect({ hash, unlabelled }).toEqual({ hash, unlabelled: [] });
    }
    expect(errors).toEqual([]);
  });
});
