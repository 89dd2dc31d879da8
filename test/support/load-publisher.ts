import { buildTopic } from '../../src/topics.ts';
import { health, type SitePublisher } from './site-publisher.ts';

/**
 * Publishes health observations at a steady rate (QoS 1) round the given cameras, remembering each
 * msgId it sent and each one the broker acknowledged (PUBACK). mqtt.js keeps an unacknowledged
 * message and sends it again after a reconnect, so after a broker outage every sent message is
 * eventually acknowledged.
 */
export class LoadPublisher {
  readonly sent = new Set<string>();
  readonly acked = new Set<string>();
  readonly errors: string[] = [];
  /** Messages sent again with their original msgId (see resend). */
  resent = 0;
  private readonly published = new Map<string, { topic: string; json: string }>();
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private next = 0;
  private startedAtMs = 0;

  constructor(
    private readonly site: SitePublisher,
    private readonly cameraIds: string[],
    private readonly ratePerS: number,
  ) {}

  start(tickMs = 20): void {
    this.startedAtMs = Date.now();
    this.timer = setInterval(() => {
      // Catches up after a stalled event loop, so the average rate holds.
      const target = Math.floor(((Date.now() - this.startedAtMs) * this.ratePerS) / 1000);
      const due = target - this.sent.size;
      for (let i = 0; i < due; i++) this.publishOne();
    }, tickMs);
  }

  private publishOne(): void {
    const index = this.next++;
    const cameraId = this.cameraIds[index % this.cameraIds.length] as string;
    // One millisecond apart: each observation has its own instant, even in a burst.
    const envelope = this.site.envelope(health(cameraId, 'up'), new Date(this.startedAtMs + index));
    this.sent.add(envelope.msgId);
    const topic = buildTopic('health', { siteId: this.site.siteId, cameraId });
    const json = JSON.stringify(envelope);
    this.published.set(envelope.msgId, { topic, json });
    const promise = this.site
      .raw(topic, json, false)
      .then(
        () => {
          this.acked.add(envelope.msgId);
        },
        (error: Error) => {
          this.errors.push(`${envelope.msgId}: ${error.message}`);
        },
      )
      .finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
  }

  /**
   * Sends `count` already acknowledged messages again, byte for byte (same msgId), as a publisher
   * does that lost its PUBACKs in a crash and replays them: the hub must store each only once.
   */
  async resend(count: number): Promise<void> {
    const ids = [...this.acked];
    const every = Math.max(1, Math.floor(ids.length / count));
    const picked = ids.filter((_, i) => i % every === 0).slice(0, count);
    await Promise.all(
      picked.map((id) => {
        const message = this.published.get(id);
        if (!message) throw new Error(`no message ${id}`);
        return this.site.raw(message.topic, message.json, false);
      }),
    );
    this.resent += picked.length;
  }

  /** Stops sending and waits until every sent message was acknowledged (or failed). */
  async stop(timeoutMs = 60_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`${this.inFlight.size} messages still unacknowledged after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
