import type { TSchema } from '@sinclair/typebox';
import { timeOrderedUuid } from '../../../src/ids.ts';
import { Envelope, type EnvelopeOf, PROTOCOL_VERSION } from '../../../src/schemas/envelope.ts';
import { type PayloadOf, TOPICS, type TopicKind } from '../../../src/topics.ts';
import { type Validated, validate } from '../../../src/validation.ts';

const ENVELOPE_SCHEMAS: Record<TopicKind, TSchema> = {
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

export function validateEnvelope<K extends TopicKind>(
  kind: K,
  envelope: unknown,
): Validated<EnvelopeOf<PayloadOf<K>>> {
  return validate(ENVELOPE_SCHEMAS[kind], envelope, 5) as Validated<EnvelopeOf<PayloadOf<K>>>;
}

/**
 * Wraps payloads in the protocol envelope. `seq` starts at the agent's start time in microseconds, so it
 * keeps increasing across restarts without any stored state (as long as the clock does not step back and
 * an agent run publishes fewer than a million messages per second), and stays below 2^53 until year 2255.
 */
export class EnvelopeFactory {
  private lastSeq: number | null = null;

  constructor(
    private readonly siteId: string,
    private readonly now: () => number,
  ) {}

  nextSeq(): number {
    this.lastSeq = this.lastSeq === null ? Math.floor(this.now()) * 1000 : this.lastSeq + 1;
    return this.lastSeq;
  }

  wrap<P>(payload: P, observedAtMs: number): EnvelopeOf<P> {
    return {
      v: PROTOCOL_VERSION,
      // Time-ordered, so the hub's indexes keyed by message id grow at one end.
      msgId: timeOrderedUuid(this.now()),
      siteId: this.siteId,
      seq: this.nextSeq(),
      observedAt: new Date(observedAtMs).toISOString(),
      payload,
    };
  }
}
