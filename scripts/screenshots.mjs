#!/usr/bin/env node
// Refreshes docs/admin-list.png, docs/admin-flag.png and docs/web-example.png: runs the admin UI
// browser test and the web example's test, which drive the real service in Chromium, with
// UPDATE_SCREENSHOTS=1 so they copy their screenshots into docs/. Usage: node scripts/screenshots.mjs
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const result = spawnSync('npx', ['vitest', 'run', '-c', 'vitest.e2e.config.ts', 'test/browser/admin-ui.test.ts', 'test/e2e/web-provider.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, UPDATE_SCREENSHOTS: '1' },
});
process.exit(result.status ?? 1);
