import { Duplex } from 'node:stream';

/**
 * Two in-memory streams joined end to end: what one writes the other reads, ending one ends the
 * other's reading, destroying one destroys both (Node 20 has no stream.duplexPair).
 */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const finished = [false, false];
  const deliver = (to: number, chunk: Buffer | null) => {
    const peer = ends[to] as Duplex;
    if (peer.destroyed || finished[to]) return;
    if (chunk === null) finished[to] = true;
    peer.push(chunk);
  };
  const make = (self: number) =>
    new Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        deliver(1 - self, chunk);
        callback();
      },
      final(callback) {
        deliver(1 - self, null);
        callback();
      },
      destroy(error, callback) {
        const peer = ends[1 - self] as Duplex;
        if (!peer.destroyed) peer.destroy();
        callback(error);
      },
    });
  ends.push(make(0), make(1));
  return [ends[0] as Duplex, ends[1] as Duplex];
}
