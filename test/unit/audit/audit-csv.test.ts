import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { entryHash, GENESIS_HASH, verifyChain } from '../../../hub-server/src/audit/chain.ts';
import { auditCsv } from '../../../hub-server/src/http/audit-routes.ts';
import type { AuditEntry } from '../../../src/schemas/audit-api.ts';

function entry(seq: number, prevHash: string, actor: string, detail: Record<string, unknown>): AuditEntry {
  const content = {
    seq,
    at: '2026-10-25T01:30:00.000Z',
    kind: 'feed.start' as const,
    actor,
    role: 'controlroom' as const,
    councilId: 'truro',
    subject: 'camera:truro-1',
    incidentRef: 'INC-42',
    reason: 'line one\r\nline "two", three',
    detail,
    prevHash,
  };
  return { ...content, hash: entryHash(content) };
}

describe('audit CSV export', () => {
  const first = entry(1, GENESIS_HASH, '@admin', { z: 1, a: [-1, 'x'] });
  const second = entry(2, first.hash, 'control', {});

  it('is RFC 4180 with the formula guard on text, not on numbers', () => {
    const text = auditCsv([first, second]).toString('utf8');
    expect(text.startsWith('\uFEFFseq,at,kind,actor,')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      seq: '1',
      actor: "'@admin",
      reason: 'line one\r\nline "two", three',
      detail: '{"a":[-1,"x"],"z":1}',
      prev_hash: GENESIS_HASH,
      hash: first.hash,
    });
    expect(rows[1]?.role).toBe('controlroom');
  });

  it('holds enough to re-check the chain from the file alone', () => {
    const rows = parse(auditCsv([first, second]).toString('utf8'), { columns: true, bom: true }) as Record<
      string,
      string
    >[];
    const back = rows.map(
      (r): AuditEntry => ({
        seq: Number(r.seq),
        at: r.at as string,
        kind: r.kind as AuditEntry['kind'],
        actor: (r.actor as string).replace(/^'(?=[=+\-@\t\r])/, ''),
        role: (r.role || null) as AuditEntry['role'],
        councilId: r.council_id || null,
        subject: r.subject || null,
        incidentRef: r.incident_ref || null,
        reason: r.reason || null,
        detail: JSON.parse(r.detail as string),
        prevHash: r.prev_hash as string,
        hash: r.hash as string,
      }),
    );
    expect(verifyChain(back, { seq: 2, hash: second.hash })).toMatchObject({ ok: true, checked: 2 });
    const altered = back.map((e) => (e.seq === 2 ? { ...e, actor: 'someone' } : e));
    expect(verifyChain(altered, { seq: 2, hash: second.hash }).problem).toMatchObject({
      code: 'HASH_MISMATCH',
      seq: 2,
    });
  });
});
