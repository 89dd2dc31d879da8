import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AuditEntryContent,
  canonicalEntry,
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  storableJson,
  storableText,
  verifyChain,
} from '../../../hub-server/src/audit/chain.ts';
import type { AuditEntry } from '../../../src/schemas/audit-api.ts';

const T0 = Date.parse('2026-03-29T00:30:00Z');

/** A valid chain of n entries, built the way the hub appends them. */
function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content: AuditEntryContent = {
      seq,
      at: new Date(T0 + seq * 1000).toISOString(),
      kind: seq % 2 ? 'login.success' : 'export.report',
      actor: `user-${seq}`,
      role: 'council',
      councilId: 'penzance',
      subject: seq % 2 ? null : 'council:penzance',
      incidentRef: null,
      reason: null,
      detail: { file: 'uptime.csv', n: seq },
      prevHash,
    };
    const entry = { ...content, hash: entryHash(content) };
    out.push(entry);
    prevHash = entry.hash;
  }
  return out;
}
const headOf = (entries: AuditEntry[]) => {
  const last = entries.at(-1);
  return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
};

describe('canonical form', () => {
  it('sorts keys at every level and drops whitespace, so key order never changes a hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: null, y: 'x' }], c: true } })).toBe(
      '{"a":{"c":true,"d":[2,{"y":"x","z":null}]},"b":1}',
    );
    const a = chain(1)[0] as AuditEntry;
    const reordered = { ...a, detail: { n: 1, file: 'uptime.csv' } };
    expect(entryHash(reordered)).toBe(a.hash);
  });

  it('is the SHA-256 of the canonical entry, previous hash included', () => {
    const a = chain(1)[0] as AuditEntry;
    const text = canonicalEntry(a);
    expect(text).toContain(`"prevHash":"${GENESIS_HASH}"`);
    expect(text).not.toContain('"hash"');
    expect(a.hash).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });

  it.each([
    ['seq', { seq: 2 }],
    ['at', { at: new Date(T0 + 1001).toISOString() }],
    ['kind', { kind: 'login.refused' }],
    ['actor', { actor: 'user-2' }],
    ['role', { role: null }],
    ['councilId', { councilId: 'truro' }],
    ['subject', { subject: 'camera:x' }],
    ['incidentRef', { incidentRef: 'INC-1' }],
    ['reason', { reason: '' }],
    ['detail', { detail: { file: 'uptime.csv', n: 2 } }],
    ['prevHash', { prevHash: 'f'.repeat(64) }],
  ] as const)('changes when %s changes', (_field, change) => {
    const a = chain(1)[0] as AuditEntry;
    expect(entryHash({ ...a, ...change } as AuditEntryContent)).not.toBe(a.hash);
  });

  it('tells null from the string "null" and from a missing detail member', () => {
    const a = chain(1)[0] as AuditEntry;
    expect(entryHash({ ...a, reason: 'null' })).not.toBe(entryHash({ ...a, reason: null }));
    expect(entryHash({ ...a, detail: { file: 'uptime.csv', n: 1, x: null } })).not.toBe(a.hash);
  });

  it('makes text storable: NUL and lone surrogates become U+FFFD, pairs stay', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('x\uDC00')).toBe('x\uFFFD');
    expect(storableText('cam 📷')).toBe('cam 📷');
    expect(storableJson({ 'k\u0000': ['\uDBFF'], gone: undefined, z: -0 })).toEqual({
      'k\uFFFD': ['\uFFFD'],
      z: 0,
    });
    expect(Object.is((storableJson({ z: -0 }) as { z: number }).z, 0)).toBe(true);
  });

  it.each([
    [{ n: Number.NaN }, 'detail.n: NaN is not a JSON number'],
    [{ n: [Number.POSITIVE_INFINITY] }, 'detail.n[0]: Infinity is not a JSON number'],
    [{ f: () => 1 }, 'detail.f: a function is not JSON'],
  ])('refuses detail that JSON cannot carry: %o', (detail, message) => {
    expect(() => storableJson(detail)).toThrow(message);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', () => {
    const entries = chain(5);
    const result = verifyChain(entries, headOf(entries));
    expect(result).toMatchObject({ ok: true, checked: 5, problem: null });
    expect(result.message).toContain('intact: 5 entries');
    expect(verifyChain([], { seq: 0, hash: GENESIS_HASH })).toMatchObject({ ok: true, checked: 0 });
  });

  it('finds an altered field (hash mismatch) at that entry', () => {
    const entries = chain(5);
    entries[2] = { ...(entries[2] as AuditEntry), actor: 'someone-else' };
    const result = verifyChain(entries, headOf(entries));
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(2);
    expect(result.problem).toMatchObject({ code: 'HASH_MISMATCH', seq: 3 });
    expect(result.message).toMatch(/^audit log broken at entry 3: entry 3 was altered/);
  });

  it('finds an altered entry whose hash was recomputed, at the next entry', () => {
    const entries = chain(5);
    const altered = { ...(entries[2] as AuditEntry), reason: 'covered up' };
    entries[2] = { ...altered, hash: entryHash(altered) };
    const result = verifyChain(entries, headOf(entries));
    expect(result.problem).toMatchObject({ code: 'PREV_HASH_MISMATCH', seq: 4 });
    expect(result.problem?.message).toContain('does not follow entry 3');
  });

  it('finds a removed entry in the middle as a seq gap', () => {
    const entries = chain(6);
    const result = verifyChain(
      entries.filter((e) => e.seq !== 3),
      headOf(entries),
    );
    expect(result.problem).toMatchObject({ code: 'SEQ_GAP', seq: 3 });
    expect(result.problem?.message).toBe('entry 3 is missing: entry 2 is followed by entry 4');
  });

  it('names the range when several entries, or the first, are gone', () => {
    const entries = chain(6);
    expect(verifyChain([...entries.slice(0, 1), ...entries.slice(4)], headOf(entries)).problem).toMatchObject(
      {
        code: 'SEQ_GAP',
        seq: 2,
        message: 'entries 2 to 4 are missing: entry 1 is followed by entry 5',
      },
    );
    expect(verifyChain(entries.slice(1), headOf(entries)).problem).toMatchObject({ code: 'SEQ_GAP', seq: 1 });
  });

  it('finds a removed entry whose successors were renumbered as a broken link', () => {
    const entries = chain(5);
    const renumbered = [
      ...entries.slice(0, 2),
      ...entries.slice(3).map((e) => {
        const moved = { ...e, seq: e.seq - 1 };
        return { ...moved, hash: entryHash(moved) };
      }),
    ];
    const result = verifyChain(renumbered, { seq: 4, hash: (renumbered[3] as AuditEntry).hash });
    expect(result.problem).toMatchObject({ code: 'PREV_HASH_MISMATCH', seq: 3 });
  });

  it('finds removed newest entries by comparing with the chain head', () => {
    const entries = chain(5);
    const head = headOf(entries);
    expect(verifyChain(entries.slice(0, 4), head).problem).toMatchObject({
      code: 'TAIL_MISSING',
      seq: 5,
      message: 'entry 5 is missing: the chain head records 5 entries but the log ends at entry 4',
    });
    expect(verifyChain([], head).problem).toMatchObject({
      code: 'TAIL_MISSING',
      seq: 1,
      message: 'entries 1 to 5 are missing: the chain head records 5 entries but the log ends empty',
    });
  });

  it('finds a head that does not match the last entry, or is missing', () => {
    const entries = chain(3);
    expect(verifyChain(entries, { seq: 3, hash: 'a'.repeat(64) }).problem).toMatchObject({
      code: 'HEAD_MISMATCH',
      seq: 3,
    });
    expect(verifyChain(entries, { seq: 2, hash: (entries[1] as AuditEntry).hash }).problem).toMatchObject({
      code: 'HEAD_MISMATCH',
      seq: 3,
    });
    expect(verifyChain(entries, null).problem).toMatchObject({ code: 'HEAD_MISSING' });
  });

  it('refuses a first entry that does not link to the genesis hash', () => {
    const first = { ...(chain(1)[0] as AuditEntry), prevHash: 'b'.repeat(64) };
    const entry = { ...first, hash: entryHash(first) };
    expect(verifyChain([entry], { seq: 1, hash: entry.hash }).problem).toMatchObject({
      code: 'PREV_HASH_MISMATCH',
      seq: 1,
    });
  });

  it('reports a repeated seq', () => {
    const entries = chain(3);
    expect(
      verifyChain([...entries.slice(0, 2), entries[1] as AuditEntry], headOf(entries)).problem,
    ).toMatchObject({
      code: 'SEQ_ORDER',
      seq: 2,
    });
  });
});
