import type { DecodedMessage } from '../../../src/messages.ts';
import { checkStreamAddress } from '../../../src/registry/camera-networks.ts';
import { checkObservedAt } from '../../../src/registry/time-window.ts';
import type { RecordingPayload } from '../../../src/schemas/payloads.ts';
import type { RegisteredSite } from '../registry/registry-repository.ts';

/**
 * What a site may assert, checked before anything is stored: it must be registered at this hub; its
 * inventory must name the council and hub the registry holds and stay within its camera quota; its
 * observations must fall inside the time window; its stream addresses inside its camera networks.
 * Pure: the registry and clocks come in, a refusal (or null) comes out.
 */
export interface AdmissionContext {
  site: RegisteredSite | undefined;
  receivedAtMs: number;
  retained: boolean;
  replayHorizonMs: number;
  futureToleranceMs: number;
  maxCamerasPerSite: number;
}

export interface Refusal {
  code: string;
  path: string;
  message: string;
  /** Facts an auditor needs (the claimed council, the refused host), short and from the registry's side. */
  detail?: Record<string, string | number>;
}

/** Codes that mean a site asserted something the registry does not allow: alerted and audited. */
export const TRUST_CODES = new Set([
  'SITE_NOT_REGISTERED',
  'INVENTORY_COUNCIL_MISMATCH',
  'INVENTORY_HUB_MISMATCH',
  'QUOTA_CAMERAS',
  'QUOTA_RATE',
  'STREAM_ADDRESS_NOT_REGISTERED',
  'STREAM_SCHEME',
  'STREAM_URL_CREDENTIALS',
  'STREAM_URL_INVALID',
  'OBSERVED_IN_FUTURE',
  'OBSERVED_TOO_OLD',
  'OBSERVED_BEFORE_REGISTRATION',
  // A mobile source's telemetry (src/sources/telemetry.ts).
  'SOURCE_NOT_REGISTERED',
  'SOURCE_NOT_OF_SITE',
  'BAD_SIGNATURE',
  'POSITION_OUT_OF_AREA',
  'IMPOSSIBLE_SPEED',
]);

/** The field a refusal names, for each time a message carries (no string is built per message). */
const TIME_FIELDS: Record<string, string> = {
  '/observedAt': 'observedAt',
  '/payload/at': 'at',
  '/payload/from': 'from',
  '/payload/to': 'to',
};

function timeWindowRefusal(
  ctx: AdmissionContext,
  atMs: number,
  notBeforeMs: number,
  path: string,
): Refusal | null {
  const refused = checkObservedAt(
    atMs,
    {
      receivedAtMs: ctx.receivedAtMs,
      notBeforeMs,
      replayHorizonMs: ctx.replayHorizonMs,
      futureToleranceMs: ctx.futureToleranceMs,
    },
    TIME_FIELDS[path] ?? path,
  );
  return refused ? { ...refused, path } : null;
}

export function admit(message: DecodedMessage, ctx: AdmissionContext): Refusal | null {
  const { site } = ctx;
  if (!site)
    return {
      code: 'SITE_NOT_REGISTERED',
      path: '/siteId',
      message: `site ${message.siteId} is not registered at this hub: an operator registers it first`,
    };
  const observedAtMs = Date.parse(message.envelope.observedAt);
  // Nothing a site observed before it was registered belongs to this hub. A camera's samples may
  // predate its first inventory (an agent polls, and buffers in its outbox, before it reaches the
  // broker): they are history of a registered site, and a camera counts in evidence only from its
  // approval anyway. So a camera's window starts where its site's does.
  const cameraWindowStart = site.registeredAtMs;

  switch (message.kind) {
    case 'inventory':
    case 'siteState': {
      // Statements of the site's current state, retained by the broker and redelivered whenever the
      // hub subscribes: only a time ahead of the hub's clock is refused; an old one is clamped to
      // the registration when applied.
      const future = checkObservedAt(observedAtMs, {
        receivedAtMs: ctx.receivedAtMs,
        notBeforeMs: Number.NEGATIVE_INFINITY,
        replayHorizonMs: Number.POSITIVE_INFINITY,
        futureToleranceMs: ctx.futureToleranceMs,
      });
      if (future) return { ...future, path: '/observedAt' };
      if (message.kind === 'siteState') return null;
      const inv = message.envelope.payload;
      if (inv.councilId !== site.councilId)
        return {
          code: 'INVENTORY_COUNCIL_MISMATCH',
          path: '/payload/councilId',
          message: `the inventory names council ${inv.councilId}; site ${site.id} is registered to ${site.councilId}`,
          detail: { claimedCouncilId: inv.councilId, registeredCouncilId: site.councilId },
        };
      if (inv.hubId !== site.hubId)
        return {
          code: 'INVENTORY_HUB_MISMATCH',
          path: '/payload/hubId',
          message: `the inventory names hub ${inv.hubId}; site ${site.id} is registered to ${site.hubId}`,
          detail: { claimedHubId: inv.hubId, registeredHubId: site.hubId },
        };
      const max = site.maxCameras ?? ctx.maxCamerasPerSite;
      if (inv.cameras.length > max)
        return {
          code: 'QUOTA_CAMERAS',
          path: '/payload/cameras',
          message: `the inventory lists ${inv.cameras.length} cameras; site ${site.id} may have at most ${max}`,
          detail: { cameras: inv.cameras.length, max },
        };
      return null;
    }
    case 'health':
    case 'event':
    case 'commissioning':
      return timeWindowRefusal(ctx, observedAtMs, cameraWindowStart, '/observedAt');
    case 'stream': {
      const payload = message.envelope.payload;
      const time = timeWindowRefusal(ctx, observedAtMs, cameraWindowStart, '/observedAt');
      if (time) return time;
      const address = checkStreamAddress(payload.uri, site.cameraNetworks);
      if (address.ok) return null;
      return {
        code: address.code,
        path: '/payload/uri',
        message: address.message,
        detail: { cameraId: payload.cameraId, host: hostOf(payload.uri) },
      };
    }
    case 'recording': {
      const payload = message.envelope.payload;
      const time = timeWindowRefusal(ctx, observedAtMs, cameraWindowStart, '/observedAt');
      if (time) return time;
      return retentionRefusal(payload, observedAtMs, ctx.futureToleranceMs);
    }
    case 'telemetry':
      // The fix's own time (which its signature covers) and the relay's observation time, both in
      // the window; which source, its signature and how far it moved are checked with the registry
      // and its last fix (checkTelemetry) as the batch is applied.
      return (
        timeWindowRefusal(ctx, observedAtMs, site.registeredAtMs, '/observedAt') ??
        timeWindowRefusal(ctx, Date.parse(message.envelope.payload.at), site.registeredAtMs, '/payload/at')
      );
    case 'gap': {
      const payload = message.envelope.payload;
      const start = cameraWindowStart;
      const fromMs = Date.parse(payload.from);
      const toMs = Date.parse(payload.to);
      if (toMs < fromMs)
        return { code: 'BAD_RANGE', path: '/payload/to', message: 'the gap ends before it starts' };
      return (
        timeWindowRefusal(ctx, observedAtMs, start, '/observedAt') ??
        timeWindowRefusal(ctx, fromMs, start, '/payload/from') ??
        timeWindowRefusal(ctx, toMs, start, '/payload/to')
      );
    }
  }
}

const DAY_MS = 86_400_000;

/**
 * A retention reading must agree with itself: the days claimed are the whole days from the oldest video
 * to the reading, and the newest video is not after the reading. The hub stores the figure as evidence,
 * so a site cannot claim 31 days with an earliest recording of yesterday.
 */
function retentionRefusal(
  payload: RecordingPayload,
  observedAtMs: number,
  futureToleranceMs: number,
): Refusal | null {
  const earliestMs = Date.parse(payload.earliestAt);
  const latestMs = payload.latestAt === null ? null : Date.parse(payload.latestAt);
  const days = Math.max(0, Math.floor((observedAtMs - earliestMs) / DAY_MS));
  if (days !== payload.daysRetained)
    return {
      code: 'RETENTION_INCONSISTENT',
      path: '/payload/daysRetained',
      message: `${payload.daysRetained} days claimed, but the oldest recording (${payload.earliestAt}) is ${days} whole days before the reading`,
      detail: { cameraId: payload.cameraId, claimed: payload.daysRetained, computed: days },
    };
  if (latestMs !== null && (latestMs < earliestMs || latestMs > observedAtMs + futureToleranceMs))
    return {
      code: 'RETENTION_INCONSISTENT',
      path: '/payload/latestAt',
      message: 'the newest recording is before the oldest one or after the reading',
    };
  return null;
}

/** The host of a reported address, for the audit entry: never the path or query, which may hold tokens. */
function hostOf(uri: string): string {
  try {
    return new URL(uri).host.slice(0, 100) || '(none)';
  } catch {
    return '(not a URL)';
  }
}
