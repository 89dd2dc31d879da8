import { Duplex } from 'node:stream';

/**
 * Follows MQTT framing on a byte stream and says when a packet is larger than allowed, from its
 * fixed header alone [MQTT-2.2]: one type byte, then the remaining length in 1-4 bytes of 7 bits
 * each [MQTT-2.2.3]. The body is skipped, never held.
 */
export class MqttFrameMeter {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private bodyLeft = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** The size of the first packet in this chunk that is too large (Infinity if malformed), else null. */
  feed(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const byte = chunk[i++] as number;
        this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
        this.lengthBytes++;
        if (byte & 0x80) {
          // A fifth length byte is a malformed packet [MQTT-2.2.3]: no size can be trusted after it.
          if (this.lengthBytes === 4) return Number.POSITIVE_INFINITY;
          continue;
        }
        const size = 1 + this.lengthBytes + this.length;
        if (size > this.maxPacketBytes) return size;
        this.bodyLeft = this.length;
        this.state = this.length > 0 ? 'body' : 'type';
      } else {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        i += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) this.state = 'type';
      }
    }
    return null;
  }
}

/**
 * The connection as the broker sees it: the socket's bytes pass through unchanged until a packet
 * header announces more than maxPacketBytes; then both ends are closed before any of its body is
 * buffered (aedes itself would hold up to 256 MB per packet). MQTT 3.1.1 has no way to tell the
 * client why [MQTT-4.8.0-1]: closing the network connection is the refusal.
 */
export function guardPacketSize(
  socket: Duplex,
  maxPacketBytes: number,
  onTooLarge: (packetBytes: number) => void,
): Duplex {
  const meter = new MqttFrameMeter(maxPacketBytes);
  const guarded = new Duplex({
    allowHalfOpen: false,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    // Pieces written together (mqtt-packet corks the stream for each packet's pieces, and writes
    // queue while one is in flight) go to the socket as one write. Without it each piece was a
    // system call of its own: 32 % of the hub's main thread at 5,000 QoS 1 messages a second.
    // (Node calls it only with more than one chunk queued.)
    writev(chunks: { chunk: Buffer }[], callback) {
      socket.write(Buffer.concat(chunks.map((c) => c.chunk)), callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (guarded.destroyed) return;
    const tooLarge = meter.feed(chunk);
    if (tooLarge !== null) {
      socket.pause();
      onTooLarge(tooLarge);
      guarded.destroy();
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('error', (error) => guarded.destroy(error));
  socket.on('close', () => guarded.destroy());
  return guarded;
}
