import { describe, expect, it } from 'vitest';
import { FeedOpen } from '../../../src/schemas/feed-api.ts';
import { INCIDENT_REF_PATTERN } from '../../../src/schemas/incident-ref.ts';

// Browsers compile an input's `pattern` as ^(?:pattern)$ with the `v` (unicode sets) flag; an
// invalid one is ignored with a console error, and the field accepts anything.
const asBrowser = (pattern: string) => new RegExp(`^(?:${pattern})$`, 'v');

describe('incident reference pattern', () => {
  it('is valid as an HTML pattern attribute (v mode), where the old one was not', () => {
    expect(() => asBrowser(INCIDENT_REF_PATTERN)).not.toThrow();
    expect(() => asBrowser('[A-Za-z0-9][A-Za-z0-9/._:\\-]*')).toThrow(SyntaxError);
  });

  it('accepts and refuses the same references in the browser and at the hub', () => {
    const hub = new RegExp(FeedOpen.properties.incidentRef.pattern as string, 'u');
    const browser = asBrowser(INCIDENT_REF_PATTERN);
    for (const ref of ['INC-2026-0142', 'DC/123/26', 'log:42.a_b', 'A']) {
      expect(browser.test(ref), ref).toBe(true);
      expect(hub.test(ref), ref).toBe(true);
    }
    for (const ref of ['-INC', 'INC 42', 'INC|42', '', 'ünï']) {
      expect(browser.test(ref), ref).toBe(false);
      expect(hub.test(ref), ref).toBe(false);
    }
  });
});
