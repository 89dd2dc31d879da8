import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one system call per 256 ids instead of one per id. */
const pool = Buffer.alloc(16 * 256);
let offset = pool.length;

function randomBytes10(): Buffer {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 10);
  offset += 10;
  return bytes;
}

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits. Ids made
 * later sort later, so the hub's dedupe ledger and sample tables, keyed by message id, grow at
 * their right edge instead of at random places in their indexes (random v4 ids made PostgreSQL
 * insert throughput collapse once those indexes outgrew memory, about a million rows in).
 */
export function timeOrderedUuid(nowMs = Date.now()): string {
  const bytes = Buffer.alloc(16);
  const ms = Math.max(0, Math.floor(nowMs));
  bytes.writeUIntBE(ms % 2 ** 48, 0, 6);
  randomBytes10().copy(bytes, 6);
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
