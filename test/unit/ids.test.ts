import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from '../../src/ids.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('time-ordered message ids (UUID v7)', () => {
  it('are version 7 UUIDs with the RFC 9562 variant, accepted as envelope msgIds', () => {
    for (let i = 0; i < 1000; i++) expect(timeOrderedUuid()).toMatch(V7);
    expect(timeOrderedUuid()).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
  });

  it('carry their millisecond timestamp in the first 48 bits', () => {
    const at = Date.UTC(2026, 10, 24, 10, 30, 0, 123);
    const id = timeOrderedUuid(at);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sort by the time they were made, across milliseconds', () => {
    const ids = Array.from({ length: 500 }, (_, i) => timeOrderedUuid(1_700_000_000_000 + i * 7));
    expect([...ids].sort()).toEqual(ids);
  });

  it('do not repeat within one millisecond', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => timeOrderedUuid(1_700_000_000_000)));
    expect(ids.size).toBe(100_000);
  });
});
