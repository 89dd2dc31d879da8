import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Id, IsoTime } from './common.ts';

export const PROTOCOL_VERSION = 1;

/** Every MQTT payload: `msgId` makes ingest idempotent, `seq` is monotonic per site, `observedAt` is the agent's clock. */
export const Envelope = <T extends TSchema>(payload: T) =>
  Type.Object(
    {
      v: Type.Literal(PROTOCOL_VERSION),
      msgId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'Unique per message (UUID)' }),
      siteId: Id,
      seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      observedAt: IsoTime,
      payload,
    },
    { additionalProperties: false },
  );

export interface EnvelopeOf<P> {
  v: typeof PROTOCOL_VERSION;
  msgId: string;
  siteId: string;
  seq: number;
  observedAt: string;
  payload: P;
}

export const AnyEnvelope = Envelope(Type.Unknown());
export type AnyEnvelope = Static<typeof AnyEnvelope>;
