import { describe, expect, it } from 'vitest';
import { inFormWords, MAINTENANCE_LABELS } from '../../../dashboard/src/field-words.ts';

const said = (message: string) => inFormWords(new Error(message), MAINTENANCE_LABELS);

describe('hub errors in the form words', () => {
  it('says the hub maintenance messages with the form labels', () => {
    expect(said('endsAt must be after startsAt (and after now)')).toBe(
      'The end must be after the start (and after now).',
    );
    expect(said('until must be after startsAt')).toBe('The repeat-until date must be after the start.');
    expect(said('body/title must NOT have fewer than 1 characters')).toBe(
      'The title must NOT have fewer than 1 characters.',
    );
    expect(said("body must have required property 'reason'")).toBe(
      'Body must have required field the reason.',
    );
  });

  it('leaves other words alone', () => {
    expect(said('a maintenance window cannot start in the past')).toBe(
      'A maintenance window cannot start in the past.',
    );
    expect(said('wait until the window ends')).toBe('Wait until the window ends.');
  });
});
