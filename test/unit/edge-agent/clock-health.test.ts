import { describe, expect, it } from 'vitest';
import {
  type ClockHealthDeps,
  type CommandResult,
  checkAgentClock,
  clockHealthChanged,
  parseChronyTracking,
  parseTimedatectl,
  runCommand,
  sharedClockCheck,
  TIMESYNC_MARKER,
} from '../../../edge-agent/src/clock-health.ts';

// `chronyc -c tracking` as chrony 4.3 (Debian 12) prints it: synchronised to a LAN server, and
// just started with no source selected yet.
const chronySynced =
  'C0A80001,192.168.0.1,3,1732431600.123456789,0.000012345,-0.000003211,0.000045678,-12.345,0.001,0.023,0.012345678,0.001234567,64.4,Normal\n';
const chronyUnsynced =
  '00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n';

describe('parseChronyTracking', () => {
  it('reads leap status, offset (system time slow means the clock is behind) and error bound', () => {
    const t = parseChronyTracking(chronySynced);
    expect(t?.synchronized).toBe(true);
    expect(t?.leapStatus).toBe('Normal');
    // 12.345 us slow of NTP time: the agent clock is 0.012345 ms behind.
    expect(t?.offsetMs).toBeCloseTo(-0.012345, 6);
    // |0.000012345| + 0.012345678 / 2 + 0.001234567 s
    expect(t?.maxErrorMs).toBeCloseTo(7.4198, 3);
  });

  it('reports not synchronised', () => {
    expect(parseChronyTracking(chronyUnsynced)?.synchronized).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['the human-readable form', 'Reference ID    : C0A80001 (192.168.0.1)\nStratum         : 3\n'],
    ['too few fields', 'C0A80001,192.168.0.1,3'],
    ['a field that is not a number', chronySynced.replace('0.012345678', 'x')],
  ])('refuses %s', (_name, text) => {
    expect(parseChronyTracking(text)).toBeNull();
  });
});

describe('parseTimedatectl', () => {
  it.each([
    ['yes\n', true],
    ['no\n', false],
    ['', null],
    ['n/a', null],
  ])('%j -> %s', (text, expected) => {
    expect(parseTimedatectl(text)).toBe(expected);
  });
});

function deps(answers: Record<string, CommandResult>, marker = false): ClockHealthDeps {
  return {
    run: async (file) => answers[file] ?? { ok: false, stdout: '', error: 'not installed' },
    exists: async (path) => marker && path === TIMESYNC_MARKER,
    now: () => Date.parse('2026-11-24T07:00:00Z'),
  };
}

describe('checkAgentClock', () => {
  it('prefers chrony, which gives an offset', async () => {
    const h = await checkAgentClock(
      deps({
        chronyc: { ok: true, stdout: chronySynced, error: null },
        timedatectl: { ok: true, stdout: 'no\n', error: null },
      }),
    );
    expect(h).toMatchObject({ synchronized: true, source: 'chrony', checkedAt: '2026-11-24T07:00:00.000Z' });
    expect(h.offsetMs).not.toBeNull();
  });

  it('falls back to timedatectl', async () => {
    const h = await checkAgentClock(deps({ timedatectl: { ok: true, stdout: 'no\n', error: null } }));
    expect(h).toMatchObject({ synchronized: false, source: 'timedatectl', offsetMs: null });
  });

  it('uses the timesyncd marker only when present', async () => {
    const failing = { timedatectl: { ok: false, stdout: '', error: 'exit 1' } };
    expect(await checkAgentClock(deps(failing, true))).toMatchObject({
      synchronized: true,
      source: 'timesyncd-marker',
    });
    const none = await checkAgentClock(deps(failing, false));
    expect(none).toMatchObject({ synchronized: null, source: 'none' });
    expect(none.detail).toContain('chronyc: not installed');
    expect(none.detail).toContain('timedatectl: exit 1');
  });
});

describe('clockHealthChanged', () => {
  const base = {
    synchronized: true,
    source: 'chrony' as const,
    offsetMs: 0.1,
    maxErrorMs: 2,
    checkedAt: '2026-11-24T07:00:00.000Z',
  };
  it('ignores a new check time and small drift, not a change of status', () => {
    expect(clockHealthChanged(null, base)).toBe(true);
    expect(clockHealthChanged(base, { ...base, offsetMs: 0.2, checkedAt: '2026-11-24T07:05:00.000Z' })).toBe(
      false,
    );
    expect(clockHealthChanged(base, { ...base, synchronized: false })).toBe(true);
  });
});

describe('runCommand', () => {
  it('never uses a shell and reports a missing tool', async () => {
    const r = await runCommand('definitely-not-a-tool-here', ['$(id)']);
    expect(r).toMatchObject({ ok: false, error: 'not installed' });
    const echo = await runCommand('echo', ['$(id)']);
    expect(echo.stdout.trim()).toBe('$(id)');
  });
});

describe('sharedClockCheck', () => {
  it('asks the OS once per period however many agents ask', async () => {
    let runs = 0;
    let nowMs = 0;
    const check = sharedClockCheck(60_000, {
      run: async () => {
        runs += 1;
        return { ok: true, stdout: 'yes\n', error: null };
      },
      exists: async () => false,
      now: () => nowMs,
    });
    await Promise.all([check(), check(), check()]);
    // chronyc and timedatectl: two commands for one check.
    expect(runs).toBe(2);
    nowMs = 60_000;
    expect((await check()).synchronized).toBe(true);
    expect(runs).toBe(4);
  });
});
