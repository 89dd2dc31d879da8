import { evidenceText } from '../../../src/compliance/evidence-text.ts';
import type { PackResult } from '../../../src/compliance/result.ts';
import type { Rule } from '../../../src/compliance/rule-pack.ts';
import type { ReportCompliance } from './report-data.ts';

/**
 * A pack result in the shape the report builders take: evidence in words and units for people,
 * the raw evidence kept beside it for machines. Titles, citations and principles come from the
 * pack (results carry only rule ids); a rule missing from it keeps its id as the title rather than
 * failing the report.
 */
export function reportCompliance(
  pack: PackResult,
  rules: readonly Pick<Rule, 'id' | 'title' | 'source' | 'principles'>[],
): ReportCompliance {
  const byId = new Map(rules.map((r) => [r.id, r]));
  return {
    code: pack.code,
    version: pack.version,
    ref: pack.ref,
    status: pack.status,
    evaluatedAt: new Date(pack.evaluatedAtMs).toISOString(),
    readingsAt: new Date(pack.evaluatedAtMs).toISOString(),
    results: pack.results.map((r) => {
      const rule = byId.get(r.ruleId);
      const threshold = evidenceText(r.evidence.thresholds);
      const value = evidenceText(r.evidence.values);
      return {
        ruleId: r.ruleId,
        kind: r.kind,
        title: rule?.title ?? r.ruleId,
        principles: rule?.principles ?? [],
        source: rule?.source ?? '',
        status: r.status,
        reason: r.reason,
        ...(threshold === undefined ? {} : { threshold }),
        ...(value === undefined ? {} : { value }),
        evidence: r.evidence,
      };
    }),
  };
}
