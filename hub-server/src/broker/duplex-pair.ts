import { Duplex } from 'node:stream';

/**
 * Two in-memory streams joined end to end: what one writes the other reads, ending one ends the
 * other's reading, destroying one destroys both (Node 20 has no stream.duplexPair).
 *
 * Backpressure crosses the pair as it crosses a socket: a write whose bytes the other end's
 * reader has not asked for yet is not done until it asks (its `read`), so the writer's buffer
 * fills and `write` returns false. The embedded broker then waits for 'drain' before it sends the
 * hub more, and takes the sites' messages no faster than the hub reads them.
 */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const finished = [false, false];
  /** Per end: its last write, held until the other end's reader asks for more. */
  const held: ((() => void) | null)[] = [null, null];
  /** Delivers to end `to`; false when that end's reader wants no more for now. */
  const deliver = (to: number, chunk: Buffer | null): boolean => {
    const peer = ends[to] as Duplex;
    if (peer.destroyed || finished[to]) return true;
    if (chunk === null) finished[to] = true;
    return peer.push(chunk);
  };
  const release = (writer: number) => {
    const callback = held[writer];
    held[writer] = null;
    callback?.();
  };
  const make = (self: number) =>
    new Duplex({
      allowHalfOpen: false,
      read() {
        release(1 - self);
      },
      write(chunk: Buffer, _encoding, callback) {
        if (deliver(1 - self, chunk)) callback();
        else held[self] = () => callback();
      },
      final(callback) {
        deliver(1 - self, null);
        callback();
      },
      destroy(error, callback) {
        held[self] = null;
        const peer = ends[1 - self] as Duplex;
        if (!peer.destroyed) peer.destroy();
        callback(error);
      },
    });
  ends.push(make(0), make(1));
  return [ends[0] as Duplex, ends[1] as Duplex];
}
