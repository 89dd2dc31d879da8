import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import type { AgentClockHealth } from '../../src/schemas/payloads.ts';

/**
 * The agent's own clock health, from what Linux exposes without root. Asked in order, the first
 * definite answer wins:
 * 1. `chronyc -c tracking` (chrony): leap status, and the offset and error bound chrony estimates;
 * 2. `timedatectl show -p NTPSynchronized --value` (systemd): the kernel's "synchronised" flag, which
 *    any NTP daemon sets (timesyncd, chrony, ntpd), so it is generic but gives no offset;
 * 3. `/run/systemd/timesync/synchronized`: systemd-timesyncd touches it once synchronised. Its absence
 *    proves nothing (another daemon may keep the clock), so only its presence answers.
 * Nothing answering gives `synchronized: null` (source `none`): the OS does not say. The kernel's
 * adjtimex status has no /proc or /sys file and Node has no binding for the call, so it is read only
 * through timedatectl.
 */

export interface CommandResult {
  ok: boolean;
  stdout: string;
  /** Why it did not run or failed, for the detail field (not found, timed out, exit code). */
  error: string | null;
}

export interface ClockHealthDeps {
  run: (file: string, args: readonly string[]) => Promise<CommandResult>;
  exists: (path: string) => Promise<boolean>;
  now: () => number;
}

export const TIMESYNC_MARKER = '/run/systemd/timesync/synchronized';
const COMMAND_TIMEOUT_MS = 2_000;

/** Runs a tool directly (never a shell) with a short kill timer and a small output cap. */
export function runCommand(file: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, encoding: 'utf8' },
      (error, stdout) => {
        if (!error) return resolve({ ok: true, stdout, error: null });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        const why =
          e.code === 'ENOENT'
            ? 'not installed'
            : e.killed
              ? `timed out after ${COMMAND_TIMEOUT_MS} ms`
              : `exit ${String(e.code ?? 'error')}`;
        resolve({ ok: false, stdout, error: why });
      },
    );
  });
}

export const realClockHealthDeps: ClockHealthDeps = {
  run: runCommand,
  exists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  now: Date.now,
};

export interface ChronyTracking {
  synchronized: boolean;
  offsetMs: number;
  maxErrorMs: number;
  leapStatus: string;
}

/**
 * One CSV line of `chronyc -c tracking`: reference id, name, stratum, reference time, system time,
 * last offset, RMS offset, frequency, residual frequency, skew, root delay, root dispersion, update
 * interval, leap status. "System time" is chrony's correction still to apply: positive means the
 * clock is slow of NTP time. chrony's bound on the clock error is |system time| + root delay / 2 +
 * root dispersion (chronyc(1), "Root dispersion").
 */
export function parseChronyTracking(stdout: string): ChronyTracking | null {
  const line = stdout.trim().split('\n')[0] ?? '';
  const fields = line.split(',');
  if (fields.length < 14) return null;
  const systemTimeS = Number(fields[4]);
  const rootDelayS = Number(fields[10]);
  const rootDispersionS = Number(fields[11]);
  const leapStatus = (fields[13] ?? '').trim();
  if (![systemTimeS, rootDelayS, rootDispersionS].every(Number.isFinite) || leapStatus === '') return null;
  return {
    // "Not synchronised" is the leap status chrony reports while it has no selected source.
    synchronized: leapStatus !== 'Not synchronised',
    offsetMs: -systemTimeS * 1000,
    maxErrorMs: (Math.abs(systemTimeS) + rootDelayS / 2 + rootDispersionS) * 1000,
    leapStatus,
  };
}

/** `timedatectl show -p NTPSynchronized --value` prints `yes` or `no`. */
export function parseTimedatectl(stdout: string): boolean | null {
  const value = stdout.trim();
  return value === 'yes' ? true : value === 'no' ? false : null;
}

export async function checkAgentClock(deps: ClockHealthDeps): Promise<AgentClockHealth> {
  const notes: string[] = [];
  const at = () => new Date(deps.now()).toISOString();
  const chrony = await deps.run('chronyc', ['-c', 'tracking']);
  if (chrony.ok) {
    const tracking = parseChronyTracking(chrony.stdout);
    if (tracking) {
      return {
        synchronized: tracking.synchronized,
        source: 'chrony',
        offsetMs: round(tracking.offsetMs),
        maxErrorMs: round(tracking.maxErrorMs),
        checkedAt: at(),
        detail: `leap status ${tracking.leapStatus}`.slice(0, 300),
      };
    }
    notes.push('chronyc: unreadable output');
  } else notes.push(`chronyc: ${chrony.error}`);
  const timedatectl = await deps.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  const flag = timedatectl.ok ? parseTimedatectl(timedatectl.stdout) : null;
  if (flag !== null) {
    return { synchronized: flag, source: 'timedatectl', offsetMs: null, maxErrorMs: null, checkedAt: at() };
  }
  notes.push(`timedatectl: ${timedatectl.ok ? 'unreadable output' : timedatectl.error}`);
  if (await deps.exists(TIMESYNC_MARKER)) {
    return {
      synchronized: true,
      source: 'timesyncd-marker',
      offsetMs: null,
      maxErrorMs: null,
      checkedAt: at(),
    };
  }
  notes.push(`${TIMESYNC_MARKER} absent`);
  return {
    synchronized: null,
    source: 'none',
    offsetMs: null,
    maxErrorMs: null,
    checkedAt: at(),
    detail: notes.join('; ').slice(0, 300),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A change the hub should hear about at once; a new `checkedAt` or a small offset drift is not one. */
export function clockHealthChanged(before: AgentClockHealth | null, after: AgentClockHealth): boolean {
  return before === null || before.synchronized !== after.synchronized || before.source !== after.source;
}

/**
 * One check shared by agents on one machine (the hub's demo runs many in one process): the OS is
 * asked at most once per `maxAgeMs`, however many agents ask.
 */
export function sharedClockCheck(
  maxAgeMs: number,
  deps: ClockHealthDeps = realClockHealthDeps,
): () => Promise<AgentClockHealth> {
  let last: { atMs: number; result: Promise<AgentClockHealth> } | null = null;
  return () => {
    const nowMs = deps.now();
    if (!last || nowMs - last.atMs >= maxAgeMs) last = { atMs: nowMs, result: checkAgentClock(deps) };
    return last.result;
  };
}
