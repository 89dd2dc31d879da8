import type { CommissioningRecord } from '../schemas/commissioning-api.ts';
import type { CommissioningPayload } from '../schemas/payloads.ts';
import { pixelDensityPxPerM, requiredPxPerM } from './pixel-density.ts';

const CLOCK_LIMIT_MS = 5000;

/** The judgement of a commissioning record (the hub's, and the installer's preview): pixel density at the design distance against the purpose. */
export function judgeCommissioning(payload: CommissioningPayload): CommissioningRecord['judgement'] {
  const { commissioning: c, measured: m } = payload;
  const required = requiredPxPerM('bs-en-62676-4-2015', c.purpose);
  const density = m.stream ? pixelDensityPxPerM(m.stream.width, c.hfovDeg, c.designDistanceM) : null;
  const met = density === null ? null : density >= required;
  const clock = m.clockOffsetMs === null ? null : Math.abs(m.clockOffsetMs) <= CLOCK_LIMIT_MS;
  const summary =
    density === null
      ? m.stream
        ? `no flat scene width for a ${c.hfovDeg} degree view: pixel density not judged`
        : 'no stream was measured: pixel density not judged'
      : `${Math.round(density * 10) / 10} px/m at ${c.designDistanceM} m; ${c.purpose} needs ${required} px/m: ${met ? 'met' : 'NOT met'}`;
  return {
    pixelDensityPxPerM: density === null ? null : Math.round(density * 10) / 10,
    requiredPxPerM: required,
    metPurpose: met,
    clockWithin5s: clock,
    summary: clock === false ? `${summary}; clock off by more than 5 s` : summary,
  };
}
