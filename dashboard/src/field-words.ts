import { hubMessage } from './api.ts';

/**
 * The hub's error messages name API fields (`endsAt must be after startsAt`, `body/title must NOT have
 * fewer than 3 characters`), as API users need; a form says them with its own labels instead.
 */
export function inFormWords(error: unknown, labels: Record<string, string>): string {
  let text = error instanceof Error ? error.message : String(error);
  // Schema errors: "body/title must ..." or "body must have required property 'title'".
  text = text.replace(/\bbody\/(\w+)/g, (_, field: string) => labels[field] ?? field);
  text = text.replace(/property '(\w+)'/g, (_, field: string) => `field ${labels[field] ?? field}`);
  for (const [field, label] of Object.entries(labels)) {
    // camelCase names cannot be ordinary words; a plain word ("until") is a field only as the subject.
    const pattern = /[A-Z]/.test(field) ? new RegExp(`\\b${field}\\b`, 'g') : new RegExp(`^${field}\\b`);
    text = text.replace(pattern, label);
  }
  return hubMessage(text);
}

/** The maintenance form's labels, as sentences use them. */
export const MAINTENANCE_LABELS: Record<string, string> = {
  startsAt: 'the start',
  endsAt: 'the end',
  until: 'the repeat-until date',
  title: 'the title',
  reason: 'the reason',
  scopeId: 'what it applies to',
  recurrence: 'the repeat setting',
};
