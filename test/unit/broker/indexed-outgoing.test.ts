import aedesPersistence from 'aedes-persistence';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerLimits } from '../../../hub-server/src/broker/broker-limits.ts';
import { EmbeddedBroker } from '../../../hub-server/src/broker/embedded-broker.ts';
import {
  indexedMemoryPersistence,
  type QueuedPacket,
} from '../../../hub-server/src/broker/indexed-outgoing.ts';
import { SiteAuthPolicy } from '../../../hub-server/src/broker/site-auth.ts';

/** The outgoing-queue calls aedes 1.x makes on its persistence (promise style). */
interface Store {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: QueuedPacket): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: QueuedPacket): Promise<unknown>;
  outgoingClearMessageId(client: { id: string }, packet: QueuedPacket): Promise<QueuedPacket | undefined>;
  outgoingStream(client: { id: string }): AsyncIterable<QueuedPacket>;
}

const aedesOwn = () => (aedesPersistence as unknown as () => Store)();
const indexed = () => indexedMemoryPersistence().persistence as Store;

async function queueOf(store: Store, clientId: string): Promise<QueuedPacket[]> {
  const packets: QueuedPacket[] = [];
  for await (const packet of store.outgoingStream({ id: clientId })) packets.push(packet);
  return packets;
}

const view = (p: QueuedPacket | undefined) =>
  p && {
    cmd: p.cmd,
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    messageId: p.messageId,
    topic: p.topic,
  };

async function outcome<T>(run: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await run() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the embedded broker outgoing queue, indexed', () => {
  // aedes's own in-memory persistence is the reference: every call must give what it gives, in
  // sequences that reuse packet ids (ids wrap at 65535), mix brokers, replace publishes with PUBRELs.
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])(
    'answers as aedes does, call for call (seed %i)',
    async (seed) => {
      const next = random(seed);
      const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)] as T;
      const reference = aedesOwn();
      const subject = indexed();
      const clients = ['hub', 'other'];
      let counter = 0;
      for (let step = 0; step < 400; step++) {
        const client = { id: pick(clients) };
        const roll = next();
        let call: (store: Store) => Promise<unknown>;
        if (roll < 0.35) {
          counter++;
          const packet = { cmd: 'publish', topic: `t/${counter}`, payload: Buffer.from('x'), qos: 1 };
          const brokerId = pick(['b1', 'b1', 'b2']);
          const subs = next() < 0.2 ? clients.map((clientId) => ({ clientId })) : [{ clientId: client.id }];
          call = (store) => store.outgoingEnqueueCombi(subs, { ...packet, brokerId, brokerCounter: counter });
        } else if (roll < 0.7) {
          // Mostly a queued message taking a packet id; sometimes one of no broker (a PUBREL) or unknown.
          const queued = await queueOf(reference, client.id);
          const target = queued.length && next() < 0.85 ? pick(queued) : null;
          // Now and then no packet id, as aedes's calls for a dropped delivery have.
          const messageId = next() < 0.1 ? undefined : 1 + Math.floor(next() * 6);
          const packet: QueuedPacket =
            target && next() < 0.8
              ? { cmd: 'publish', brokerId: target.brokerId, brokerCounter: target.brokerCounter, messageId }
              : { cmd: 'pubrel', messageId };
          call = (store) => store.outgoingUpdate(client, { ...packet });
        } else {
          const messageId = next() < 0.15 ? undefined : 1 + Math.floor(next() * 7);
          call = (store) => store.outgoingClearMessageId(client, { cmd: 'publish', messageId });
        }
        const expected = await outcome(call.bind(null, reference));
        const actual = await outcome(call.bind(null, subject));
        const shape = (o: { ok: unknown } | { error: string }) =>
          'error' in o ? o : { ok: view(o.ok as QueuedPacket | undefined) };
        expect(shape(actual), `step ${step}`).toEqual(shape(expected));
        for (const id of clients) {
          expect((await queueOf(subject, id)).map(view), `step ${step}, ${id}'s queue`).toEqual(
            (await queueOf(reference, id)).map(view),
          );
        }
      }
    },
  );

  /**
   * Queues `size` messages for one session and gives each stored packet counting accessors: how
   * many times a queued message is looked at to take a packet id for the newest and to clear the oldest.
   */
  async function readsFor(store: Store, size: number): Promise<number> {
    const client = { id: 'hub' };
    for (let counter = 1; counter <= size; counter++)
      await store.outgoingEnqueueCombi([{ clientId: 'hub' }], {
        cmd: 'publish',
        topic: 't',
        qos: 1,
        brokerId: 'b1',
        brokerCounter: counter,
      });
    // Every message but the newest already has its packet id, as under a backlog.
    for (let counter = 1; counter < size; counter++)
      await store.outgoingUpdate(client, {
        cmd: 'publish',
        brokerId: 'b1',
        brokerCounter: counter,
        messageId: counter,
      });
    let reads = 0;
    for (const packet of await queueOf(store, 'hub')) {
      for (const field of ['brokerId', 'brokerCounter', 'messageId'] as const) {
        let value = packet[field];
        Object.defineProperty(packet, field, {
          get: () => {
            reads++;
            return value;
          },
          set: (v) => {
            value = v;
          },
        });
      }
    }
    await store.outgoingUpdate(client, {
      cmd: 'publish',
      brokerId: 'b1',
      brokerCounter: size,
      messageId: size,
    });
    await store.outgoingClearMessageId(client, { cmd: 'puback', messageId: 1 });
    return reads;
  }

  it('looks at a few queued messages per call, however long the queue (aedes own: all of them)', async () => {
    // aedes's array scan reads each queued message to find the newest: what this replaces.
    expect(await readsFor(aedesOwn(), 5_000)).toBeGreaterThanOrEqual(5_000);
    const small = await readsFor(indexed(), 10);
    const large = await readsFor(indexed(), 5_000);
    expect(large).toBeLessThanOrEqual(20);
    expect(large).toBe(small);
  });
});

describe('the embedded broker with the indexed queue', () => {
  const log = pino({ level: 'silent' });
  const broker = new EmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    log,
    auth: new SiteAuthPolicy({ mode: 'off', hubPassword: Buffer.from('unused'), log }),
    limits: new BrokerLimits(
      {
        maxPacketBytes: 65_536,
        retainedMessageBytes: 1_000,
        retainedMessagesPerSite: 4,
        retainedBytesPerSite: 4_000,
      },
      log,
    ),
  });
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  const connect = (clientId: string, clean: boolean) =>
    mqtt.connectAsync(broker.url, { clientId, clean, reconnectPeriod: 0, protocolVersion: 4 });

  it('keeps what a persistent session missed, delivers it in order and forgets it once acknowledged', async () => {
    const subscriber = await connect('keeper', false);
    await subscriber.subscribeAsync('q/#', { qos: 1 });
    await subscriber.endAsync();

    const publisher = await connect('sender', true);
    for (let n = 1; n <= 5; n++) await publisher.publishAsync(`q/${n}`, `m${n}`, { qos: 1 });
    await publisher.endAsync();
    expect(broker.queuedFor('keeper')).toBe(5);

    const back = mqtt.connect(broker.url, { clientId: 'keeper', clean: false, reconnectPeriod: 0 });
    const received: string[] = [];
    await new Promise<void>((resolve) =>
      back.on('message', (topic) => {
        received.push(topic);
        if (received.length === 5) resolve();
      }),
    );
    // The last PUBACK goes out after the handler: wait until the broker has taken it.
    for (let wait = 0; broker.queuedFor('keeper') > 0 && wait < 100; wait++)
      await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual(['q/1', 'q/2', 'q/3', 'q/4', 'q/5']);
    expect(broker.queuedFor('keeper')).toBe(0);
    await back.endAsync();
  });
});
