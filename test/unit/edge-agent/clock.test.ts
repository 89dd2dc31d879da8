import { describe, expect, it } from 'vitest';
import { computeClockOffsetMs, parseSystemDateAndTime } from '../../../edge-agent/src/onvif/clock.ts';

const ctx = { cameraId: 'cam-1' };

// Shape as a Hikvision-style camera answers (tt: inside tds:), and a variant with `tds:` where `tt:` belongs.
const standard = `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">
<env:Body><tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>
<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>true</tt:DaylightSavings>
<tt:TimeZone><tt:TZ>GMT0BST,M3.5.0/1,M10.5.0</tt:TZ></tt:TimeZone>
<tt:UTCDateTime><tt:Time><tt:Hour>13</tt:Hour><tt:Minute>4</tt:Minute><tt:Second>59</tt:Second></tt:Time>
<tt:Date><tt:Year>2025</tt:Year><tt:Month>6</tt:Month><tt:Day>30</tt:Day></tt:Date></tt:UTCDateTime>
<tt:LocalDateTime><tt:Time><tt:Hour>14</tt:Hour><tt:Minute>4</tt:Minute><tt:Second>59</tt:Second></tt:Time>
<tt:Date><tt:Year>2025</tt:Year><tt:Month>6</tt:Month><tt:Day>30</tt:Day></tt:Date></tt:LocalDateTime>
</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></env:Body></env:Envelope>`;

const quirky = standard
  .replaceAll('tt:', 'tds:')
  .replace('<tds:DateTimeType>NTP', '<tds:DateTimeType>Manual');

describe('parseSystemDateAndTime', () => {
  it('reads UTC, time zone, DST and source', () => {
    const parsed = parseSystemDateAndTime(standard, ctx);
    expect(new Date(parsed.utcMs).toISOString()).toBe('2025-06-30T13:04:59.000Z');
    expect(parsed).toMatchObject({
      dateTimeType: 'NTP',
      timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
      daylightSavings: true,
    });
  });

  it('copes with tds: prefixes where tt: is expected', () => {
    const parsed = parseSystemDateAndTime(quirky, ctx);
    expect(new Date(parsed.utcMs).toISOString()).toBe('2025-06-30T13:04:59.000Z');
    expect(parsed.dateTimeType).toBe('Manual');
  });

  it('gives nulls for missing optional parts', () => {
    const bare = standard
      .replace(/<tt:TimeZone>.*?<\/tt:TimeZone>/s, '')
      .replace(/<tt:DaylightSavings>.*?<\/tt:DaylightSavings>/, '');
    expect(parseSystemDateAndTime(bare, ctx)).toMatchObject({ timeZone: null, daylightSavings: null });
  });

  it('rejects an answer without UTCDateTime, with a code', () => {
    const noUtc = standard.replace(/<tt:UTCDateTime>.*?<\/tt:UTCDateTime>/s, '');
    expect(() => parseSystemDateAndTime(noUtc, ctx)).toThrow(
      expect.objectContaining({ code: 'onvif_error' }),
    );
  });
});

describe('computeClockOffsetMs', () => {
  const t0 = Date.UTC(2025, 5, 30, 13, 5, 0);

  it.each([
    // camera second, sent at, rtt, expected offset: camera mid-second minus our mid-round-trip
    { name: 'in sync, instant answer', cameraUtc: t0, sentAt: t0 + 500, rtt: 0, offset: 0 },
    { name: 'in sync, 200 ms round trip', cameraUtc: t0, sentAt: t0 + 400, rtt: 200, offset: 0 },
    { name: 'camera 10 s ahead', cameraUtc: t0 + 10_000, sentAt: t0 + 500, rtt: 0, offset: 10_000 },
    {
      name: 'camera 7 s behind, slow link',
      cameraUtc: t0 - 7_000,
      sentAt: t0 - 100,
      rtt: 1_200,
      offset: -7_000,
    },
  ])('$name', ({ cameraUtc, sentAt, rtt, offset }) => {
    expect(computeClockOffsetMs(cameraUtc, sentAt, rtt)).toBe(offset);
  });

  it('whole-second resolution bounds a synced camera within +/-500 ms plus rtt/2', () => {
    for (let frac = 0; frac < 1000; frac += 50) {
      const trueNow = t0 + frac;
      const reported = Math.floor(trueNow / 1000) * 1000;
      const offset = computeClockOffsetMs(reported, trueNow, 0);
      expect(Math.abs(offset)).toBeLessThanOrEqual(500);
    }
  });
});
