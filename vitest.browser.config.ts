// The admin UI browser test: plain Node (no workerd), Debian's Chromium through playwright-core,
// against a `wrangler dev` the test starts itself. Run with `npm run test:browser`
// (`vitest run -c vitest.browser.config.ts`).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // One service and one browser per file; files run one after another.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
