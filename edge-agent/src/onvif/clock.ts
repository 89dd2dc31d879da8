import type { ClockReading } from '../../../src/schemas/payloads.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
import { postSoap } from './soap-client.ts';
import { elementInner, elementText } from './xml.ts';

export interface CameraDateTime {
  /** Camera UTC at the start of the second it reported. */
  utcMs: number;
  dateTimeType: ClockReading['dateTimeType'];
  timeZone: string | null;
  daylightSavings: boolean | null;
}

function intField(xml: string, name: string): number | undefined {
  const text = elementText(xml, name);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Reads a GetSystemDateAndTimeResponse; throws if it carries no usable UTCDateTime. */
export function parseSystemDateAndTime(xml: string, context: ErrorContext): CameraDateTime {
  const utc = elementInner(xml, 'UTCDateTime');
  const date = utc === undefined ? undefined : elementInner(utc, 'Date');
  const time = utc === undefined ? undefined : elementInner(utc, 'Time');
  if (date === undefined || time === undefined) {
    throw new AgentError('onvif_error', 'GetSystemDateAndTime answer has no UTCDateTime', context);
  }
  const parts = [
    intField(date, 'Year'),
    intField(date, 'Month'),
    intField(date, 'Day'),
    intField(time, 'Hour'),
    intField(time, 'Minute'),
    intField(time, 'Second'),
  ];
  if (parts.some((p) => p === undefined)) {
    throw new AgentError('onvif_error', 'GetSystemDateAndTime UTCDateTime is incomplete', context);
  }
  const [year, month, day, hour, minute, second] = parts as number[];
  const utcMs = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const type = elementText(xml, 'DateTimeType');
  const dst = elementText(xml, 'DaylightSavings');
  const tzEl = elementInner(xml, 'TimeZone');
  const tz = tzEl === undefined ? undefined : elementText(tzEl, 'TZ');
  return {
    utcMs,
    dateTimeType: type === 'NTP' || type === 'Manual' ? type : null,
    timeZone: tz ? tz : null,
    daylightSavings: dst === 'true' ? true : dst === 'false' ? false : null,
  };
}

/**
 * offsetMs = cameraUtc - (t0 + rtt/2): the camera read its clock, on average, half-way through the round
 * trip. The camera reports whole seconds (truncated), so its true time lies in [utc, utc + 1 s); we take
 * the middle of that second, which bounds the error to +/-500 ms plus the round-trip asymmetry (at most
 * rtt/2). Offsets below ~0.5 s are therefore noise, and thresholds under 1 s are not meaningful.
 */
export function computeClockOffsetMs(cameraUtcMs: number, sentAtMs: number, roundTripMs: number): number {
  const cameraMidSecondMs = cameraUtcMs + 500;
  return Math.round(cameraMidSecondMs - (sentAtMs + roundTripMs / 2));
}

/** GetSystemDateAndTime is PRE_AUTH (ONVIF Core 5.9.4), so no credentials are sent. */
export async function readCameraClock(
  deviceUrl: string,
  timeoutMs: number,
  now: () => number,
  context: ErrorContext,
): Promise<ClockReading> {
  const ctx = { ...context, operation: 'GetSystemDateAndTime' };
  const response = await postSoap({
    url: deviceUrl,
    body: '<tds:GetSystemDateAndTime/>',
    namespaces: { tds: 'http://www.onvif.org/ver10/device/wsdl' },
    timeoutMs,
    now,
    context: ctx,
  });
  const parsed = parseSystemDateAndTime(response.xml, ctx);
  return {
    offsetMs: computeClockOffsetMs(parsed.utcMs, response.sentAtMs, response.roundTripMs),
    roundTripMs: response.roundTripMs,
    dateTimeType: parsed.dateTimeType,
    timeZone: parsed.timeZone,
    daylightSavings: parsed.daylightSavings,
  };
}
