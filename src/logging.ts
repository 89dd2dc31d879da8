import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/**
 * Logs for people on a terminal, JSON lines for everything else (a service manager, a file, a log
 * shipper). LOG_FORMAT=json or LOG_FORMAT=pretty overrides the guess.
 */
export function prettyLogs(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  const format = env.LOG_FORMAT?.toLowerCase();
  if (format === 'json') return false;
  if (format === 'pretty') return true;
  return isTTY;
}

/** Where a process's logger writes: pino-pretty on a terminal (in-process, in order), else stdout. */
export function logDestination(
  env: Record<string, string | undefined> = process.env,
  isTTY = process.stdout.isTTY === true,
  /** Where the pretty lines go (tests); stdout by default. */
  out?: NodeJS.WritableStream,
): DestinationStream | undefined {
  if (!prettyLogs(env, isTTY)) return undefined;
  return pretty({
    colorize: isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
    ...(out ? { destination: out } : {}),
  });
}
