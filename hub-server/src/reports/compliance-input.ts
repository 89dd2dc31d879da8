import type { EvidenceBag, PackResult } from '../../../src/compliance/result.ts';
import type { ReportCompliance } from './report-data.ts';

/** "minShare 0.995, maxAgeMs 3600000": evidence bags are open-ended, so each entry is shown as it is. */
export function formatEvidence(bag: EvidenceBag): string | undefined {
  const entries = Object.entries(bag).map(
    ([key, value]) => `${key} ${Array.isArray(value) ? value.join('/') : String(value)}`,
  );
  return entries.length > 0 ? entries.join(', ') : undefined;
}

/**
 * A stored pack result in the shape the report builders take. Titles come from the pack (results
 * carry only rule ids); a rule missing from it keeps its id as the title rather than failing the report.
 */
export function reportCompliance(pack: PackResult, titles: ReadonlyMap<string, string>): ReportCompliance {
  return {
    code: pack.code,
    version: pack.version,
    status: pack.status,
    results: pack.results.map((r) => {
      const threshold = formatEvidence(r.evidence.thresholds);
      const value = formatEvidence(r.evidence.values);
      return {
        ruleId: r.ruleId,
        title: titles.get(r.ruleId) ?? r.ruleId,
        status: r.status,
        reason: r.reason,
        ...(threshold === undefined ? {} : { threshold }),
        ...(value === undefined ? {} : { value }),
      };
    }),
  };
}
