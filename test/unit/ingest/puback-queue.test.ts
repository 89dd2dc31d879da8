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
});
