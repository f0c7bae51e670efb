/**
 * Harness for the admin UI browser test (runs under Node, not workerd): starts the coordinator with
 * `wrangler dev` on a free port with fresh local state, launches Debian's Chromium through
 * playwright-core with a fresh profile, and offers a small admin API client for changes made
 * "behind the page's back".
 *
 * Set FLAG_COORDINATOR_URL to test an already running service instead of starting one, and
 * CHROMIUM_PATH to use another browser binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const ADMIN_TOKEN = 'dev-token';
export const VIEWER_TOKEN = 'viewer-token';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Service {
  baseUrl: string;
  /** Whether this harness started the service (and so owns its state). */
  owned: boolean;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev` (or uses FLAG_COORDINATOR_URL) and waits until the admin API answers.
 * `vars` are added to dev.vars for this service only (not with FLAG_COORDINATOR_URL).
 */
export async function startService({ vars }: { vars?: Record<string, string> } = {}): Promise<Service> {
  const external = process.env.FLAG_COORDINATOR_URL;
  if (external) {
    if (vars) throw new Error('FLAG_COORDINATOR_URL is set, but this test needs its own variables');
    const baseUrl = external.replace(/\/+$/, '');
    await waitForService(baseUrl, () => '', null);
    return { baseUrl, owned: false, output: () => '', stop: async () => undefined };
  }

  const port = await freePort();
  const inspectorPort = await freePort();
  const stateDir = await mkdtemp(join(tmpdir(), 'flag-coordinator-state-'));
  let envFile = 'dev.vars';
  if (vars) {
    envFile = join(stateDir, 'test.vars');
    const extra = Object.entries(vars).map(([key, value]) => `${key}='${value}'`);
    await writeFile(envFile, [await readFile(join(REPO_ROOT, 'dev.vars'), 'utf8'), ...extra, ''].join('\n'));
  }
  const args = [
    'wrangler', 'dev',
    '--port', String(port),
    '--ip', '127.0.0.1',
    '--inspector-port', String(inspectorPort),
    '--env-file', envFile,
    '--persist-to', stateDir,
  ];
  const child = spawn('npx', args, {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() ends wrangler and workerd together and nothing else.
    detached: true,
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcessGroup(child);
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    await waitForService(baseUrl, () => log, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, owned: true, output: () => log, stop };
}

async function waitForService(baseUrl: string, output: () => string, child: ChildProcess | null): Promise<void> {
  const deadline = Date.now() + 150_000;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`wrangler dev exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      // Any answer from the admin API means the Worker is up; the first request also seeds the demo flags.
      const response = await fetch(`${baseUrl}/admin/flags`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (response.ok) return;
      lastError = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
      if (response.status === 401 || response.status === 403) {
        throw new Error(`the service refuses ${ADMIN_TOKEN}: does dev.vars configure it? (${lastError})`);
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('the service refuses')) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the service at ${baseUrl} did not become ready (${lastError}):\n${output()}`);
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 10_000))]);
  if (timedOut) {
    signalGroup('SIGKILL');
    await exited;
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh, throw-away profile: no cookies or storage from earlier runs. */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'flag-coordinator-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** The admin API from Node, for setting up state and for changes the page does not know about. */
export function apiClient(baseUrl: string, token: string) {
  return async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  };
}

/**
 * A fresh tab that collects uncaught page errors and Content-Security-Policy violations: the UI
 * must work under its own policy (src/ui/public/_headers).
 */
export async function openPage(browser: Browser, viewport?: { width: number; height: number }, timeout = 15_000): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(message.text());
  });
  page.setDefaultTimeout(timeout);
  return { page, errors };
}

/** Signs in on the admin UI's sign-in screen and waits for the flag list. */
export async function signIn(page: Page, baseUrl: string, token: string, expectedName: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#whoami', { hasText: expectedName }).waitFor();
  await page.locator('table.flags-table tbody tr').first().waitFor();
}

/** An element's visible text with whitespace collapsed. */
export async function textOf(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** The visible form controls with no accessible name, as the start of their HTML. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !(el as HTMLElement).closest('[hidden]'))
      .filter((el) => {
        const labels = (el as HTMLInputElement).labels;
        const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent?.trim());
        return !named && !(labels && labels.length > 0);
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}
