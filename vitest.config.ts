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

// Files whose assertions include a latency bound the issue asks for (/healthz p99 under attack or
// report load, event-loop slices of late merges). CI runs everything else for both service pairs
// side by side, then these alone, one file at a time: CCTV_TIMED_TESTS=later leaves them out,
// CCTV_TIMED_TESTS=only runs just them. Unset (npm test), everything runs.
const TIMED = [
  'test/integration/security/site-trust.test.ts',
  'test/integration/reports/parallel-reports.test.ts',
  'test/integration/uptime/late-merge-bound.test.ts',
];
const timed = process.env.CCTV_TIMED_TESTS;
if (timed !== undefined && timed !== 'later' && timed !== 'only')
  throw new Error(`CCTV_TIMED_TESTS=${timed}: use later or only`);

// CI runs each browser file once, on one of the two pairs that run side by side, not on both: the
// browser tests check the dashboard, and what it reads and sends (REST, the socket) is checked on
// both pairs by the integration suite. EMBEDDED_BROWSER_FILES run in the embedded pair's run (the
// first screens a new hub shows, on the database `npm start` uses); the rest in the
// PostgreSQL+Mosquitto run, which has less else to do. CCTV_BROWSER_SHARE=embedded or =services
// picks a share; unset (npm test), every browser file runs.
const EMBEDDED_BROWSER_FILES = ['test/e2e/dashboard.test.ts', 'test/e2e/monitor-impairment.test.ts'];
const share = process.env.CCTV_BROWSER_SHARE;
if (share !== undefined && share !== 'embedded' && share !== 'services')
  throw new Error(`CCTV_BROWSER_SHARE=${share}: use embedded or services`);
const browserFiles = !browserTests
  ? []
  : share === 'embedded'
    ? EMBEDDED_BROWSER_FILES
    : ['test/e2e/**/*.test.ts'];
const integrationFiles = timed === 'only' ? TIMED : ['test/integration/**/*.test.ts', ...browserFiles];

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
          include: integrationFiles,
          exclude: [
            ...(timed === 'later' ? TIMED : []),
            ...(share === 'services' ? EMBEDDED_BROWSER_FILES : []),
          ],
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
