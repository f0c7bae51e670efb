/**
 * The admin UI in a real browser (Debian's Chromium through playwright-core) against the real
 * coordinator under `wrangler dev`: sign in, create a flag (API validation shown next to the
 * fields), raise its rollout with a reason, kill it from the keyboard, read both in the history,
 * revert, and lose a race to a change made through the API (412 → the page says so and shows the
 * new state). A read-only token sees no write controls and the API refuses its writes.
 *
 * Screenshots go to test-results/browser/; with UPDATE_SCREENSHOTS=1 (scripts/screenshots.mjs)
 * they also replace docs/admin-list.png and docs/admin-flag.png.
 */
import { mkdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, REPO_ROOT, VIEWER_TOKEN, apiClient, launchBrowser, openPage, signIn, startService, textOf, unlabelledControls, type Browser, type Service } from './harness';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'browser');

let service: Service;
let browser: Browser;
let admin: ReturnType<typeof apiClient>;
let viewer: ReturnType<typeof apiClient>;
/** The flag this run creates; suffixed when the service is shared so reruns do not collide. */
let flagId: string;

beforeAll(async () => {
  service = await startService();
  admin = apiClient(service.baseUrl, ADMIN_TOKEN);
  viewer = apiClient(service.baseUrl, VIEWER_TOKEN);
  flagId = service.owned ? 'checkout-redesign' : `checkout-redesign-${Date.now().toString(36)}`;
  browser = await launchBrowser();
  await mkdir(OUT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

async function waitForVersion(page: Page, version: number): Promise<void> {
  await page.locator('.flag-head .meta', { hasText: `version ${version} ` }).waitFor();
}

async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  // Toasts fade on their own; hide them, and the focus ring, so the picture shows the page.
  await page.evaluate(() => {
    document.getElementById('toasts')?.replaceChildren();
    (document.activeElement as HTMLElement | null)?.blur();
  });
  const file = join(OUT_DIR, name);
  await page.screenshot({ path: file, fullPage });
  if (process.env.UPDATE_SCREENSHOTS === '1') await copyFile(file, join(REPO_ROOT, 'docs', name));
}

/** Requests the page sends to the admin API that change a flag, with their If-Match header. */
function recordWrites(page: Page): { method: string; path: string; ifMatch: string | undefined }[] {
  const writes: { method: string; path: string; ifMatch: string | undefined }[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/admin/flags') && request.method() !== 'GET') {
      writes.push({ method: request.method(), path: url.pathname, ifMatch: request.headers()['if-match'] });
    }
  });
  return writes;
}

describe('admin UI with a full-access token', () => {
  test('create, roll out, kill, read history, revert, and lose a race politely', async () => {
    const { page, errors } = await openPage(browser);
    const writes = recordWrites(page);
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');

    // The list: the article's table, filterable by text and status.
    const rows = page.locator('table.flags-table tbody tr');
    if (service.owned) {
      await page.locator('tr[data-flag="new-chatbot"]').waitFor();
      await page.getByLabel('Search').fill('chatbot');
      expect(await rows.count()).toBe(1);
      await page.getByLabel('Search').fill('');
      await page.getByLabel('Status').selectOption('killed');
      expect(await rows.count()).toBe(1);
      expect(await textOf(rows.first())).toContain('experimental-ui');
      expect(await textOf(rows.first())).toContain('Killed');
      await page.getByLabel('Status').selectOption('');
      await screenshot(page, 'admin-list.png');
    }

    // Create: the API's validation messages appear next to the fields they name.
    await page.getByRole('link', { name: 'New flag' }).first().click();
    await page.getByLabel('Flag id').fill('not a valid id!');
    await page.getByLabel('Rollout percentage').fill('150');
    await page.getByRole('button', { name: 'Create flag' }).click();
    const idInput = page.getByLabel('Flag id');
    await page.locator('#' + (await idInput.getAttribute('id')) + '-error').waitFor();
    expect(await idInput.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Rollout percentage').getAttribute('aria-invalid')).toBe('true');
    const idError = await textOf(page.locator('#' + (await idInput.getAttribute('id')) + '-error'));
    expect(idError).toMatch(/letters, digits/);
    const rolloutError = await textOf(page.locator('#' + (await page.getByLabel('Rollout percentage').getAttribute('id')) + '-error'));
    expect(rolloutError.length).toBeGreaterThan(0);

    await idInput.fill(flagId);
    await page.getByLabel('Use case').fill('New checkout flow with saved cards');
    await page.getByLabel('Owner').fill('payments-team');
    await page.getByLabel('Enabled').check();
    await page.getByLabel('Rollout percentage').fill('0');
    await page.getByLabel('Allowed users').fill('qa_alice, qa_bob');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await page.locator('h1 .flag-id', { hasText: flagId }).waitFor();
    await waitForVersion(page, 1);
    expect(page.url()).toContain(`#/flags/${flagId}`);

    // Raise the rollout with a reason.
    const serving = page.locator('#sec-serving');
    await serving.getByLabel('Rollout percentage').fill('25');
    await serving.getByLabel('Reason').fill('ramp to 25% for the beta cohort');
    await serving.getByRole('button', { name: 'Set rollout' }).click();
    await waitForVersion(page, 2);
    await serving.locator('.serving-state', { hasText: '25%' }).waitFor();

    // Kill it, from the keyboard only: focus the button, Enter, type the reason, Tab to confirm.
    await serving.getByRole('button', { name: 'Kill flag…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.keyboard.type('card errors spiking at checkout');
    await page.keyboard.press('Tab'); // Cancel
    await page.keyboard.press('Tab'); // Kill flag
    await page.keyboard.press('Enter');
    await waitForVersion(page, 3);
    await serving.getByRole('button', { name: 'Re-enable…' }).waitFor();
    expect(await textOf(serving.locator('.serving-state'))).toContain('Disabled');

    // Both changes are in the history, with who, why and a readable before/after.
    const history = page.locator('#sec-history');
    const rolloutEntry = history.locator('.entry[data-version="2"]');
    await rolloutEntry.waitFor();
    const rolloutText = await textOf(rolloutEntry);
    expect(rolloutText).toContain('Rollout changed');
    expect(rolloutText).toContain('by dev');
    expect(rolloutText).toContain('ramp to 25% for the beta cohort');
    expect(rolloutText).toMatch(/Rollout: was 0% → now 25%|Rollout: 0%.*25%/);
    const killText = await textOf(history.locator('.entry[data-version="3"]'));
    expect(killText).toContain('Killed');
    expect(killText).toContain('card errors spiking at checkout');
    expect(killText).toMatch(/Enabled: .*yes.*no/);
    expect(killText).toMatch(/Rollout: .*25%.*0%/);

    // Revert to version 2: a new version with version 2's configuration.
    await history.getByRole('button', { name: 'Revert to version 2' }).click();
    await dialog.waitFor();
    expect(await textOf(dialog)).toMatch(/Enabled: .*no.*yes/);
    await dialog.getByLabel(/Reason/).fill('false alarm, the errors came from a test card');
    await dialog.getByRole('button', { name: 'Revert to v2' }).click();
    await waitForVersion(page, 4);
    await serving.locator('.serving-state', { hasText: 'Enabled, serving 25%' }).waitFor();
    const revertText = await textOf(history.locator('.entry[data-version="4"]'));
    expect(revertText).toContain('Reverted');
    expect(revertText).toContain('false alarm');

    // Someone changes the flag behind the page's back...
    const behind = await admin('PATCH', `/admin/flags/${flagId}`, { rollout_percentage: 40, reason: 'changed from another tab' }, { 'If-Match': '4' });
    expect(behind.status).toBe(200);
    expect(behind.body.flag.version).toBe(5);

    // ...so the page's edit (made at version 4) is refused with 412, and the page says so,
    // shows the current state, and overwrites nothing.
    await serving.getByLabel('Rollout percentage').fill('50');
    await serving.getByLabel('Reason').fill('halfway');
    await serving.getByRole('button', { name: 'Set rollout' }).click();
    const conflict = page.locator('[data-testid="conflict"]');
    await conflict.waitFor();
    const conflictText = await textOf(conflict);
    expect(conflictText).toContain('Someone else changed this flag');
    expect(conflictText).toContain('Set rollout to 50%');
    expect(conflictText).toContain('version 5');
    expect(await conflict.evaluate((el) => el.getAttribute('role'))).toBe('alert');
    await waitForVersion(page, 5);
    expect(await serving.getByLabel('Rollout percentage').inputValue()).toBe('40');
    const afterConflict = await admin('GET', `/admin/flags/${flagId}`);
    expect(afterConflict.body.flag.rollout_percentage).toBe(40);
    expect(afterConflict.body.flag.version).toBe(5);
    await history.locator('.entry[data-version="5"]', { hasText: 'changed from another tab' }).waitFor();

    // Having seen the new state, the user can apply the change on top of it.
    await serving.getByLabel('Rollout percentage').fill('50');
    await serving.getByRole('button', { name: 'Set rollout' }).click();
    await waitForVersion(page, 6);
    expect(await conflict.count()).toBe(0);

    // Every edit carried If-Match with the version the page showed; the kill deliberately did not.
    const rolloutWrites = writes.filter((w) => w.path.endsWith('/rollout'));
    expect(rolloutWrites.map((w) => w.ifMatch)).toEqual(['1', '4', '5']);
    expect(writes.find((w) => w.path.endsWith('/revert'))?.ifMatch).toBe('3');
    expect(writes.find((w) => w.path.endsWith('/kill'))?.ifMatch).toBeUndefined();

    // Health: reports from application Workers show up in the window.
    const report = await admin('POST', `/v1/flags/${flagId}/failures`, { failures: 3, successes: 57, error: 'TypeError: card is undefined' });
    expect(report.status).toBe(200);
    const health = page.locator('#sec-health');
    await health.getByRole('button', { name: 'Refresh' }).click();
    await health.locator('.stat', { hasText: 'Failures' }).locator('.stat-value', { hasText: /^3$/ }).waitFor();
    expect(await textOf(health.locator('.stat', { hasText: 'Error rate' }))).toContain('5%');
    expect(await health.locator('svg.chart rect.bar-failure').count()).toBeGreaterThan(0);

    // Rollout plan: set one from the "double every day" template, start it, pause, resume, abort.
    const plan = page.locator('#sec-plan');
    await plan.getByText('Set a plan').click();
    await plan.getByLabel('Schedule').selectOption('double_daily');
    await plan.getByLabel('Start percentage').fill('10');
    await plan.locator('.hint', { hasText: 'Stages: 10% → 20% → 40% → 80% → 100%' }).waitFor();
    await plan.getByRole('button', { name: 'Set plan' }).click();
    await waitForVersion(page, 7);
    await plan.locator('[data-plan-status="draft"]').waitFor();
    const runPlanCommand = async (label: string, version: number, status: string) => {
      await plan.getByRole('button', { name: label, exact: true }).click();
      await dialog.getByRole('button', { name: label, exact: true }).click();
      await waitForVersion(page, version);
      await plan.locator(`[data-plan-status="${status}"]`).waitFor();
    };
    await runPlanCommand('Start plan', 8, 'running');
    expect(await textOf(plan.locator('.plan-summary'))).toMatch(/stage 1 of 5 \(10%\).*next step/);
    await serving.locator('.serving-state', { hasText: '10%' }).waitFor();
    await runPlanCommand('Pause', 9, 'paused');
    expect(await textOf(plan)).toContain('Paused: paused by dev');
    await runPlanCommand('Resume', 10, 'running');
    await runPlanCommand('Advance now', 11, 'running');
    expect(await textOf(plan.locator('.plan-summary'))).toContain('stage 2 of 5 (20%)');
    await history.locator('.entry[data-version="11"]').waitFor();
    await health.locator('.stat', { hasText: 'Failures' }).locator('.stat-value', { hasText: /^3$/ }).waitFor();
    await screenshot(page, 'admin-flag.png', true);
    await runPlanCommand('Abort plan', 12, 'aborted');
    await history.locator('.entry[data-version="8"]', { hasText: 'Rollout plan started' }).waitFor();
    expect(await textOf(history.locator('.entry[data-version="8"]'))).toMatch(/Plan status: .*draft.*running/);
    expect(writes.filter((w) => w.path.includes('/plan')).map((w) => w.ifMatch)).toEqual(['6', '7', '8', '9', '10', '11']);


    // Archive: it leaves the list, and comes back under "Show archived".
    await page.getByRole('button', { name: 'Archive flag…' }).click();
    await dialog.getByRole('button', { name: 'Archive flag' }).click();
    await page.locator('table.flags-table tbody tr').first().waitFor();
    expect(await page.locator(`tr[data-flag="${flagId}"]`).count()).toBe(0);
    await page.getByLabel('Show archived').check();
    await page.locator(`tr[data-flag="${flagId}"]`, { hasText: 'archived' }).waitFor();

    // The stale-flags view answers (nothing here is 30 days old).
    await page.getByRole('link', { name: 'Stale flags' }).click();
    await page.getByRole('heading', { name: 'Stale flags' }).waitFor();
    await page.locator('.count', { hasText: 'at 30 days' }).waitFor();

    expect(errors).toEqual([]);
  });
});

describe('admin UI with a read-only token', () => {
  test('shows no write controls, and the API refuses writes anyway', async () => {
    const { page, errors } = await openPage(browser);
    await signIn(page, service.baseUrl, VIEWER_TOKEN, 'viewer');
    await page.locator('#readonly-badge', { hasText: 'read-only' }).waitFor();
    expect(await page.getByRole('link', { name: 'New flag' }).count()).toBe(0);

    const target = service.owned ? 'new-chatbot' : (await viewer('GET', '/admin/flags')).body.flags[0].id;
    const before = await viewer('GET', `/admin/flags/${target}`);
    expect(before.status).toBe(200);

    await page.goto(`${service.baseUrl}/admin#/flags/${target}`);
    await page.locator('h1 .flag-id', { hasText: target }).waitFor();
    await page.locator('#sec-history .entry').first().waitFor();
    expect(await page.locator('main form').count()).toBe(0);
    expect(await page.locator('main input, main textarea, main select').count()).toBe(0);
    const buttons = await page.locator('main button').allInnerTexts();
    for (const label of buttons) expect(['Refresh', 'Show older changes']).toContain(label.trim());
    expect(await textOf(page.locator('main'))).toContain('Read-only');

    // The create page refuses too, without a form.
    await page.goto(`${service.baseUrl}/admin#/new`);
    await page.getByText('Your token can read flags but not change them.').waitFor();
    expect(await page.locator('main form').count()).toBe(0);

    // Hiding controls is not the protection: the API answers 403 to every write.
    const version = String(before.body.flag.version);
    const attempts: [string, string, unknown, Record<string, string>?][] = [
      ['POST', '/admin/flags', { id: 'viewer-was-here' }],
      ['PATCH', `/admin/flags/${target}`, { rollout_percentage: 99 }, { 'If-Match': version }],
      ['POST', `/admin/flags/${target}/rollout`, { percentage: 99 }],
      ['POST', `/admin/flags/${target}/kill`, { reason: 'viewer' }],
      ['POST', `/admin/flags/${target}/revert`, { version: 1 }],
      ['DELETE', `/admin/flags/${target}`, undefined],
    ];
    for (const [method, path, body, headers] of attempts) {
      const answer = await viewer(method, path, body, headers);
      expect({ method, path, status: answer.status, code: answer.body?.error?.code }).toEqual({ method, path, status: 403, code: 'forbidden' });
    }
    const after = await viewer('GET', `/admin/flags/${target}`);
    expect(after.body.flag).toEqual(before.body.flag);
    expect(errors).toEqual([]);
  });
});

describe('admin UI layout and labels', () => {
  test('fits a phone width without sideways scrolling, and every control has a label', async () => {
    const { page, errors } = await openPage(browser, { width: 390, height: 844 });
    await signIn(page, service.baseUrl, ADMIN_TOKEN, 'dev');
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);

    const target = service.owned ? 'new-chatbot' : (await admin('GET', '/admin/flags')).body.flags[0].id;
    await page.goto(`${service.baseUrl}/admin#/flags/${target}`);
    await page.locator('#sec-history .entry').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);

    for (const hash of [`#/flags/${target}`, '#/new', '#/flags', '#/stale']) {
      await page.goto(`${service.baseUrl}/admin${hash}`);
      await page.locator('main h1').first().waitFor();
      const unlabelled = await unlabelledControls(page);
      expect({ hash, unlabelled }).toEqual({ hash, unlabelled: [] });
    }
    expect(errors).toEqual([]);
  });
});
