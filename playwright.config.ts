import { defineConfig } from '@playwright/test';

// API tests only: Playwright Test's `request` fixture against `next start`. No browser is used or
// downloaded. Unit tests (tests/unit) run in the same runner.
export default defineConfig({
  testDir: 'tests',
  globalSetup: './tests/support/global-setup.ts',
  fullyParallel: true,
  workers: 2,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['./tests/support/summary-reporter.ts']],
});
