import { PRINCIPLES } from '../../../src/compliance/principles.ts';
import type { RuleStatus } from '../../../src/compliance/result.ts';
import type { CouncilReportData } from './report-data.ts';

/*
 * The pack's closing summary, one row per Surveillance Camera Code principle: what the hub's rules
 * evidence automatically, what rests on a council record, and what is missing. Built from the same
 * rule results the compliance section prints.
 */

/** Rule kinds judged from records the council enters in the hub, not from monitoring. */
const RECORD_KINDS = new Set(['review']);

export interface RuleTally {
  ruleId: string;
  counts: Record<RuleStatus, number>;
}

export interface PrincipleRow {
  number: number;
  title: string;
  /** Rules measured by the hub, with their results over the council's cameras. */
  automatic: RuleTally[];
  /** Rules judged from records entered in the hub (review dates). */
  recorded: RuleTally[];
  /** What the council holds outside the hub; null where the measurements are the evidence. */
  councilRecord: string | null;
  /** Rules that could not be judged for some cameras, and principles with no evidence at all. */
  missing: string[];
  /** evidenced: every rule judged; partial: some not evaluable; record: council records only; missing: nothing. */
  standing: 'evidenced' | 'partial' | 'record' | 'missing';
}

const emptyCounts = (): Record<RuleStatus, number> => ({ pass: 0, warn: 0, fail: 0, not_evaluable: 0 });

export function principleSummary(data: CouncilReportData): PrincipleRow[] {
  // principle -> rule id -> tally, over every camera's results
  const tallies = new Map<number, Map<string, { kind: string; counts: Record<RuleStatus, number> }>>();
  for (const camera of data.cameras) {
    for (const r of camera.compliance?.results ?? []) {
      for (const n of r.principles) {
        const rules = tallies.get(n) ?? new Map();
        const tally = rules.get(r.ruleId) ?? { kind: r.kind, counts: emptyCounts() };
        tally.counts[r.status]++;
        rules.set(r.ruleId, tally);
        tallies.set(n, rules);
      }
    }
  }
  return PRINCIPLES.map((p) => {
    const rules = [...(tallies.get(p.number) ?? new Map()).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const automatic: RuleTally[] = [];
    const recorded: RuleTally[] = [];
    const missing: string[] = [];
    for (const [ruleId, { kind, counts }] of rules) {
      (RECORD_KINDS.has(kind) ? recorded : automatic).push({ ruleId, counts });
      if (counts.not_evaluable > 0) {
        const judged = counts.pass + counts.warn + counts.fail;
        missing.push(
          `${ruleId}: not evaluable for ${counts.not_evaluable} camera${counts.not_evaluable === 1 ? '' : 's'}${judged > 0 ? ` of ${judged + counts.not_evaluable}` : ''}`,
        );
      }
    }
    const judgedAny = rules.some(([, t]) => t.counts.pass + t.counts.warn + t.counts.fail > 0);
    if (rules.length === 0 && p.councilRecord === null)
      missing.push('no rule of the assigned codes evidences it');
    const standing: PrincipleRow['standing'] =
      rules.length === 0
        ? p.councilRecord === null
          ? 'missing'
          : 'record'
        : missing.length === 0
          ? 'evidenced'
          : judgedAny
            ? 'partial'
            : 'missing';
    return {
      number: p.number,
      title: p.title,
      automatic,
      recorded,
      councilRecord: p.councilRecord,
      missing,
      standing,
    };
  });
}

/** "clock-offset 55 pass, 3 warn, 2 fail" with zero counts left out. */
export function tallyText(t: RuleTally): string {
  const parts = (['pass', 'warn', 'fail', 'not_evaluable'] as const)
    .filter((s) => t.counts[s] > 0)
    .map((s) => `${t.counts[s]} ${s === 'not_evaluable' ? 'not evaluable' : s}`);
  return `${t.ruleId}: ${parts.join(', ')}`;
}

/** Rules of the assigned codes that name no principle: they cannot be placed in the summary, so the pack lists them. */
export function rulesNamingNoPrinciple(data: CouncilReportData): string[] {
  const ids = new Set<string>();
  for (const camera of data.cameras) {
    for (const r of camera.compliance?.results ?? []) if (r.principles.length === 0) ids.add(r.ruleId);
  }
  return [...ids].sort();
}
