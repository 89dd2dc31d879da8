import { describe, expect, it } from 'vitest';
import { localTimeInfo, PosixTzError, parsePosixTz } from '../../simulators/camera/posix-tz.ts';

// Pure checks of the POSIX TZ evaluator the simulated cameras report local time with.

describe('POSIX TZ', () => {
  it.each([
    // [TZ, UTC instant, offset hours, DST]
    ['GMT0BST,M3.5.0/1,M10.5.0', '2025-03-30T00:59:59Z', 0, false], // BST starts 01:00 UTC, last Sunday of March
    ['GMT0BST,M3.5.0/1,M10.5.0', '2025-03-30T01:00:00Z', 1, true],
    ['GMT0BST,M3.5.0/1,M10.5.0', '2025-10-26T00:59:59Z', 1, true], // ends 02:00 BST = 01:00 UTC
    ['GMT0BST,M3.5.0/1,M10.5.0', '2025-10-26T01:00:00Z', 0, false],
    ['CST-8', '2025-07-01T12:00:00Z', 8, false],
    ['UTC0', '2025-07-01T12:00:00Z', 0, false],
    ['EST5EDT', '2025-07-01T12:00:00Z', -4, true], // no rules: US defaults, as glibc
    ['EST5EDT', '2025-01-01T12:00:00Z', -5, false],
    ['AEST-10AEDT,M10.1.0,M4.1.0/3', '2025-01-15T00:00:00Z', 11, true], // southern hemisphere wraps the year
    ['AEST-10AEDT,M10.1.0,M4.1.0/3', '2025-07-15T00:00:00Z', 10, false],
    ['<+0530>-5:30', '2025-07-01T12:00:00Z', 5.5, false],
    ['XST3XDT,J60/0,300/0', '2024-03-01T03:00:00Z', -2, true], // J60 is 1 March even in a leap year
  ])('%s at %s is UTC%+d (DST %s)', (tz, instant, offsetHours, dst) => {
    const info = localTimeInfo(parsePosixTz(tz), Date.parse(instant));
    expect(info).toEqual({ offsetSec: offsetHours * 3600, dst });
  });

  it.each(['', 'G', 'GMT', 'GMT0BST,M13.1.0,M10.5.0', 'GMT0BST,M3.5.0', 'GMT0 trailing'])(
    'rejects %j with a message naming the string',
    (tz) => {
      expect(() => parsePosixTz(tz)).toThrow(PosixTzError);
      expect(() => parsePosixTz(tz)).toThrow(`'${tz}'`);
    },
  );
});
