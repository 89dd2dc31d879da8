// Holds one ONVIF PullPoint subscription (Core 9.3): created on start, pulled in a loop, renewed before it
// expires, and re-created after any failure with a bounded back-off, so a recorder reboot or a dropped
// subscription costs at most one back-off of events. Every call has its own deadline; stop() ends the loop
// and unsubscribes best-effort.
import { AgentError, type ErrorContext } from '../errors.ts';
import {
  createPullPointSubscriptionBody,
  EVENT_NAMESPACES,
  parseCreatePullPointSubscription,
  parsePullMessages,
  pullMessagesBody,
  type RecorderEvent,
  renewBody,
  unsubscribeBody,
} from './pull-point.ts';
import { postSoap, type SoapCredentials } from './soap-client.ts';

export interface PullPointOptions {
  /** The device's events service address. */
  eventsUrl: string;
  credentials?: SoapCredentials;
  timeoutMs: number;
  /** Long-poll wait asked of the device per PullMessages (kept under timeoutMs). */
  pullWaitSeconds: number;
  messageLimit: number;
  terminationSeconds: number;
  retryDelayMs: number;
  /** Pause after an empty pull: a device that ignores the long-poll wait must not make the loop spin. */
  idleDelayMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  context: ErrorContext;
  onEvents: (events: RecorderEvent[]) => void;
  onError: (error: AgentError) => void;
}

export class PullPointSubscription {
  private running = false;
  private loop: Promise<void> | undefined;
  private address: string | undefined;

  constructor(private readonly options: PullPointOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.loop = undefined;
  }

  private async call(url: string, body: string, operation: string, extraMs = 0): Promise<string> {
    const o = this.options;
    const response = await postSoap({
      url,
      body,
      namespaces: EVENT_NAMESPACES,
      credentials: o.credentials,
      timeoutMs: o.timeoutMs + extraMs,
      now: o.now,
      context: { ...o.context, operation },
    });
    return response.xml;
  }

  private async subscribe(): Promise<string> {
    const o = this.options;
    const xml = await this.call(
      o.eventsUrl,
      createPullPointSubscriptionBody(o.terminationSeconds),
      'CreatePullPointSubscription',
    );
    const created = parseCreatePullPointSubscription(xml);
    if (!created) {
      throw new AgentError('onvif_error', 'CreatePullPointSubscription answer has no address', {
        ...o.context,
        operation: 'CreatePullPointSubscription',
      });
    }
    return created.address;
  }

  private async run(): Promise<void> {
    const o = this.options;
    let renewAtMs = 0;
    while (this.running) {
      try {
        if (this.address === undefined) {
          this.address = await this.subscribe();
          renewAtMs = o.now() + (o.terminationSeconds * 1000) / 2;
        }
        if (o.now() >= renewAtMs) {
          await this.call(this.address, renewBody(o.terminationSeconds), 'Renew');
          renewAtMs = o.now() + (o.terminationSeconds * 1000) / 2;
        }
        const xml = await this.call(
          this.address,
          pullMessagesBody(o.pullWaitSeconds, o.messageLimit),
          'PullMessages',
          o.pullWaitSeconds * 1000,
        );
        const { events } = parsePullMessages(xml);
        if (events.length > 0) o.onEvents(events);
        else await o.sleep(o.idleDelayMs);
      } catch (error) {
        this.address = undefined;
        o.onError(
          error instanceof AgentError
            ? error
            : new AgentError('onvif_error', String(error), { ...o.context, operation: 'PullMessages' }),
        );
        if (this.running) await o.sleep(o.retryDelayMs);
      }
    }
    const address = this.address;
    this.address = undefined;
    // Best effort: an expired subscription ends on the device by itself at its termination time.
    if (address !== undefined)
      await this.call(address, unsubscribeBody(), 'Unsubscribe').catch(() => undefined);
  }
}
