import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';

// Every date a REST query (or the scheme-records body) takes is range-checked: far-past and
// far-future years, a month 13, 30 February and a reversed window are all 400 with the field named,
// never a 500 or a silently empty answer.

type Case = [label: string, path: string, field: RegExp];

const council = uniqueId('dates');
const camera = `${council}-1`;

const monthRoutes = (month: string, field = /querystring\/month/): Case[] => [
  [`report uptime.csv month=${month}`, `/api/reports/councils/${council}/uptime.csv?month=${month}`, field],
  [
    `report evidence.pdf month=${month}`,
    `/api/reports/councils/${council}/evidence.pdf?month=${month}`,
    field,
  ],
  [`uptime month=${month}`, `/api/uptime?scope=fleet&window=month&month=${month}`, field],
  [`summary month=${month}`, `/api/summary?scope=fleet&window=month&month=${month}`, field],
];

const timeRoutes = (from: string, to: string, field: RegExp): Case[] => [
  [`uptime custom ${from}..${to}`, `/api/uptime?scope=fleet&window=custom&from=${from}&to=${to}`, field],
  // A from/to given with another window kind is checked too, not silently ignored.
  [`uptime 24h ${from}..${to}`, `/api/uptime?scope=fleet&window=24h&from=${from}&to=${to}`, field],
  [`summary custom ${from}..${to}`, `/api/summary?scope=fleet&window=custom&from=${from}&to=${to}`, field],
  [`audit ${from}..${to}`, `/api/audit?from=${from}&to=${to}`, field],
  [`audit export ${from}..${to}`, `/api/audit/export.csv?from=${from}&to=${to}`, field],
];

const dayRoutes = (from: string, to: string, field: RegExp): Case[] => [
  [
    `compliance history ${from}..${to}`,
    `/api/compliance/cameras/${camera}/history?from=${from}&to=${to}`,
    field,
  ],
];

const FROM = /querystring\/from/;
const TO = /querystring\/to/;
const GOOD_TIME = '2025-03-01T00:00:00Z';
const GOOD_DAY = '2025-03-01';

const CASES: Case[] = [
  ...monthRoutes('0001-01'),
  ...monthRoutes('9999-12'),
  ...monthRoutes('2025-13'),
  ...monthRoutes('2025-00'),
  // A month that has not begun has no figures to report.
  ...monthRoutes('2099-01', /querystring\/month 2099-01 has not begun/),
  ...timeRoutes('0001-01-01T00:00:00Z', GOOD_TIME, FROM),
  ...timeRoutes(GOOD_TIME, '9999-12-31T00:00:00Z', TO),
  ...timeRoutes('2025-13-01T00:00:00Z', GOOD_TIME, FROM),
  ...timeRoutes(GOOD_TIME, '2025-02-30T00:00:00Z', TO),
  ...timeRoutes('2025-03-02T00:00:00Z', GOOD_TIME, /querystring\/from .* must be before querystring\/to/),
  ...dayRoutes('0001-01-01', GOOD_DAY, FROM),
  ...dayRoutes(GOOD_DAY, '9999-12-31', TO),
  ...dayRoutes('2025-13-01', GOOD_DAY, FROM),
  ...dayRoutes(GOOD_DAY, '2025-02-30', TO),
  ...dayRoutes('2025-03-10', GOOD_DAY, /querystring\/from .* must not be after querystring\/to/),
  ...dayRoutes('2024-01-01', '2025-03-01', /at most 400 days/),
];

describe('date ranges on every date-taking route', () => {
  let h: HubHarness;
  let token: string;

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('date-op', 'operator');
    await h.registerSite(`${council}-site`, council, { cameraIds: [camera] });
    token = await h.login('date-op');
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it.each(CASES)('%s: 400 naming the field', async (_label, path, field) => {
    const response = await fetch(`${h.hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { statusCode: number; code: string; message: string };
    expect({ status: response.status, message: body.message }).toMatchObject({
      status: 400,
      message: expect.stringMatching(field),
    });
  });

  it.each([
    ['0001-01-01T00:00:00Z', /body\/lastReviewAt/],
    ['9999-12-31T00:00:00Z', /body\/lastReviewAt/],
    ['2025-13-01T00:00:00Z', /body\/lastReviewAt/],
    ['2025-02-30T00:00:00Z', /body\/lastReviewAt/],
  ])('scheme records lastReviewAt=%s: 400 naming the field', async (lastReviewAt, field) => {
    const response = await fetch(`${h.hub.url}/api/compliance/records/${council}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lastReviewAt, dpiaAt: null, certificateIssuedAt: null }),
    });
    const body = (await response.json()) as { message: string };
    expect({ status: response.status, message: body.message }).toMatchObject({
      status: 400,
      message: expect.stringMatching(field),
    });
  });

  it('still answers good dates (the checks refuse only what is wrong)', async () => {
    const get = (path: string) =>
      fetch(`${h.hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await get(`/api/reports/councils/${council}/uptime.csv?month=2025-03`)).toBe(200);
    expect(await get('/api/uptime?scope=fleet&window=month&month=2025-02')).toBe(200);
    expect(await get(`/api/uptime?scope=fleet&window=custom&from=${GOOD_TIME}&to=2025-03-02T00:00:00Z`)).toBe(
      200,
    );
    // The camera has not reported yet, so history is a 404: past the date checks, which come first.
    expect(await get(`/api/compliance/cameras/${camera}/history?from=2024-02-29&to=2024-03-01`)).toBe(404);
    expect(await get(`/api/compliance/cameras/${camera}/history?from=${GOOD_DAY}&to=${GOOD_DAY}`)).toBe(404);
    expect(await get(`/api/audit?from=${GOOD_TIME}&to=2025-03-02T00:00:00Z`)).toBe(200);
  });
});
