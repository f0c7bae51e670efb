// End-to-end tests under Node against a real `wrangler dev` each file starts itself: the admin UI
// in Debian's Chromium (test/browser) and OFREP through the real OpenFeature client (test/e2e).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // One service per file; files run one after another so two wrangler dev instances never compete.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
