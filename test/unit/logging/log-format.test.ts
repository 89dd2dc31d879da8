import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logDestination, prettyLogs } from '../../../src/logging.ts';

describe('log format', () => {
  it('is for people on a terminal and JSON lines elsewhere, unless LOG_FORMAT says', () => {
    expect(prettyLogs({}, true)).toBe(true);
    expect(prettyLogs({}, false)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: 'pretty' }, false)).toBe(true);
    expect(logDestination({}, false)).toBeUndefined();
  });

  it('writes a readable line, not JSON, through pino-pretty', () => {
    let text = '';
    const capture = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    const destination = logDestination({ LOG_FORMAT: 'pretty' }, false, capture);
    if (!destination) throw new Error('no pretty destination');
    pino({ name: 'cctv-hub' }, destination).info({ siteId: 'site-a' }, 'site registered');
    expect(text).toMatch(/INFO.*\(cctv-hub\): site registered/);
    expect(text).toContain('siteId: "site-a"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
