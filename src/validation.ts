import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export interface ValidationIssue {
  /** JSON pointer into the value, e.g. `/payload/clock/offsetMs`; `/` for the root. */
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

// TypeBox fails every value of a format it does not know, and IsoTime declares `format: 'date-time'`;
// its pattern already pins the shape and ranges, so the format only has to reject days a month does
// not have (Date.parse reads 2024-02-30 as 1 March).
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)) && calendarDayExists(value));
}
// IsoDay declares `format: 'date'` for the same reason: its pattern allows 2025-02-30.
if (!FormatRegistry.Has('date')) {
  FormatRegistry.Set('date', (value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && calendarDayExists(value));
}

/** Whether the `YYYY-MM-DD` at the start of an ISO timestamp is a real calendar day. */
export function calendarDayExists(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  return day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compiled<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = cache.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    cache.set(schema, check);
  }
  return check as TypeCheck<S>;
}

/** Validates without coercion; returns every issue (capped) with its path. */
export function validate<S extends TSchema>(schema: S, value: unknown, maxIssues = 20): Validated<Static<S>> {
  const check = compiled(schema);
  if (check.Check(value)) return { ok: true, value: value as Static<S> };
  const issues: ValidationIssue[] = [];
  for (const error of check.Errors(value)) {
    issues.push({ path: error.path || '/', message: error.message });
    if (issues.length >= maxIssues) break;
  }
  return { ok: false, issues };
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
