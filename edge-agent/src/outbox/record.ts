import { type Static, Type } from '@sinclair/typebox';
import { Id } from '../../../src/schemas/common.ts';
import type { EnvelopeOf } from '../../../src/schemas/envelope.ts';
import type { PayloadOf } from '../../../src/topics.ts';
import { formatIssues, validate } from '../../../src/validation.ts';
import { validateEnvelope } from '../mqtt/envelope.ts';

/**
 * What goes through the outbox: observations and events. Retained state (siteState, inventory) does
 * not: the agent publishes it afresh on every connect, and only the latest value matters.
 */
export type OutboxKind = 'health' | 'stream' | 'event' | 'gap' | 'recording';
/** Samples may be dropped when the outbox is full; events, gap records and retention readings never are. */
export type SampleKind = 'health' | 'stream';

export function isSample(kind: OutboxKind): kind is SampleKind {
  return kind === 'health' || kind === 'stream';
}

export type OutboxEnvelope = EnvelopeOf<PayloadOf<OutboxKind>>;

export interface OutboxRecord {
  /** Position in this site's outbox: increases by one per record and never goes back, across restarts. */
  n: number;
  kind: OutboxKind;
  cameraId: string;
  /** Sent exactly as stored: the same msgId, seq and observedAt on every (re)delivery. */
  envelope: OutboxEnvelope;
  /** Bytes of the record's line on disk, newline included. */
  bytes: number;
}

/**
 * One line of a segment file. The topic is not stored: it follows from kind, site and camera through
 * the topic registry (which is the only place topics are built), and leaving it out saves ~50 bytes
 * per record.
 */
export const OutboxLine = Type.Object(
  {
    n: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    k: Type.Union([
      Type.Literal('health'),
      Type.Literal('stream'),
      Type.Literal('event'),
      Type.Literal('gap'),
      Type.Literal('recording'),
    ]),
    c: Id,
    e: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type OutboxLine = Static<typeof OutboxLine>;

/**
 * The line for a record, exactly `JSON.stringify({n, k, c, e})` plus a newline, built around the
 * envelope's JSON so a record's size can be known before its number is.
 */
export function encodeRecord(n: number, kind: OutboxKind, cameraId: string, envelopeJson: string): string {
  return `{"n":${n},"k":${JSON.stringify(kind)},"c":${JSON.stringify(cameraId)},"e":${envelopeJson}}\n`;
}

export function lineBytes(n: number, kind: OutboxKind, cameraId: string, envelopeJsonBytes: number): number {
  // {"n": , "k": "" , "c": "" , "e": } + newline, with ids that are ASCII slugs.
  return 26 + String(n).length + kind.length + cameraId.length + envelopeJsonBytes;
}

export type Decoded = { ok: true; record: OutboxRecord } | { ok: false; reason: string };

/** Parses one line (without its newline) and checks it as strictly as the hub would check the message. */
export function decodeRecord(text: string): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const line = validate(OutboxLine, json, 3);
  if (!line.ok) return { ok: false, reason: formatIssues(line.issues) };
  const { n, k, c, e } = line.value;
  const envelope = validateEnvelope(k, e);
  if (!envelope.ok) return { ok: false, reason: `envelope ${formatIssues(envelope.issues)}` };
  if ((envelope.value.payload as { cameraId: string }).cameraId !== c)
    return { ok: false, reason: `camera ${c} differs from the payload's` };
  return {
    ok: true,
    record: { n, kind: k, cameraId: c, envelope: envelope.value, bytes: Buffer.byteLength(text) + 1 },
  };
}
