/**
 * The embedded broker's queue of QoS 1/2 messages owed to each persistent session, indexed.
 *
 * aedes keeps, per persistent session, every message it has queued for the client and not yet had
 * acknowledged. Its in-memory persistence keeps that queue as an array and finds a message by
 * scanning it: once when the message is written (to record its packet id) and once when its
 * PUBACK comes (then `splice`). The hub's own ingest session acknowledges each message only after
 * its batch commits, so while the hub catches up that queue holds the whole backlog: every message
 * cost a scan of tens of thousands of entries, the broker then used most of the hub's main thread
 * (profiled: 50 % of it in these two scans during a backlog), and the backlog grew faster still.
 *
 * This keeps the same queue in the same order with the same results, found through indexes: by
 * broker message (broker id and counter) and by packet id. Each operation costs the same whatever
 * the backlog. Everything else stays with aedes's own persistence.
 */
import { Readable } from 'node:stream';
import aedesPersistence from 'aedes-persistence';

/** The fields of an aedes packet this queue reads or sets. */
export interface QueuedPacket {
  cmd?: string;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  [field: string]: unknown;
}

/** aedes's in-memory persistence (a CommonJS module: its default export is the factory). */
const memoryPersistence = aedesPersistence as unknown as {
  (): Record<string, unknown>;
  /** aedes's packet copy (aedes-packet), as its in-memory persistence stores a queued message. */
  Packet: new (
    original: QueuedPacket,
  ) => QueuedPacket;
};
const PacketCopy = memoryPersistence.Packet;

type Callback<T extends unknown[]> = (error: Error | null, ...result: T) => void;

interface Entry {
  /** Position in the client's queue: increases with each message queued. */
  seq: number;
  packet: QueuedPacket;
}

/** The first entry of a set in queue order. */
function firstOf(list: Set<Entry> | undefined, skip?: (entry: Entry) => boolean): Entry | undefined {
  let first: Entry | undefined;
  for (const entry of list ?? []) {
    if (skip?.(entry)) continue;
    if (first === undefined || entry.seq < first.seq) first = entry;
  }
  return first;
}

class ClientQueue {
  /** The queue in order (a Map keeps insertion order and deletes in constant time). */
  readonly entries = new Map<number, Entry>();
  /** Entries by broker message (broker id and counter). Sets are small: one entry, as a rule. */
  private readonly byMessage = new Map<string, Set<Entry>>();
  /**
   * Entries by their current packet id; those not yet given one under `undefined`, a large set
   * during a backlog, which only aedes's rare calls without a packet id read in full.
   */
  private readonly byPacketId = new Map<number | undefined, Set<Entry>>();
  private nextSeq = 0;

  get size(): number {
    return this.entries.size;
  }

  enqueue(packet: QueuedPacket): void {
    const entry: Entry = { seq: this.nextSeq++, packet };
    this.entries.set(entry.seq, entry);
    this.index(entry);
  }

  /**
   * aedes's `outgoingUpdate`: the first queued entry (in queue order) that is either the same
   * broker message (its packet id is set to the packet's), or a message of another broker (or of
   * none, as a PUBREL) with the same packet id (the packet takes its place). False when none is.
   */
  update(packet: QueuedPacket): boolean {
    const same = firstOf(this.byMessage.get(messageKey(packet)));
    const other = firstOf(
      this.byPacketId.get(packet.messageId),
      (entry) => entry.packet.brokerId === packet.brokerId,
    );
    if (same !== undefined && (other === undefined || same.seq < other.seq)) {
      if (same.packet.messageId !== packet.messageId) {
        this.unindex(same);
        same.packet.messageId = packet.messageId;
        this.index(same);
      }
      return true;
    }
    if (other === undefined) return false;
    this.unindex(other);
    other.packet = packet;
    this.index(other);
    return true;
  }

  /**
   * aedes's `outgoingClearMessageId`: removes and returns the first queued entry with this packet
   * id (none: the first not yet given one, as aedes does when it drops a delivery).
   */
  clear(messageId: number | undefined): QueuedPacket | undefined {
    const first = firstOf(this.byPacketId.get(messageId));
    if (first === undefined) return undefined;
    this.entries.delete(first.seq);
    this.unindex(first);
    return first.packet;
  }

  private index(entry: Entry): void {
    push(this.byMessage, messageKey(entry.packet), entry);
    push(this.byPacketId, entry.packet.messageId, entry);
  }

  private unindex(entry: Entry): void {
    remove(this.byMessage, messageKey(entry.packet), entry);
    remove(this.byPacketId, entry.packet.messageId, entry);
  }
}

/** Broker id and counter as one key; a packet of no broker (a PUBREL) has a key of its own kind. */
function messageKey(packet: QueuedPacket): string {
  const broker = packet.brokerId === undefined ? '-' : `+${packet.brokerId}`;
  return `${broker}\u0000${packet.brokerCounter}`;
}

function push<K>(index: Map<K, Set<Entry>>, key: K, entry: Entry): void {
  const set = index.get(key);
  if (set) set.add(entry);
  else index.set(key, new Set([entry]));
}

function remove<K>(index: Map<K, Set<Entry>>, key: K, entry: Entry): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(entry);
  if (set.size === 0) index.delete(key);
}

/**
 * Answers as aedes's persistence does: with a callback, calls it with `args` (on the next tick when
 * `tick`, else once the current job ends); without one, returns a promise of `value`.
 */
function settle<T extends unknown[]>(
  run: () => { value?: unknown; args: T },
  cb: Callback<T> | undefined,
  tick: boolean,
): Promise<unknown> | undefined {
  let result: { value?: unknown; args: T };
  try {
    result = run();
  } catch (error) {
    if (!cb) return Promise.reject(error);
    queueMicrotask(() => cb(error as Error, ...([] as unknown as T)));
    return undefined;
  }
  if (!cb) return Promise.resolve(result.value);
  // aedes's own calls back after its promise settles: never within the call.
  if (tick) process.nextTick(() => cb(null, ...result.args));
  else queueMicrotask(() => cb(null, ...result.args));
  return undefined;
}

interface ClientRef {
  id: string;
}

/** The queue-owning methods of aedes's persistence, as aedes 1.x calls them. */
export interface OutgoingMethods {
  outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket, cb?: Callback<[QueuedPacket]>): unknown;
  outgoingEnqueueCombi(
    subs: { clientId: string }[],
    packet: QueuedPacket,
    cb?: Callback<[QueuedPacket]>,
  ): unknown;
  outgoingUpdate(client: ClientRef, packet: QueuedPacket, cb?: Callback<[ClientRef, QueuedPacket]>): unknown;
  outgoingClearMessageId(
    client: ClientRef,
    packet: QueuedPacket,
    cb?: Callback<[QueuedPacket | undefined]>,
  ): unknown;
  outgoingStream(client: ClientRef): Readable;
}

/** The outgoing queues of every persistent session, with aedes's persistence interface for them. */
export class IndexedOutgoing implements OutgoingMethods {
  private readonly queues = new Map<string, ClientQueue>();

  /** Messages queued for a client and not yet acknowledged. */
  queued(clientId: string): number {
    return this.queues.get(clientId)?.size ?? 0;
  }

  private queue(clientId: string): ClientQueue {
    let queue = this.queues.get(clientId);
    if (!queue) {
      queue = new ClientQueue();
      this.queues.set(clientId, queue);
    }
    return queue;
  }

  private forget(clientId: string, queue: ClientQueue): void {
    if (queue.size === 0) this.queues.delete(clientId);
  }

  outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket, cb?: Callback<[QueuedPacket]>): unknown {
    return this.outgoingEnqueueCombi([sub], packet, cb);
  }

  outgoingEnqueueCombi(
    subs: { clientId: string }[],
    packet: QueuedPacket,
    cb?: Callback<[QueuedPacket]>,
  ): unknown {
    return settle(
      () => {
        for (const sub of subs) this.queue(sub.clientId).enqueue(new PacketCopy(packet));
        return { args: [packet] as [QueuedPacket] };
      },
      cb,
      true,
    );
  }

  outgoingUpdate(client: ClientRef, packet: QueuedPacket, cb?: Callback<[ClientRef, QueuedPacket]>): unknown {
    return settle(
      () => {
        if (!this.queues.get(client.id)?.update(packet)) throw new Error('no such packet');
        return { args: [client, packet] as [ClientRef, QueuedPacket] };
      },
      cb,
      false,
    );
  }

  outgoingClearMessageId(
    client: ClientRef,
    packet: QueuedPacket,
    cb?: Callback<[QueuedPacket | undefined]>,
  ): unknown {
    return settle(
      () => {
        const queue = this.queues.get(client.id);
        const cleared = queue?.clear(packet.messageId);
        if (queue) this.forget(client.id, queue);
        return { value: cleared, args: [cleared] as [QueuedPacket | undefined] };
      },
      cb,
      false,
    );
  }

  /** The client's queue in order, as it stands now (later changes do not reach the stream). */
  outgoingStream(client: ClientRef): Readable {
    const queue = this.queues.get(client.id);
    return Readable.from(queue ? [...queue.entries.values()].map((entry) => entry.packet) : []);
  }
}

/**
 * aedes's in-memory persistence with its outgoing queues replaced by `IndexedOutgoing`. The
 * object stays aedes's own (its async `setup`, retained messages, subscriptions, wills).
 */
export function indexedMemoryPersistence(): { persistence: unknown; outgoing: IndexedOutgoing } {
  const store = memoryPersistence();
  const outgoing = new IndexedOutgoing();
  for (const method of [
    'outgoingEnqueue',
    'outgoingEnqueueCombi',
    'outgoingUpdate',
    'outgoingClearMessageId',
    'outgoingStream',
  ] as const) {
    store[method] = outgoing[method].bind(outgoing);
  }
  return { persistence: store, outgoing };
}
