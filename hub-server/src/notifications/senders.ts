import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';

/** One queued message, as a sender sees it. */
export interface Outgoing {
  id: string;
  channel: 'email' | 'webhook' | 'mqtt';
  target: string;
  subject: string;
  text: string;
  /** The JSON body of webhooks and MQTT messages, already serialised. */
  body: string;
  /** The rule's webhook secret (webhooks only). */
  secret: string | null;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  user: string;
  password: string | null;
  from: string;
}

/** A failed attempt: its message is what the dashboard shows under the delivery. */
export class DeliveryError extends Error {}

export const SIGNATURE_HEADER = 'x-cctv-signature';
export const TIMESTAMP_HEADER = 'x-cctv-timestamp';
export const DELIVERY_HEADER = 'x-cctv-delivery';

/**
 * The webhook signature: HMAC-SHA256 with the rule's secret over `{timestamp}.{body}`, hex, as
 * `sha256=...`. Receivers recompute it, compare in constant time, and refuse timestamps more than a
 * few minutes old (replays).
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class Senders {
  private mailer: Transporter | null = null;

  constructor(
    private readonly options: {
      smtp: SmtpSettings;
      timeoutMs: number;
      publish: (topic: string, payload: string) => Promise<void>;
      now: () => number;
    },
  ) {}

  async send(message: Outgoing): Promise<void> {
    if (message.channel === 'email') return this.email(message);
    if (message.channel === 'webhook') return this.webhook(message);
    return this.mqtt(message);
  }

  private transport(): Transporter {
    const smtp = this.options.smtp;
    if (!smtp.host)
      throw new DeliveryError('no SMTP relay is configured (notifications.smtp.host): e-mail cannot be sent');
    if (!this.mailer) {
      this.mailer = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.requireTls,
        auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
        connectionTimeout: this.options.timeoutMs,
        greetingTimeout: this.options.timeoutMs,
        socketTimeout: this.options.timeoutMs,
      });
    }
    return this.mailer;
  }

  private async email(message: Outgoing): Promise<void> {
    try {
      await this.transport().sendMail({
        from: this.options.smtp.from,
        to: message.target,
        subject: message.subject,
        text: message.text,
        headers: { 'X-CCTV-Delivery': message.id },
      });
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      throw new DeliveryError(`SMTP: ${(error as Error).message}`.slice(0, 300));
    }
  }

  private async webhook(message: Outgoing): Promise<void> {
    if (!message.secret) throw new DeliveryError('the rule has no signing secret');
    const timestamp = String(Math.floor(this.options.now() / 1000));
    let response: Response;
    try {
      response = await fetch(message.target, {
        method: 'POST',
        // Redirects are not followed: the rule's address is the only place the hub posts to.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'cctv-hub-notifier',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: webhookSignature(message.secret, timestamp, message.body),
          [DELIVERY_HEADER]: message.id,
        },
        body: message.body,
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message;
      throw new DeliveryError(
        `webhook: ${(error as Error).message}${cause ? ` (${cause})` : ''}`.slice(0, 300),
      );
    }
    // The answer's body is not read beyond a little: a receiver cannot hold the hub with it.
    await response.body?.cancel().catch(() => {});
    if (response.status < 200 || response.status >= 300)
      throw new DeliveryError(`webhook answered HTTP ${response.status}`);
  }

  private async mqtt(message: Outgoing): Promise<void> {
    try {
      await this.options.publish(message.target, message.body);
    } catch (error) {
      throw new DeliveryError(`MQTT: ${(error as Error).message}`.slice(0, 300));
    }
  }

  close(): void {
    this.mailer?.close();
    this.mailer = null;
  }
}
