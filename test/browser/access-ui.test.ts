/**
 * The admin UI behind a simulated Cloudflare Access (issue 16), in Chromium against `wrangler dev`.
 * The test runs a loopback key server (the team's /cdn-cgi/access/certs), starts the coordinator
 * with ACCESS_TEAM_DOMAIN pointing at it, and sends each page's requests with the
 * `Cf-Access-Jwt-Assertion` header Access would add, holding a token the test signs. An editor's
 * edit to a protected flag shows as pending, and an admin approves it in #/change-requests.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, REPO_ROOT, apiClient, launchBrowser, openPage, startService, textOf, type Browser, type Service } from './harness';

const AUDIENCE = 'browser-test-audience-tag';
const ROLES = { admin: ['ada@acme.test'], editor: ['*@acme.test'], viewer: ['vic@partner.test'] };

let keys: Server;
let teamDomain: string;
let privateKey: CryptoKey;
let jwk: JWK;
let service: Service;
let browser: Browser;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'browser-key', alg: 'RS256', use: 'sig' };
  keys = createServer((request, response) => {
    if (request.url !== '/cdn-cgi/access/certs') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
  teamDomain = `http://127.0.0.1:${(keys.address() as AddressInfo).port}`;
  service = await startService({ vars: { ACCESS_TEAM_DOMAIN: teamDomain, ACCESS_AUD: AUDIENCE, ACCESS_ROLES: JSON.stringify(ROLES) } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await new Promise((resolve) => keys?.close(resolve));
});

async function accessToken(email: string): Promise<string> {
  return new SignJWT({ email, type: 'app' })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid! })
    .setIssuer(teamDomain)
    .setAudience([AUDIENCE])
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

/** A page whose every request carries the Access header, as behind Access's edge. */
async function pageAs(email: string | null): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser);
  if (email) await opened.page.setExtraHTTPHeaders({ 'Cf-Access-Jwt-Assertion': await accessToken(email) });
  await opened.page.goto(`${service.baseUrl}/admin`);
  return opened;
}

/** For a person to look at: test-results/browser/ (not compared). */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(REPO_ROOT, 'test-results', 'browser');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

async function signedInAs(page: Page, email: string, role: string): Promise<void> {
  await page.locator('#whoami', { hasText: email }).waitFor();
  await page.locator('#role-badge', { hasText: role }).waitFor();
  await page.locator('table.flags-table tbody tr').first().waitFor();
  expect(await page.getByLabel('API token').count()).toBe(0);
}

describe('admin UI behind Cloudflare Access', () => {
  test('an editor is signed in without a token prompt and can change a flag as themselves', async () => {
    const { page, errors } = await pageAs('eve@acme.test');
    await signedInAs(page, 'eve@acme.test', 'editor');
    expect(await page.locator('#readonly-badge').isHidden()).toBe(true);
    await page.getByRole('link', { name: 'New flag' }).first().waitFor();

    const admin = apiClient(service.baseUrl, ADMIN_TOKEN);
    const version = (await admin('GET', '/admin/flags/new-chatbot')).body.flag.version as number;
    await page.goto(`${service.baseUrl}/admin#/flags/new-chatbot`);
    await page.locator('h1 .flag-id', { hasText: 'new-chatbot' }).waitFor();
    const serving = page.locator('#sec-serving');
    await serving.getByLabel('Rollout percentage').fill('35');
    await serving.getByLabel('Reason').fill('access sign-in');
    await serving.getByRole('button', { name: 'Set rollout' }).click();
    await page.locator('.flag-head .meta', { hasText: `version ${version + 1} ` }).waitFor();

    const history = await admin('GET', '/admin/flags/new-chatbot/history?limit=1');
    expect(history.body.entries[0]).toMatchObject({ version: version + 1, actor: 'eve@acme.test', reason: 'access sign-in' });
    expect(errors).toEqual([]);
  });

  test('a viewer sees their role and no write controls', async () => {
    const { page, errors } = await pageAs('vic@partner.test');
    await signedInAs(page, 'vic@partner.test', 'viewer');
    await page.locator('#readonly-badge', { hasText: 'read-only' }).waitFor();
    expect(await page.getByRole('link', { name: 'New flag' }).count()).toBe(0);

    await page.goto(`${service.baseUrl}/admin#/flags/new-chatbot`);
    await page.locator('h1 .flag-id', { hasText: 'new-chatbot' }).waitFor();
    await page.locator('#sec-history .entry').first().waitFor();
    expect(await page.locator('main form').count()).toBe(0);
    expect(await page.locator('main input, main textarea, main select').count()).toBe(0);
    for (const label of await page.locator('main button').allInnerTexts()) expect(['Refresh', 'Show older changes']).toContain(label.trim());
    expect(await textOf(page.locator('main'))).toContain('Read-only: your role can view this flag');
    await screenshot(page, 'access-viewer.png');
    expect(errors).toEqual([]);
  });

  test("an editor's edit to a protected flag shows as pending, and another admin approves it", async () => {
    const admin = apiClient(service.baseUrl, ADMIN_TOKEN);
    expect((await admin('POST', '/admin/flags', { id: 'guarded-checkout', enabled: true, rollout_percentage: 10 })).status).toBe(201);
    expect((await admin('PUT', '/admin/flags/guarded-checkout/protection', { protected: true })).status).toBe(200);

    const editor = await pageAs('eve@acme.test');
    await signedInAs(editor.page, 'eve@acme.test', 'editor');
    await editor.page.goto(`${service.baseUrl}/admin#/flags/guarded-checkout`);
    await editor.page.locator('.protection-state', { hasText: 'Protected' }).waitFor();
    const serving = editor.page.locator('#sec-serving');
    await serving.getByLabel('Rollout percentage').fill('35');
    await serving.getByLabel('Reason').fill('needs sign-off');
    await serving.getByRole('button', { name: 'Set rollout' }).click();
    const pending = editor.page.locator('#sec-requests li.request[data-status="pending"]');
    await pending.waitFor();
    expect(await textOf(pending)).toContain('Set rollout to 35%');
    expect(await textOf(pending)).toContain('waiting for approval');
    expect(await textOf(editor.page.locator('.flag-head .meta'))).toContain('version 2 ');
    expect(await editor.page.getByRole('button', { name: /^Approve / }).count()).toBe(0);
    expect((await admin('GET', '/admin/flags/guarded-checkout')).body.flag).toMatchObject({ version: 2, rollout_percentage: 10 });
    await screenshot(editor.page, 'access-pending.png');
    expect(editor.errors).toEqual([]);

    const approver = await pageAs('ada@acme.test');
    await signedInAs(approver.page, 'ada@acme.test', 'admin');
    await approver.page.goto(`${service.baseUrl}/admin#/change-requests`);
    const row = approver.page.locator('tr[data-request="guarded-checkout~1"]');
    await row.waitFor();
    expect(await textOf(row)).toContain('eve@acme.test');
    await row.getByRole('button', { name: 'Approve guarded-checkout~1' }).click();
    await approver.page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await approver.page.locator('td.empty', { hasText: 'No change requests here.' }).waitFor();
    const history = await admin('GET', '/admin/flags/guarded-checkout/history?limit=1');
    expect(history.body.entries[0]).toMatchObject({
      version: 3,
      actor: 'eve@acme.test',
      reason: 'needs sign-off',
      details: { change_request: { id: 'guarded-checkout~1', approved_by: 'ada@acme.test' } },
    });
    expect(approver.errors).toEqual([]);
  });

  test('signing out goes through Access’s logout', async () => {
    const { page } = await pageAs('ada@acme.test');
    await signedInAs(page, 'ada@acme.test', 'admin');
    const logout = page.waitForRequest((request) => new URL(request.url()).pathname === '/cdn-cgi/access/logout');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await logout;
  });

  test('a person with no role is told so', async () => {
    const { page, errors } = await pageAs('mallory@elsewhere.test');
    await page.getByRole('heading', { name: 'No access to flags' }).waitFor();
    expect(await textOf(page.locator('main'))).toContain('mallory@elsewhere.test has no role on this deployment');
    expect(await page.getByRole('link', { name: 'Sign out of Cloudflare Access' }).getAttribute('href')).toBe('/cdn-cgi/access/logout');
    expect(errors).toEqual([]);
  });

  test('without an Access sign-in the page offers Access first, and an API token still works', async () => {
    const { page, errors } = await pageAs(null);
    await page.getByRole('heading', { name: 'Sign in with Cloudflare Access' }).waitFor();
    await screenshot(page, 'access-signin.png');
    await page.getByLabel('API token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#whoami', { hasText: 'dev' }).waitFor();
    expect(await page.locator('#role-badge').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });
});
