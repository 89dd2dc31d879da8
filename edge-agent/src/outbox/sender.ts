import type { Logger } from 'pino';
import { errorMessage } from '../errors.ts';
import type { Outbox } from './outbox.ts';
import type { OutboxRecord } from './record.ts';

export interface OutboxSenderOptions {
  outbox: Outbox;
  /** Records handed to MQTT and not yet acknowledged, at most. */
  maxInFlight: number;
  /** Resolves when the broker acknowledged the record (PUBACK). */
  publish: (record: OutboxRecord) => Promise<void>;
  logger: Logger;
}

/**
 * Moves records from the outbox to MQTT in order, with a bounded number in flight. Paused while the
 * broker is away: records already handed to mqtt.js stay with it (it resends them on reconnect, before
 * reporting the connection, so order holds), and nothing new is handed out until `resume`.
 */
export class OutboxSender {
  private running = false;
  private pumping = false;
  private again = false;
  private inFlight = 0;
  private lastError = '';

  constructor(private readonly options: OutboxSenderOptions) {}

  start(): void {
    this.options.outbox.onAvailable = () => this.pump();
  }

  resume(): void {
    this.running = true;
    this.lastError = '';
    this.pump();
  }

  pause(): void {
    this.running = false;
  }

  stop(): void {
    this.running = false;
    this.options.outbox.onAvailable = null;
  }

  /** True when nothing is waiting (to be written or sent) and nothing is in flight. */
  get idle(): boolean {
    const { pending, queued, inFlight } = this.options.outbox.stats();
    return pending === 0 && queued === 0 && inFlight === 0;
  }

  private pump(): void {
    if (!this.running) return;
    if (this.pumping) {
      // Records may have arrived after the running fill last looked: look again when it ends.
      this.again = true;
      return;
    }
    this.pumping = true;
    this.again = false;
    this.fill().then(
      () => {
        this.pumping = false;
        if (this.again) this.pump();
      },
      (error: unknown) => {
        this.pumping = false;
        this.options.logger.error({ err: errorMessage(error) }, 'outbox read failed');
      },
    );
  }

  private async fill(): Promise<void> {
    const { outbox, maxInFlight } = this.options;
    while (this.running && this.inFlight < maxInFlight) {
      const records = await outbox.take(maxInFlight - this.inFlight);
      if (records.length === 0) return;
      if (!this.running) {
        outbox.retry(records);
        return;
      }
      for (const record of records) this.send(record);
    }
  }

  private send(record: OutboxRecord): void {
    this.inFlight++;
    this.options.publish(record).then(
      () => {
        this.inFlight--;
        this.options.outbox.ack(record.n);
        this.pump();
      },
      (error: unknown) => {
        // Sent again on the next resume or append; no tight loop against a client that is going away.
        this.inFlight--;
        this.options.outbox.retry([record]);
        const message = errorMessage(error);
        if (message !== this.lastError) {
          this.lastError = message;
          this.options.logger.warn({ err: message, n: record.n }, 'outbox publish failed; will resend');
        }
      },
    );
  }
}
