import { describe, expect, it } from 'vitest';
import { outboxText } from '../../../dashboard/src/registry/site-table.ts';

describe('site box outbox in the registry', () => {
  it('says nothing for an agent that reports no outbox, and "empty" for one that holds nothing', () => {
    expect(outboxText(null)).toBeNull();
    expect(outboxText({ records: 0, bytes: 0, maxBytes: 1_000_000, dropped: 0 })).toBe('outbox empty');
  });

  it('gives a backlog with how full the outbox is, and what it had to drop', () => {
    expect(outboxText({ records: 1234, bytes: 250_000, maxBytes: 1_000_000, dropped: 0 })).toBe(
      'outbox 1,234 waiting (25% full)',
    );
    expect(outboxText({ records: 90_000, bytes: 1_000_000, maxBytes: 1_000_000, dropped: 5012 })).toBe(
      'outbox 90,000 waiting (100% full), 5,012 dropped',
    );
  });
});
