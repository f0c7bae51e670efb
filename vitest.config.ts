import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      // The coordinator Worker with its objects built on a settable clock (test/support/objects.ts).
      main: './test/support/worker.ts',
      miniflare: {
        bindings: {
          ENVIRONMENT: 'production',
          // Read the KV bundle on every OFREP request, so tests see a publish without waiting out a cache.
          FLAG_CACHE_TTL_SECONDS: '0',
          // No per-data-centre cache of `changes` answers, so a change is visible to the next ask
          // (test/integration/change-feed.test.ts tests the cache on its own).
          CHANNEL_CACHE_MS: '0',
          // `npm run dev` copies dev.vars to .dev.vars; tests must not seed its demo flags.
          SEED_DEMO_FLAGS: 'false',
          // Notification receivers: tests intercept these with a spy on fetch; `.invalid` never resolves.
          SLACK_WEBHOOK_URL: 'https://hooks.slack.invalid/services/T000/B000/XXXX',
          WEBHOOK_URL: 'https://hooks.example.invalid/flag-events',
          WEBHOOK_SECRET: 'test-webhook-secret',
          ADMIN_TOKENS: JSON.stringify([
            { name: 'admin', token: 'test-admin-token', scopes: ['flags:read', 'flags:write', 'flags:approve', 'reports:write', 'evaluate'] },
            { name: 'viewer', token: 'test-read-token', scopes: ['flags:read'] },
            { name: 'reporter', token: 'test-report-token', scopes: ['reports:write', 'evaluate'] },
          ]),
          // Public client keys (test/integration/client-keys.test.ts).
          CLIENT_KEYS: JSON.stringify([
            { name: 'web', key: 'test-client-key', origins: ['https://app.example.com', 'http://localhost:*', 'https://*.preview.example.com'] },
            { name: 'other', key: 'test-other-client-key', origins: ['https://other.example.com'] },
            { name: 'limited', key: 'test-limited-client-key', origins: ['https://limited.example.com'], rate_limit_per_minute: 3 },
          ]),
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/e2e/**'],
    setupFiles: ['./test/setup.ts'],
    // Generous: the suite shares two cores with workerd; nothing here asserts on time.
    testTimeout: 30_000,
  },
});
