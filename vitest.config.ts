import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ENVIRONMENT: 'production',
          ADMIN_TOKENS: JSON.stringify([
            { name: 'admin', token: 'test-admin-token', scopes: ['flags:read', 'flags:write', 'reports:write', 'evaluate'] },
            { name: 'viewer', token: 'test-read-token', scopes: ['flags:read'] },
            { name: 'reporter', token: 'test-report-token', scopes: ['reports:write', 'evaluate'] },
          ]),
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
  },
});
