import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Browser tests need Debian's Chromium. CI installs it and must run them; on a developer machine
// with only Node and npm they are left out with a loud notice rather than failing the whole run.
const CHROMIUM = '/usr/bin/chromium';
const browserTests = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!browserTests) {
  process.stderr.write(
    `\n*** Browser tests (test/e2e) NOT RUN: ${CHROMIUM} is missing. Install it with: apt-get install -y chromium ***\n\n`,
  );
}

// Unit tests are pure and need no services; integration and e2e tests talk to real brokers,
// databases, ONVIF/RTSP simulators and a real browser, so they run one file at a time on 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', ...(browserTests ? ['test/e2e/**/*.test.ts'] : [])],
          environment: 'node',
          fileParallelism: false,
          // With a shared external broker, each file starts without other files' retained sites.
          setupFiles: ['test/support/clear-retained.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
