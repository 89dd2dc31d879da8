import type { Static, TSchema } from '@sinclair/typebox';
import {
  CameraEventPayload,
  CommissioningPayload,
  GapPayload,
  HealthPayload,
  InventoryPayload,
  RecordingPayload,
  SiteStatePayload,
  StreamPayload,
} from './schemas/payloads.ts';
import { TelemetryPayload } from './schemas/sources.ts';

export const TOPIC_ROOT = 'cctv/v1';

/**
 * Links between hubs: a hub publishes its share for a peer under out/<peer>/ on its own broker; a
 * Mosquitto bridge delivers it under in/<sender>/ on the peer's broker, where only that sender's
 * bridge may write.
 */
export const FEDERATION_ROOT = 'cctv/federation';
export const federationOutTopic = (peer: string, kind: 'changes' | 'heartbeat') =>
  `${FEDERATION_ROOT}/out/${peer}/${kind}`;
export const federationInFilter = () => `${FEDERATION_ROOT}/in/+/+`;
const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

interface TopicDef<S extends TSchema> {
  /** Path below `cctv/v1/site/{siteId}/`; `{cameraId}` marks a per-camera topic, `{sourceId}` a mobile source's. */
  pattern: readonly string[];
  schema: S;
  retain: boolean;
}

/** The one map from topic kind to payload schema. Retain state, never events or observations. */
export const TOPICS = {
  siteState: { pattern: ['state'], schema: SiteStatePayload, retain: true },
  inventory: { pattern: ['inventory'], schema: InventoryPayload, retain: true },
  health: { pattern: ['camera', '{cameraId}', 'health'], schema: HealthPayload, retain: false },
  stream: { pattern: ['camera', '{cameraId}', 'stream'], schema: StreamPayload, retain: false },
  event: { pattern: ['camera', '{cameraId}', 'event'], schema: CameraEventPayload, retain: false },
  gap: { pattern: ['camera', '{cameraId}', 'gap'], schema: GapPayload, retain: false },
  recording: { pattern: ['camera', '{cameraId}', 'recording'], schema: RecordingPayload, retain: false },
  commissioning: {
    pattern: ['camera', '{cameraId}', 'commissioning'],
    schema: CommissioningPayload,
    retain: false,
  },
  /** A mobile source's position fixes, relayed by the site (a ground station or agent). */
  telemetry: { pattern: ['source', '{sourceId}', 'telemetry'], schema: TelemetryPayload, retain: false },
} as const satisfies Record<string, TopicDef<TSchema>>;

export type TopicKind = keyof typeof TOPICS;
export type PayloadOf<K extends TopicKind> = Static<(typeof TOPICS)[K]['schema']>;
export type CameraTopicKind = {
  [K in TopicKind]: (typeof TOPICS)[K]['pattern'] extends readonly ['camera', ...string[]] ? K : never;
}[TopicKind];

export interface TopicParams {
  siteId: string;
  cameraId?: string;
  sourceId?: string;
}

export interface ParsedTopic {
  kind: TopicKind;
  siteId: string;
  cameraId: string | null;
  sourceId: string | null;
}

export class TopicError extends Error {
  readonly code = 'TOPIC_INVALID';
}

function checkId(name: string, value: string | undefined): string {
  if (value === undefined || !ID.test(value)) {
    throw new TopicError(`${name} ${JSON.stringify(value)} is not a valid id (lowercase slug)`);
  }
  return value;
}

export function buildTopic(kind: TopicKind, params: TopicParams): string {
  const parts = [TOPIC_ROOT, 'site', checkId('siteId', params.siteId)];
  for (const segment of TOPICS[kind].pattern as readonly string[]) {
    parts.push(
      segment === '{cameraId}'
        ? checkId('cameraId', params.cameraId)
        : segment === '{sourceId}'
          ? checkId('sourceId', params.sourceId)
          : segment,
    );
  }
  return parts.join('/');
}

/** Subscription filter for everything every site publishes (the hub's ingest). */
export function allSitesFilter(): string {
  return `${TOPIC_ROOT}/site/+/#`;
}

/** Filter covering one site's own topics (used for broker ACLs). */
export function siteFilter(siteId: string): string {
  return `${TOPIC_ROOT}/site/${checkId('siteId', siteId)}/#`;
}

/** Parses a topic; returns null-free result or throws TopicError saying what is wrong. */
export function parseTopic(topic: string): ParsedTopic {
  const parts = topic.split('/');
  const root = TOPIC_ROOT.split('/');
  if (parts.length < root.length + 3 || parts[0] !== root[0] || parts[1] !== root[1] || parts[2] !== 'site') {
    throw new TopicError(`topic ${JSON.stringify(topic.slice(0, 200))} is not under ${TOPIC_ROOT}/site/`);
  }
  const siteId = checkId('siteId', parts[3]);
  const rest = parts.slice(4);
  for (const [kind, def] of Object.entries(TOPICS) as [TopicKind, TopicDef<TSchema>][]) {
    if (def.pattern.length !== rest.length) continue;
    let cameraId: string | null = null;
    let sourceId: string | null = null;
    let match = true;
    for (let i = 0; i < def.pattern.length; i++) {
      const want = def.pattern[i];
      const got = rest[i];
      if (want === '{cameraId}' || want === '{sourceId}') {
        if (got === undefined || !ID.test(got)) {
          match = false;
          break;
        }
        if (want === '{cameraId}') cameraId = got;
        else sourceId = got;
      } else if (want !== got) {
        match = false;
        break;
      }
    }
    if (match) return { kind, siteId, cameraId, sourceId };
  }
  throw new TopicError(`unknown topic ${JSON.stringify(topic.slice(0, 200))}`);
}

/** Requests the hub sends to one site; the only filter a site may subscribe to. */
export function siteRequestFilter(siteId: string): string {
  return `${TOPIC_ROOT}/site/${checkId('siteId', siteId)}/request/#`;
}

/** Filter covering every site's requests (what the hub may publish, for broker ACLs). */
/** Where the hub publishes grouped alert messages for Node-RED or Home Assistant style consumers. */
export function alertTopic(councilId: string, siteId: string): string {
  return `${TOPIC_ROOT}/alerts/${checkId('councilId', councilId)}/${checkId('siteId', siteId)}`;
}

export function allAlertsFilter(): string {
  return `${TOPIC_ROOT}/alerts/#`;
}

export function allSiteRequestsFilter(): string {
  return `${TOPIC_ROOT}/site/+/request/#`;
}

/** True when a site may publish this topic: only under its own `cctv/v1/site/{siteId}/`. */
export function isOwnSiteTopic(siteId: string, topic: string): boolean {
  const prefix = `${TOPIC_ROOT}/site/${siteId}/`;
  return ID.test(siteId) && topic.startsWith(prefix) && topic.length > prefix.length;
}

/**
 * True when a subscription filter stays inside the site's own request topics: the levels up to
 * `request` must be literal (a `+` or `#` there would reach other sites or their data).
 */
/** A subscription inside the alert topics: cctv/v1/alerts/# or narrower (a council, a site). */
export function isAlertsFilter(filter: string): boolean {
  const got = filter.split('/');
  const want = [...TOPIC_ROOT.split('/'), 'alerts'];
  return got.length > want.length && want.every((level, i) => got[i] === level);
}

export function isOwnRequestFilter(siteId: string, filter: string): boolean {
  if (!ID.test(siteId)) return false;
  const want = [...TOPIC_ROOT.split('/'), 'site', siteId, 'request'];
  const got = filter.split('/');
  if (got.length < want.length) return false;
  return want.every((level, i) => got[i] === level);
}
