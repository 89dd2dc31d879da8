import { describe, expect, it } from 'vitest';
import { PubackQueue } from '../../../hub-server/src/ingest/mqtt-ingest.ts';

describe('PUBACKs held until commit', () => {
  it('sends them in the order the messages came, whatever order they commit in', () => {
    const q = new PubackQueue();
    const sent: number[] = [];
    for (const id of [7, 3, 9]) q.received(id);
    for (const id of [7, 3, 9]) expect(q.park(id, () => sent.push(id))).toBe(true);
    // Another writer's message commits first: its PUBACK waits for the two before it.
    q.committed(9);
    expect(sent).toEqual([]);
    q.committed(7);
    expect(sent).toEqual([7]);
    q.committed(3);
    expect(sent).toEqual([7, 3, 9]);
    expect(q.size).toBe(0);
  });

  it('sends a PUBACK made after its message committed, once those before it are sent', () => {
    const q = new PubackQueue();
    const sent: number[] = [];
    q.received(1);
    q.received(2);
    q.committed(2);
    q.committed(1);
    expect(q.park(2, () => sent.push(2))).toBe(true);
    expect(sent).toEqual([]);
    expect(q.park(1, () => sent.push(1))).toBe(true);
    expect(sent).toEqual([1, 2]);
  });

  it('leaves PUBACKs of messages it does not hold to be sent at once, and forgets all on a lost connection', () => {
    const q = new PubackQueue();
    expect(q.park(5, () => {})).toBe(false);
    q.received(1);
    q.clear();
    q.committed(1);
    expect(q.park(1, () => {})).toBe(false);
    expect(q.size).toBe(0);
  });

  it('keeps the order over many thousands of messages and reused packet ids, commits out of order', () => {
    const q = new PubackQueue();
    const sent: number[] = [];
    const received: number[] = [];
    let nextId = 65_000;
    // Packet ids wrap at 65535, and an id comes again once its PUBACK has gone.
    const take = () => {
      nextId = nextId === 65_535 ? 1 : nextId + 1;
      return nextId;
    };
    for (let round = 0; round < 20; round++) {
      const ids = Array.from({ length: 2_500 }, take);
      for (const id of ids) {
        q.received(id);
        received.push(id);
        q.park(id, () => sent.push(id));
      }
      // The first 1,500 commit in order and go at once; of the rest, nothing goes until its first commits.
      for (const id of ids.slice(0, 1_500)) q.committed(id);
      expect(sent.length).toBe(round * 2_500 + 1_500);
      for (const id of ids.slice(1_501).reverse()) q.committed(id);
      expect(sent.length).toBe(round * 2_500 + 1_500);
      q.committed(ids[1_500] as number);
      expect(sent.length).toBe((round + 1) * 2_500);
      expect(q.size).toBe(0);
    }
    expect(sent).toEqual(received);
  });
});
