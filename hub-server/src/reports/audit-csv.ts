import type { AuditEntry } from '../../../src/schemas/audit-api.ts';
import { canonicalJson, type JsonValue } from '../audit/chain.ts';
import { csvDocument, num } from './csv-writer.ts';

/** Every column, hashes included, so an auditor can re-check the chain from the file alone. */
export function auditCsv(entries: readonly AuditEntry[]): Buffer {
  return csvDocument(
    [
      'seq',
      'at',
      'kind',
      'actor',
      'role',
      'council_id',
      'subject',
      'incident_ref',
      'reason',
      'detail',
      'prev_hash',
      'hash',
    ],
    entries.map((e) => [
      num(String(e.seq)),
      e.at,
      e.kind,
      e.actor,
      e.role,
      e.councilId,
      e.subject,
      e.incidentRef,
      e.reason,
      canonicalJson(e.detail as JsonValue),
      e.prevHash,
      e.hash,
    ]),
  );
}
