import type pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Notifier } from '../../../hub-server/src/notifications/notifier.ts';
import type { Senders } from '../../../hub-server/src/notifications/senders.ts';

// In a region of several processes only the leader's notifier is started: it holds the broker
// connection that MQTT deliveries go out on. A standby that queues a test send or a retry wakes its
// notifier too; that must not deliver from the standby (the leader's next tick does).
describe('notifier wake', () => {
  const make = () => {
    let ticks = 0;
    const pool = {
      connect: async () => {
        ticks++;
        throw new Error('stand-in pool: nothing to read');
      },
      query: async () => {
        ticks++;
        throw new Error('stand-in pool: nothing to read');
      },
    } as unknown as pg.Pool;
    const notifier = new Notifier({
      pool,
      senders: { close: () => {} } as unknown as Senders,
      findUser: async () => null,
      siteName: () => null,
      siteHub: () => null,
      cameraName: () => null,
      groupWaitMs: 1000,
      tickMs: 60_000,
      maxAttempts: 3,
      retryBaseMs: 1000,
      retryMaxMs: 10_000,
      deliveryTimeoutMs: 1000,
      mqttAlerts: true,
      dashboardUrl: 'http://hub.invalid',
      log: pino({ level: 'silent' }),
      now: Date.now,
    });
    return { notifier, ticks: () => ticks };
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('delivers nothing when woken before it is started (a standby)', async () => {
    const { notifier, ticks } = make();
    notifier.wake();
    await settle();
    expect(ticks()).toBe(0);
  });

  it('runs a tick at once when woken once started (the leader)', async () => {
    const { notifier, ticks } = make();
    notifier.start();
    await settle();
    const atStart = ticks();
    expect(atStart).toBeGreaterThan(0);
    notifier.wake();
    await settle();
    expect(ticks()).toBeGreaterThan(atStart);
    await notifier.stop();
  });
});
