import type { TSchema } from '@sinclair/typebox';
import { Envelope, type EnvelopeOf, PROTOCOL_VERSION } from './schemas/envelope.ts';
import { cleanTextBySchema } from './text/clean-by-schema.ts';
import {
  type ParsedTopic,
  type PayloadOf,
  parseTopic,
  TOPICS,
  TopicError,
  type TopicKind,
} from './topics.ts';
import { formatIssues, type ValidationIssue, validate } from './validation.ts';

const envelopes: Record<TopicKind, TSchema> = {
  siteState: Envelope(TOPICS.siteState.schema),
  inventory: Envelope(TOPICS.inventory.schema),
  health: Envelope(TOPICS.health.schema),
  stream: Envelope(TOPICS.stream.schema),
  event: Envelope(TOPICS.event.schema),
  gap: Envelope(TOPICS.gap.schema),
  recording: Envelope(TOPICS.recording.schema),
  commissioning: Envelope(TOPICS.commissioning.schema),
  telemetry: Envelope(TOPICS.telemetry.schema),
};

export type RejectCode =
  | 'TOO_LARGE'
  | 'BAD_TOPIC'
  | 'BAD_JSON'
  | 'BAD_TEXT'
  | 'BAD_SCHEMA'
  | 'SITE_MISMATCH'
  | 'CAMERA_MISMATCH'
  | 'SOURCE_MISMATCH';

export interface Rejection {
  code: RejectCode;
  /** First error path inside the payload, `/` for the whole message. */
  path: string;
  message: string;
}

export type DecodedMessage = {
  [K in TopicKind]: {
    kind: K;
    siteId: string;
    cameraId: string | null;
    sourceId: string | null;
    envelope: EnvelopeOf<PayloadOf<K>>;
  };
}[TopicKind];

export type DecodeResult =
  | { ok: true; message: DecodedMessage }
  | { ok: false; topic: ParsedTopic | null; rejection: Rejection };

/** NUL, and a UTF-16 surrogate without its pair: valid JSON, but no database text can hold them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for.
export const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_DEPTH = 32;

/**
 * The first string (or key) that text columns cannot store, or nesting deeper than any message needs.
 * Runs on every message: the path (a JSON pointer) is built only for what is found, from the keys
 * collected on the way back up, not for every key looked at.
 */
function findBadText(value: unknown, depth: number): { at: string[]; message: string } | null {
  if (typeof value === 'string')
    return UNSTORABLE.test(value)
      ? { at: [], message: 'text holds a NUL character or an unpaired UTF-16 surrogate' }
      : null;
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return { at: [], message: `nested deeper than ${MAX_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], depth + 1);
      if (found) {
        found.at.push(String(i));
        return found;
      }
    }
    return null;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (UNSTORABLE.test(key))
      return { at: [key], message: 'a key holds a NUL character or an unpaired UTF-16 surrogate' };
    const found = findBadText(record[key], depth + 1);
    if (found) {
      found.at.push(key);
      return found;
    }
  }
  return null;
}

/** Keys from the innermost out, as a JSON pointer ("/" for the whole message). */
function pointer(keysInnermostFirst: readonly string[]): string {
  let path = '';
  for (let i = keysInnermostFirst.length - 1; i >= 0; i--)
    path += `/${(keysInnermostFirst[i] as string).replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return path || '/';
}

function reject(topic: ParsedTopic | null, code: RejectCode, path: string, message: string): DecodeResult {
  return { ok: false, topic, rejection: { code, path, message } };
}

/**
 * Turns one MQTT message into a typed envelope or a rejection that says what and where.
 * The site in the topic must equal the envelope's site, and per-camera topics must name the payload's camera.
 */
export function decodeMessage(topic: string, raw: Uint8Array, maxBytes: number): DecodeResult {
  let parsed: ParsedTopic;
  try {
    parsed = parseTopic(topic);
  } catch (error) {
    return reject(null, 'BAD_TOPIC', '/', error instanceof TopicError ? error.message : String(error));
  }
  if (raw.byteLength > maxBytes) {
    return reject(parsed, 'TOO_LARGE', '/', `payload is ${raw.byteLength} bytes, limit is ${maxBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch (error) {
    return reject(parsed, 'BAD_JSON', '/', `malformed JSON: ${(error as Error).message}`);
  }
  const badText = findBadText(json, 0);
  if (badText) return reject(parsed, 'BAD_TEXT', pointer(badText.at), badText.message);
  const result = validate(envelopes[parsed.kind], json, 5);
  if (!result.ok) {
    const first = result.issues[0] as ValidationIssue;
    return reject(parsed, 'BAD_SCHEMA', first.path, formatIssues(result.issues));
  }
  // Free text is cleaned here, once, so the hub stores and shows only plain text (cleanSiteText).
  // Cleaning never lengthens a string; a name left empty fails the schema again and is refused.
  const cleaned = cleanTextBySchema(envelopes[parsed.kind], result.value);
  if (cleaned !== result.value) {
    const again = validate(envelopes[parsed.kind], cleaned, 5);
    if (!again.ok) {
      const first = again.issues[0] as ValidationIssue;
      return reject(
        parsed,
        'BAD_TEXT',
        first.path,
        `without its control and bidirectional characters: ${formatIssues(again.issues)}`,
      );
    }
  }
  const envelope = cleaned as EnvelopeOf<{ cameraId?: string; sourceId?: string }>;
  if (envelope.v !== PROTOCOL_VERSION) {
    return reject(parsed, 'BAD_SCHEMA', '/v', `unsupported protocol version ${String(envelope.v)}`);
  }
  if (envelope.siteId !== parsed.siteId) {
    return reject(
      parsed,
      'SITE_MISMATCH',
      '/siteId',
      `envelope siteId ${envelope.siteId} does not match topic site ${parsed.siteId}`,
    );
  }
  if (parsed.cameraId !== null && envelope.payload.cameraId !== parsed.cameraId) {
    return reject(
      parsed,
      'CAMERA_MISMATCH',
      '/payload/cameraId',
      `payload cameraId ${String(envelope.payload.cameraId)} does not match topic camera ${parsed.cameraId}`,
    );
  }
  if (parsed.sourceId !== null && envelope.payload.sourceId !== parsed.sourceId) {
    return reject(
      parsed,
      'SOURCE_MISMATCH',
      '/payload/sourceId',
      `payload sourceId ${String(envelope.payload.sourceId)} does not match topic source ${parsed.sourceId}`,
    );
  }
  return {
    ok: true,
    message: {
      kind: parsed.kind,
      siteId: parsed.siteId,
      cameraId: parsed.cameraId,
      sourceId: parsed.sourceId,
      envelope,
    } as DecodedMessage,
  };
}
