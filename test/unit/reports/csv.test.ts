import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { clockCsv, complianceCsv, maintenanceCsv, uptimeCsv } from '../../../hub-server/src/reports/csv.ts';
import {
  councilReport,
  HOSTILE_CAMERA_ID,
  HOSTILE_NAME,
  NORTH,
  PERIOD,
  RULES,
  SOUTH_IDS,
} from '../../fixtures/reports/council-fixture.ts';

const data = councilReport(NORTH);
const HOUR_MS = 3_600_000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HOURS_3DP = /^\d+\.\d{3}$/;

type Row = Record<string, string>;

/** Strict RFC 4180 read-back: CRLF records, no loose quotes, every row as wide as the header. */
function read(csv: Buffer): Row[] {
  return parse(csv, { bom: true, columns: true, record_delimiter: '\r\n', relax_quotes: false });
}

function expectWellFormed(csv: Buffer, records: number): void {
  const text = csv.toString('utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  expect(text.endsWith('\r\n')).toBe(true);
  // Records end in CRLF; the only bare LF is the one inside the hostile camera's quoted name.
  expect(text.split('\r\n')).toHaveLength(records + 2);
  for (const id of SOUTH_IDS) expect(text).not.toContain(id);
}

describe('uptimeCsv', () => {
  const csv = uptimeCsv(data);
  const rows = read(csv);
  const byId = new Map(rows.map((r) => [r.camera_id, r]));

  it('has one row per camera of the council and nothing of the other', () => {
    expectWellFormed(csv, data.cameras.length);
    expect([...byId.keys()].sort()).toEqual(data.cameras.map((c) => c.id).sort());
  });

  it('round-trips the hostile name with its formula neutralised', () => {
    expect(byId.get(HOSTILE_CAMERA_ID)?.camera_name).toBe(`'${HOSTILE_NAME}`);
  });

  it('writes ISO times, shares as decimals and hours to 3 decimals that add back up', () => {
    for (const camera of data.cameras) {
      const row = byId.get(camera.id)!;
      expect(row.council_id).toBe(NORTH.id);
      expect(row.period_from).toBe(PERIOD.from);
      expect(row.period_to).toMatch(ISO_UTC);
      expect(Number(row.availability)).toBeCloseTo(camera.uptime.availability!, 6);
      expect(Number(row.observed)).toBeCloseTo(camera.uptime.observed!, 6);
      for (const state of ['up', 'degraded', 'down', 'unknown', 'maintenance'] as const) {
        const cell = row[`${state}_hours`]!;
        expect(cell).toMatch(HOURS_3DP);
        expect(Math.abs(Number(cell) - camera.uptime.durationsMs[state] / HOUR_MS)).toBeLessThanOrEqual(
          0.0005,
        );
      }
      expect(row.purpose).toBe(camera.purpose ?? '');
    }
  });

  it('leaves availability empty for a camera never observed', () => {
    const [first] = data.cameras;
    const unseen = {
      ...data,
      cameras: [{ ...first!, uptime: { ...first!.uptime, availability: null, observed: null } }],
      maintenance: [],
    };
    const [row] = read(uptimeCsv(unseen));
    expect(row?.availability).toBe('');
    expect(row?.observed).toBe('');
  });
});

describe('complianceCsv', () => {
  const csv = complianceCsv(data);
  const rows = read(csv);

  it('has one row per camera per rule, and one for a camera with no code', () => {
    const withCode = data.cameras.filter((c) => c.compliance !== null);
    const expected = withCode.length * RULES.length + (data.cameras.length - withCode.length);
    expectWellFormed(csv, expected);
    expect(rows).toHaveLength(expected);
    const noCode = rows.filter((r) => r.camera_status === 'no_code_assigned');
    expect(noCode.map((r) => r.camera_id)).toEqual(
      data.cameras.filter((c) => c.compliance === null).map((c) => c.id),
    );
    expect(noCode[0]?.rule_id).toBe('');
  });

  it('matches every rule result, with code and version for reproduction', () => {
    for (const camera of data.cameras) {
      for (const result of camera.compliance?.results ?? []) {
        const row = rows.find((r) => r.camera_id === camera.id && r.rule_id === result.ruleId);
        expect(row).toMatchObject({
          code: 'public-space-baseline',
          code_version: '1',
          camera_status: camera.compliance!.status,
          rule_status: result.status,
          reason: result.reason,
          threshold: result.threshold,
          value: result.value ?? '',
        });
      }
    }
  });

  it('neutralises the hostile name in every row of that camera', () => {
    const hostile = rows.filter((r) => r.camera_id === HOSTILE_CAMERA_ID);
    expect(hostile.length).toBeGreaterThan(0);
    for (const r of hostile) expect(r.camera_name).toBe(`'${HOSTILE_NAME}`);
  });
});

describe('maintenanceCsv', () => {
  const csv = maintenanceCsv(data);
  const rows = read(csv);
  const byId = new Map(rows.map((r) => [r.window_id, r]));

  it('lists the council windows only, with the time each put into the period', () => {
    expectWellFormed(csv, 4);
    // In order of start: the site with no cameras left is the council's too.
    expect(rows.map((r) => r.window_id)).toEqual(['1', '2', '6', '3']);
    // Starts on 28 February: only 00:00-02:00 on 1 March counts.
    expect(byId.get('1')).toMatchObject({
      occurrences_in_period: '1',
      hours_in_period: '2.000',
      duration_hours: '4.000',
      starts_at: '2025-02-28T22:00:00.000Z',
      reason: 'ISP replaces the fibre, "planned"',
    });
    // Weekly on Tuesdays: 4, 11, 18 and 25 March, two hours each.
    expect(byId.get('2')).toMatchObject({
      recurrence: 'weekly',
      occurrences_in_period: '4',
      hours_in_period: '8.000',
      title: "'=cmd|calc",
    });
    // Ended early after an hour and a half.
    expect(byId.get('3')).toMatchObject({
      ended_at: '2025-03-20T11:30:00.000Z',
      hours_in_period: '1.500',
      until: '',
    });
    for (const r of rows) expect(r.created_at).toMatch(ISO_UTC);
  });
});

describe('clockCsv', () => {
  const csv = clockCsv(data);
  const rows = read(csv);

  it('has one row per camera with its readings, worst and limits in seconds, and the evaluation time', () => {
    expectWellFormed(csv, data.cameras.length);
    for (const camera of data.cameras) {
      const row = rows.find((r) => r.camera_id === camera.id)!;
      const k = camera.clock;
      expect(row.evaluated_at).toBe(data.generatedAt);
      expect(Number(row.readings)).toBe(k.readings);
      expect(row.worst_offset_s).toBe(k.worstMs === null ? '' : (k.worstMs / 1000).toFixed(3));
      expect(row.warn_limit_s).toBe('1.000');
      expect(Number(row.readings_over_fail)).toBe(k.overFail);
    }
  });

  it('gives the reading the clock rule judged, as the rule recorded it', () => {
    const camera = data.cameras.find((c) =>
      c.compliance?.results.some(
        (r) => r.kind === 'clock-offset' && r.evidence.values.offsetMs !== undefined,
      ),
    )!;
    const rule = camera.compliance!.results.find((r) => r.kind === 'clock-offset')!;
    const row = rows.find((r) => r.camera_id === camera.id)!;
    expect(Number(row.rule_reading_offset_s)).toBe((rule.evidence.values.offsetMs as number) / 1000);
    expect(row.rule_status).toBe(rule.status);
  });
});
