import { createHash } from 'node:crypto';
import type { AuditEntry, AuditVerifyResult, ChainProblem } from '../../../src/schemas/audit-api.ts';

/*
 * The hash chain, pure: canonical form, entry hash and verification. Each entry's hash is the
 * SHA-256 of its canonical form, which includes the previous entry's hash; the first entry links to
 * GENESIS_HASH. Changing any field of an entry changes its hash; removing one leaves a seq gap or a
 * prev_hash that no longer matches; removing the newest leaves the log short of the chain head.
 */

export const GENESIS_HASH = '0'.repeat(64);
const FORMAT_VERSION = 1;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The fields an entry's hash covers: all of them except the hash itself. */
export type AuditEntryContent = Omit<AuditEntry, 'hash'>;

// PostgreSQL text and jsonb refuse NUL, and a lone UTF-16 surrogate cannot be stored as UTF-8: the
// database would keep a different string from the one hashed, breaking the chain for an innocent
// entry (a login name is enough). Both become U+FFFD before hashing.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

/** A copy of a JSON value with every string and key storable and undefined members left out. */
export function storableJson(value: unknown, path = 'detail'): JsonValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return storableText(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
    // -0 would come back from the database as 0.
    return value === 0 ? 0 : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => storableJson(v ?? null, `${path}[${i}]`));
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) out[storableText(key)] = storableJson(v, `${path}.${key}`);
    }
    return out;
  }
  throw new TypeError(`${path}: a ${typeof value} is not JSON`);
}

/**
 * JSON with object keys sorted by UTF-16 code unit at every level, no whitespace. The database's
 * jsonb reorders keys, so the order they were written in cannot be part of the hash.
 */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The canonical form of an entry: every field, the previous hash included, in one JSON object. */
export function canonicalEntry(entry: AuditEntryContent): string {
  return canonicalJson({
    v: FORMAT_VERSION,
    seq: entry.seq,
    at: entry.at,
    kind: entry.kind,
    actor: entry.actor,
    role: entry.role,
    councilId: entry.councilId,
    subject: entry.subject,
    incidentRef: entry.incidentRef,
    reason: entry.reason,
    detail: entry.detail as JsonValue,
    prevHash: entry.prevHash,
  });
}

export function entryHash(entry: AuditEntryContent): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}

export interface ChainHead {
  seq: number;
  hash: string;
}

const short = (hash: string) => hash.slice(0, 12);

/**
 * Walks a chain in seq order, entry by entry (the log is read in pages), and stops at the first
 * broken place. `finish` compares the end of the log with the chain head.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private problemFound: ChainProblem | null = null;

  get checked(): number {
    return this.expectedSeq - 1;
  }

  get problem(): ChainProblem | null {
    return this.problemFound;
  }

  /** Checks the next entry; returns false once the chain is broken (later entries are not checked). */
  add(entry: AuditEntry): boolean {
    if (this.problemFound) return false;
    const seq = entry.seq;
    const expected = this.expectedSeq;
    if (seq > expected) {
      const missing = seq === expected + 1 ? `entry ${expected} is` : `entries ${expected} to ${seq - 1} are`;
      return this.fail(
        'SEQ_GAP',
        expected,
        `${missing} missing: ${expected === 1 ? 'the log starts at' : `entry ${expected - 1} is followed by`} entry ${seq}`,
      );
    }
    if (seq < expected)
      return this.fail(
        'SEQ_ORDER',
        seq,
        `entry ${seq} appears again or out of order after entry ${expected - 1}`,
      );
    if (entry.prevHash !== this.prevHash) {
      return this.fail(
        'PREV_HASH_MISMATCH',
        seq,
        seq === 1
          ? `entry 1 does not start the chain: its previous hash is ${short(entry.prevHash)}..., not the genesis hash`
          : `entry ${seq} does not follow entry ${seq - 1}: its previous hash ${short(entry.prevHash)}... differs from entry ${seq - 1}'s hash ${short(this.prevHash)}... (an entry was removed and the rest renumbered, or one of the two was altered)`,
      );
    }
    const computed = entryHash(entry);
    if (computed !== entry.hash) {
      return this.fail(
        'HASH_MISMATCH',
        seq,
        `entry ${seq} was altered: its fields hash to ${short(computed)}..., but its recorded hash is ${short(entry.hash)}...`,
      );
    }
    this.prevHash = entry.hash;
    this.expectedSeq = seq + 1;
    return true;
  }

  /** Compares the end of the log with the chain head; null head means its record is gone. */
  finish(head: ChainHead | null): ChainProblem | null {
    if (this.problemFound) return this.problemFound;
    const last = this.expectedSeq - 1;
    if (!head) {
      this.fail(
        'HEAD_MISSING',
        last + 1,
        'the chain head record is missing, so removed newest entries cannot be ruled out',
      );
    } else if (head.seq > last) {
      const missing =
        head.seq === last + 1 ? `entry ${head.seq} is` : `entries ${last + 1} to ${head.seq} are`;
      this.fail(
        'TAIL_MISSING',
        last + 1,
        `${missing} missing: the chain head records ${head.seq} entries but the log ends ${last === 0 ? 'empty' : `at entry ${last}`}`,
      );
    } else if (head.seq < last) {
      this.fail(
        'HEAD_MISMATCH',
        head.seq + 1,
        `the log goes on past the chain head (entry ${head.seq}) to entry ${last}`,
      );
    } else if (head.hash !== this.prevHash) {
      this.fail(
        'HEAD_MISMATCH',
        last,
        `entry ${last} does not match the chain head: its hash is ${short(this.prevHash)}..., the head records ${short(head.hash)}...`,
      );
    }
    return this.problemFound;
  }

  result(head: ChainHead | null): AuditVerifyResult {
    const problem = this.finish(head);
    return {
      ok: problem === null,
      checked: this.checked,
      head,
      problem,
      message: problem
        ? `audit log broken at entry ${problem.seq}: ${problem.message}`
        : `audit log intact: ${this.checked} entries, head hash ${head?.hash ?? GENESIS_HASH}`,
    };
  }

  private fail(code: ChainProblem['code'], seq: number, message: string): false {
    this.problemFound = { code, seq, message };
    return false;
  }
}

/** Verifies a whole chain held in memory, in seq order. */
export function verifyChain(entries: Iterable<AuditEntry>, head: ChainHead | null): AuditVerifyResult {
  const verifier = new ChainVerifier();
  for (const entry of entries) if (!verifier.add(entry)) break;
  return verifier.result(head);
}
