import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { guardPacketSize, MqttFrameMeter } from '../../../hub-server/src/broker/packet-size-guard.ts';

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'cctv/v1/site/a/state',
    payload: Buffer.alloc(payloadBytes, 0x61),
    qos: 1,
    messageId: 1,
    retain: false,
    dup: false,
  });

describe('MqttFrameMeter', () => {
  it.each<[string, Buffer[], number | null]>([
    ['a small packet', [publish(100)], null],
    ['packets at the limit, back to back', [Buffer.concat([publish(970), publish(970), publish(970)])], null],
    ['a packet over the limit', [publish(1_000)], publish(1_000).length],
    [
      'an oversized packet after a small one in the same chunk',
      [Buffer.concat([publish(10), publish(5_000)])],
      publish(5_000).length,
    ],
    [
      'an oversized packet whose length bytes arrive one at a time',
      [...publish(300_000).subarray(0, 5)].map((b) => Buffer.from([b])),
      publish(300_000).length,
    ],
    [
      'a malformed five-byte length',
      [Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])],
      Number.POSITIVE_INFINITY,
    ],
  ])('%s', (_name, chunks, tooLarge) => {
    // 1,000 bytes: the packets of 970 payload bytes (997 bytes in all) fit.
    const meter = new MqttFrameMeter(1_000);
    let found: number | null = null;
    for (const chunk of chunks) found ??= meter.feed(chunk);
    expect(found).toBe(tooLarge);
  });

  it('follows packets split anywhere across chunks', () => {
    const stream = Buffer.concat([publish(500), publish(0), publish(900)]);
    const meter = new MqttFrameMeter(1_000);
    for (let i = 0; i < stream.length; i += 7) expect(meter.feed(stream.subarray(i, i + 7))).toBeNull();
    expect(meter.feed(publish(2_000))).toBe(publish(2_000).length);
  });
});

describe('guardPacketSize', () => {
  it('passes pieces written together to the socket as one write', async () => {
    const socket = new PassThrough();
    const writes: Buffer[] = [];
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    const guarded = guardPacketSize(socket, 1_000, () => {});
    guarded.cork();
    guarded.write(Buffer.from([1, 2]));
    guarded.write(Buffer.from([3]));
    guarded.write(Buffer.from([4, 5, 6]));
    guarded.uncork();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([Buffer.from([1, 2, 3, 4, 5, 6])]);
  });

  it('passes bytes through, then closes both ends at an oversized packet before its body arrives', async () => {
    const socket = new PassThrough();
    const refused: number[] = [];
    const guarded = guardPacketSize(socket, 1_000, (bytes) => refused.push(bytes));
    const read: Buffer[] = [];
    guarded.on('data', (chunk: Buffer) => read.push(chunk));
    const closed = new Promise((resolve) => guarded.once('close', resolve));
    socket.write(publish(10));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(read)).toEqual(publish(10));
    // Only the header of a 1 MB packet: refused at once, nothing of it reaches the broker.
    socket.write(publish(1_000_000).subarray(0, 8));
    await closed;
    expect(refused).toEqual([publish(1_000_000).length]);
    expect(Buffer.concat(read)).toEqual(publish(10));
    expect(socket.destroyed).toBe(true);
  });
});
