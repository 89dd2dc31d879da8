import type {
  AuditEntry,
  AuditFilter,
  AuditKind,
  AuditPage,
  AuditVerifyResult,
} from '../../../src/schemas/audit-api.ts';
import type { ApiClient } from '../api.ts';

// Shapes come from the contract in src/schemas (type-only imports keep TypeBox out of the bundle).
export type { AuditEntry, AuditFilter, AuditKind, AuditPage, AuditVerifyResult };

/** Entries per page; "Show older entries" asks for the next page with `before`. */
export const AUDIT_PAGE_SIZE = 50;

/** The filter as a query string, without empty fields. */
export function filterQuery(filter: AuditFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...filter, ...extra }))
    if (value !== undefined && value !== '') params.set(name, value);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/**
 * The hub's audit log. Auditors and hub operators read all of it, council officers only their
 * councils' entries (the hub scopes them); only auditors and hub operators verify the chain.
 */
export class AuditApi {
  constructor(private readonly api: ApiClient) {}

  page(filter: AuditFilter, before: number | null): Promise<AuditPage> {
    const paging: Record<string, string> = { limit: String(AUDIT_PAGE_SIZE) };
    if (before !== null) paging.before = String(before);
    return this.api.get(`/api/audit${filterQuery(filter, paging)}`);
  }

  /** The whole filtered log as CSV; the hub records the export as an entry of its own. */
  exportCsv(filter: AuditFilter): Promise<{ blob: Blob; fileName: string | null }> {
    return this.api.download(`/api/audit/export.csv${filterQuery(filter)}`);
  }

  verify(): Promise<AuditVerifyResult> {
    return this.api.get('/api/audit/verify');
  }
}
