import { defineConfig } from '@playwright/test';

// `npm run test:unit`: the checks that need no server, database or build (tests/unit), in seconds.
// `npm test` (playwright.config.ts) runs them too, with everything else.
export default defineConfig({
  testDir: 'tests/unit',
  fullyParallel: true,
  workers: 2,
  timeout: 30_000,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['./tests/support/summary-reporter.ts']],
});
