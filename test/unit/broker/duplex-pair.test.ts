import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { duplexPair } from '../../../hub-server/src/broker/duplex-pair.ts';

const chunk = (n: number, size = 64 * 1024) => Buffer.alloc(size, n % 251);

describe('the in-process stream pair the hub reaches its own broker by', () => {
  it('pushes back on a writer whose reader does not read, as a socket does, and drains once it reads', async () => {
    const [writer, reader] = duplexPair();
    reader.pause();
    let writes = 0;
    while (writer.write(chunk(writes))) {
      writes++;
      expect(writes, 'write() never returned false').toBeLessThan(64);
    }
    let drained = false;
    writer.once('drain', () => {
      drained = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false);
    const received: Buffer[] = [];
    reader.on('data', (data: Buffer) => received.push(data));
    reader.resume();
    await once(writer, 'drain');
    // Buffer.equals: a deep comparison of megabytes, byte by byte, takes seconds.
    expect(
      Buffer.concat(received).equals(Buffer.concat(Array.from({ length: writes + 1 }, (_, n) => chunk(n)))),
    ).toBe(true);
  });

  it('delivers everything in order to a slow reader, both ways', async () => {
    const [a, b] = duplexPair();
    const sent = Array.from({ length: 200 }, (_, n) => chunk(n, 10_000 + n));
    // A reader that takes one chunk per turn of the event loop.
    const read = (end: typeof a, bytes: number) =>
      new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        let got = 0;
        end.on('data', (data: Buffer) => {
          parts.push(data);
          got += data.length;
          if (got >= bytes) resolve(Buffer.concat(parts));
          else {
            end.pause();
            setImmediate(() => end.resume());
          }
        });
      });
    const total = sent.reduce((n, c) => n + c.length, 0);
    const write = async (end: typeof a) => {
      for (const c of sent) if (!end.write(c)) await once(end, 'drain');
    };
    const [fromA, fromB] = await Promise.all([read(b, total), read(a, total), write(a), write(b)]);
    expect(fromA.equals(Buffer.concat(sent))).toBe(true);
    expect(fromB.equals(Buffer.concat(sent))).toBe(true);
  });

  it('ends the other side on end, and destroys both on destroy, a held write included', async () => {
    const [a, b] = duplexPair();
    b.resume();
    a.end(Buffer.from('bye'));
    await once(b, 'end');
    const [c, d] = duplexPair();
    d.pause();
    for (let n = 0; n < 64 && c.write(chunk(0)); n++) {}
    expect(c.writableNeedDrain).toBe(true);
    d.destroy();
    await once(c, 'close');
    expect(c.destroyed).toBe(true);
  });
});
