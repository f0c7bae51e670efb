/**
 * The web example (examples/web) in Chromium: a page on its own origin reads `experimental-ui`
 * with @openfeature/web-sdk and @openfeature/ofrep-web-provider, a public client key and CORS,
 * against `wrangler dev`. It checks the first bulk evaluation, a 304 on an unchanged poll, and a
 * change made in the admin API showing on the page.
 *
 * With UPDATE_SCREENSHOTS=1 (scripts/screenshots.mjs) it also replaces docs/web-example.png.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer } from '../../examples/web/serve.mjs';
import { ADMIN_TOKEN, REPO_ROOT, apiClient, launchBrowser, openPage, startService, textOf, type Browser, type Service } from '../browser/harness';

const POLL_MS = 1000;
/** The change channel's bound: a change accepted reaches every OFREP answer within it. */
const CHANNEL_BOUND_MS = 2000;

let service: Service;
let example: { url: string; close: () => Promise<void> };
let browser: Browser;
let page: Page;
let errors: string[];
/** Every answer the page got to a bulk evaluation, in order. */
const bulkAnswers: { status: number; ifNoneMatch: string | null; etag: string | null; keys: string[] | null }[] = [];

/** The status OFREP answers the dev client key for `key`, as a page on the example's origin. */
async function clientKeyStatus(key: string): Promise<number> {
  const response = await fetch(`${service.baseUrl}/ofrep/v1/evaluate/flags/${key}`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-client-key', 'Content-Type': 'application/json', Origin: example.url },
    body: '{"context":{}}',
  });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  service = await startService();
  // 127.0.0.1 on another port: another origin than the coordinator's, allowed for dev-client-key.
  example = await startExampleServer({ port: 0, host: '127.0.0.1', coordinatorUrl: service.baseUrl, clientKey: 'dev-client-key', pollIntervalMs: POLL_MS });
  // The seed's flags reach the change feed and KV within a second of the first request: wait
  // until the client key is served the flag.
  const deadline = Date.now() + 30_000;
  while ((await clientKeyStatus('experimental-ui')) !== 200) {
    if (Date.now() > deadline) throw new Error('experimental-ui was never served to the client key');
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await launchBrowser({ width: 1200, height: 520 });
  ({ page, errors } = await openPage(browser));
  page.on('response', async (response: Response) => {
    if (!response.url().startsWith(`${service.baseUrl}/ofrep/v1/evaluate/flags`) || response.request().method() !== 'POST') return;
    const status = response.status();
    const body = status === 200 ? await response.json().catch(() => null) : null;
    bulkAnswers.push({ status, ifNoneMatch: response.request().headers()['if-none-match'] ?? null, etag: response.headers()['etag'] ?? null, keys: body?.flags?.map((f: { key: string }) => f.key) ?? null });
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await example?.close();
  await service?.stop();
});

async function screenshot(name: string): Promise<void> {
  const dir = join(REPO_ROOT, 'test-results', 'browser');
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') await copyFile(file, join(REPO_ROOT, 'docs', name));
}

describe('the web example in Chromium', () => {
  it('shows the killed demo flag from the first bulk evaluation, cross-origin', async () => {
    expect(new URL(example.url).origin).not.toBe(new URL(service.baseUrl).origin);
    await page.goto(example.url);
    await page.locator('#flag-value', { hasText: /^(on|off)$/ }).waitFor();
    expect(await textOf(page.locator('#flag-value'))).toBe('off');
    expect(await textOf(page.locator('#flag-reason'))).toBe('DISABLED');
    expect(await textOf(page.locator('#status'))).toContain('Polling');
    // The response listener reads the body after the page has it: wait for the record.
    await expect.poll(() => bulkAnswers.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const first = bulkAnswers[0]!;
    expect(first.status).toBe(200);
    expect(first.etag).toBeTruthy();
    // The client key sees the client-side demo flag only, not the three server-side ones.
    expect(first.keys).toEqual(['experimental-ui']);
  });

  it('polls with If-None-Match and gets 304 while nothing changed', async () => {
    await expect.poll(() => bulkAnswers.map((a) => a.status), { timeout: 20_000 }).toContain(304);
    const unchanged = bulkAnswers.find((a) => a.status === 304)!;
    expect(unchanged.ifNoneMatch).toBe(bulkAnswers[0]!.etag);
    expect(bulkAnswers.every((a) => a.status === 200 || a.status === 304)).toBe(true);
    expect(await textOf(page.locator('#flag-value'))).toBe('off');
  });

  it('shows a change made in the admin API within the poll interval plus the change channel\'s 2 s, with the KV cache at its 30 s', async () => {
    const admin = apiClient(service.baseUrl, ADMIN_TOKEN);
    const changed = await admin('PATCH', '/admin/flags/experimental-ui', { enabled: true, rollout_percentage: 100, reason: 'e2e: the web page turns it on' });
    expect(changed.status).toBe(200);
    const started = Date.now();
    // wrangler dev runs with wrangler.toml's FLAG_CACHE_TTL_SECONDS (30 s): KV cannot carry the
    // change in time, OFREP's change channel must.
    await page.locator('#flag-value', { hasText: 'on' }).waitFor({ timeout: 20_000 });
    const visibleAfter = Date.now() - started;
    console.log(`web example: change visible after ${visibleAfter} ms (poll ${POLL_MS} ms)`);
    expect(visibleAfter).toBeLessThanOrEqual(POLL_MS + CHANNEL_BOUND_MS);
    expect(await textOf(page.locator('#flag-reason'))).toBe('STATIC');
    expect(await textOf(page.locator('#flag-version'))).toBe(String(changed.body.flag.version));
    expect(await page.evaluate(() => document.body.classList.contains('experimental'))).toBe(true);
    expect(bulkAnswers.at(-1)!.status).toBe(200);
    expect(errors).toEqual([]);
    await screenshot('web-example.png');
  });
});
