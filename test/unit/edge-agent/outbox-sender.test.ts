import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbox } from '../../../edge-agent/src/outbox/outbox.ts';
import type { OutboxRecord } from '../../../edge-agent/src/outbox/record.ts';
import { OutboxSender } from '../../../edge-agent/src/outbox/sender.ts';
import { cameraId, type Harness, harness } from './outbox-fixtures.ts';

let h: Harness;
let outbox: Outbox;
let sender: OutboxSender;

/** A publish whose PUBACKs the test hands out. */
const broker = {
  calls: [] as { record: OutboxRecord; ack: () => void; fail: (error: Error) => void }[],
  publish(record: OutboxRecord): Promise<void> {
    return new Promise((ack, fail) => broker.calls.push({ record, ack: () => ack(), fail }));
  },
};

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

beforeEach(async () => {
  broker.calls = [];
  h = await harness();
  outbox = await h.open();
  sender = new OutboxSender({
    outbox,
    maxInFlight: 100,
    publish: (record) => broker.publish(record),
    logger: pino({ level: 'silent' }),
  });
  sender.start();
  const appends = [];
  for (let i = 0; i < 250; i++) {
    const camera = cameraId(i % 4);
    appends.push(outbox.append('health', camera, h.envelope('health', camera, i)));
  }
  await Promise.all(appends);
});

afterEach(async () => {
  sender.stop();
  await outbox.close();
  await h.cleanup();
});

describe('outbox sender', () => {
  it('sends in order with at most maxInFlight unacknowledged, and acknowledges on PUBACK', async () => {
    sender.resume();
    await tick();
    expect(broker.calls).toHaveLength(100);
    for (const call of broker.calls.slice(0, 30)) call.ack();
    await tick();
    expect(broker.calls).toHaveLength(130);
    for (let acked = 30; acked < broker.calls.length; ) {
      const next = broker.calls.length;
      for (const call of broker.calls.slice(acked, next)) call.ack();
      acked = next;
      await tick();
      expect(broker.calls.length - acked).toBeLessThanOrEqual(100);
    }
    expect(broker.calls.map((c) => c.record.n)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(outbox.stats()).toMatchObject({ queued: 0, inFlight: 0, acked: 250 });
    expect(sender.idle).toBe(true);
  });

  it('hands out nothing new while paused, and goes on where it stopped when resumed', async () => {
    sender.resume();
    await tick();
    sender.pause();
    for (const call of broker.calls) call.ack();
    await tick();
    expect(broker.calls).toHaveLength(100);
    // A record appended while paused waits too.
    await outbox.append('event', cameraId(1), h.envelope('event', cameraId(1)));
    await tick();
    expect(broker.calls).toHaveLength(100);
    sender.resume();
    await tick();
    expect(broker.calls).toHaveLength(200);
    expect(broker.calls[100]?.record.n).toBe(101);
  });

  it('sends a record whose publish failed again, before newer ones', async () => {
    sender.resume();
    await tick();
    broker.calls[5]?.fail(new Error('connection closed'));
    for (const [i, call] of broker.calls.entries()) if (i !== 5) call.ack();
    await tick();
    // The failure does not spin: the record waits for the next wake-up (resume or append).
    sender.resume();
    await tick();
    const after = broker.calls.slice(100).map((c) => c.record.n);
    expect(after[0]).toBe(6);
    expect(after.slice(1, 4)).toEqual([101, 102, 103]);
    expect(outbox.stats().inFlight).toBe(100);
    // The cursor stayed below the failed record: after a restart it is sent again, and all after it.
    sender.stop();
    await outbox.close();
    outbox = await h.open();
    const replayed = await outbox.take(1000);
    expect(replayed[0]?.n).toBe(6);
    expect(replayed).toHaveLength(250 - 5);
  });
});
