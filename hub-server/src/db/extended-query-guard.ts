/**
 * Makes the embedded database answer the extended query protocol as PostgreSQL does.
 *
 * pglite-socket hands PGlite one frontend message at a time, and PGlite ends its answer to a Parse,
 * Bind, Describe, Execute or Close that fails with ReadyForQuery at once, before the client's Sync;
 * then the Sync gets a ReadyForQuery of its own. PostgreSQL sends ReadyForQuery only for Sync (and
 * for a simple Query), and after an error it discards every message up to the Sync. With the extra
 * ReadyForQuery, `pg` takes the next queued query as sent and answered: that query resolves with the
 * previous one's result (a SELECT with no rows, a ROLLBACK that did not happen yet), and every query
 * after it is one answer behind until the connection breaks. A statement failing in a transaction
 * (a trigger's exception, a constraint) is enough.
 *
 * This guard sits between the socket server and PGlite: it drops ReadyForQuery from the answers to
 * extended-protocol messages, and after one of them failed it does not run the rest until the Sync,
 * whose answer (PGlite's own ReadyForQuery, with the real transaction status) passes unchanged.
 */

/** Backend message types. */
const READY_FOR_QUERY = 0x5a; // 'Z'
const ERROR_RESPONSE = 0x45; // 'E'
/** Frontend messages of the extended query protocol, which PostgreSQL never answers with ReadyForQuery. */
const EXTENDED = new Set([
  0x50, // 'P' Parse
  0x42, // 'B' Bind
  0x44, // 'D' Describe
  0x45, // 'E' Execute
  0x43, // 'C' Close
  0x48, // 'H' Flush
]);
/** Backend message header: type byte and 32-bit length (which counts itself). */
const HEADER_BYTES = 5;

export interface RawStreamOptions {
  onRawData: (data: Uint8Array) => void;
  syncToFs?: boolean;
}
export type RawStreamExec = (message: Uint8Array, options: RawStreamOptions) => Promise<void>;

export class ExtendedQueryGuard {
  /** A message since the last Sync failed: skip the rest of the extended messages until the Sync. */
  private failed = false;

  constructor(private readonly exec: RawStreamExec) {}

  async execProtocolRawStream(message: Uint8Array, options: RawStreamOptions): Promise<void> {
    const type = message[0];
    if (type === undefined || !EXTENDED.has(type)) {
      // Sync, a simple Query, a startup or termination message: PostgreSQL's error state ends here.
      this.failed = false;
      return this.exec(message, options);
    }
    if (this.failed) return;
    const answer = new AnswerFilter(options.onRawData);
    await this.exec(message, { ...options, onRawData: (data) => answer.push(data) });
    answer.end();
    if (answer.sawError) this.failed = true;
  }

  /** Forgets an error state, e.g. when the session is reset outside the protocol (a ROLLBACK run directly). */
  reset(): void {
    this.failed = false;
  }
}

/**
 * Passes an answer through, message by message, without its ReadyForQuery messages, and notes whether
 * it held an ErrorResponse. The answer may arrive in chunks that split messages anywhere; the receiver
 * copies what it is given at once (as pglite-socket does), so only a split message's head is kept here.
 */
class AnswerFilter {
  sawError = false;
  private carry: Buffer | null = null;

  constructor(private readonly forward: (data: Uint8Array) => void) {}

  push(data: Uint8Array): void {
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let pos = 0;
    let from = 0;
    while (buf.length - pos >= HEADER_BYTES) {
      const end = pos + 1 + buf.readInt32BE(pos + 1);
      if (end > buf.length) break;
      const type = buf[pos];
      if (type === ERROR_RESPONSE) this.sawError = true;
      if (type === READY_FOR_QUERY) {
        if (pos > from) this.forward(buf.subarray(from, pos));
        from = end;
      }
      pos = end;
    }
    if (pos > from) this.forward(buf.subarray(from, pos));
    // The receiver may reuse its memory once we return: keep our own copy of a split message's head.
    if (pos < buf.length) this.carry = Buffer.from(buf.subarray(pos));
  }

  /** Whatever is left was not a whole message: pass it on as it is rather than lose it. */
  end(): void {
    if (this.carry) this.forward(this.carry);
    this.carry = null;
  }
}
