import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.ts';
import { decodeRecord, type OutboxRecord } from './record.ts';

// File layout of one site's outbox directory:
//   0000000000000001.jsonl  segments named after the first record number they were opened for,
//   0000000000004711.jsonl  one JSON record per line (see record.ts), appended and fsync'ed in batches
//   ack.json                {"acked": n}: every record numbered n or lower reached the broker
//   lock                    {"pid", "bootId"} of the agent using the directory

const SEGMENT_NAME = /^(\d{16})\.jsonl$/;
export const CURSOR_FILE = 'ack.json';
export const LOCK_FILE = 'lock';

export function segmentFileName(firstN: number): string {
  return `${String(firstN).padStart(16, '0')}.jsonl`;
}

export async function listSegments(dir: string): Promise<{ firstN: number; path: string }[]> {
  const names = await readdir(dir);
  return names
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ firstN: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.firstN - b.firstN);
}

export interface SegmentScan {
  records: OutboxRecord[];
  fileBytes: number;
  /** Bytes up to the end of the last newline-terminated line: where appending may continue. */
  completeBytes: number;
  /** Lines that could not be read, with their byte offset; they are never sent. */
  skipped: { offset: number; reason: string }[];
  /** The file ends in a line without its newline: a write cut short by a crash. */
  tornTail: { offset: number; bytes: number } | null;
}

/** Reads a segment, keeping every intact record and reporting (never throwing on) damaged lines. */
export async function readSegment(path: string): Promise<SegmentScan> {
  const data = await readFile(path);
  const records: OutboxRecord[] = [];
  const skipped: SegmentScan['skipped'] = [];
  let start = 0;
  let lastN = 0;
  while (start < data.length) {
    const end = data.indexOf(0x0a, start);
    if (end < 0) break;
    const decoded = decodeRecord(data.toString('utf8', start, end));
    if (!decoded.ok) skipped.push({ offset: start, reason: decoded.reason });
    else if (decoded.record.n <= lastN)
      skipped.push({ offset: start, reason: `record ${decoded.record.n} out of order after ${lastN}` });
    else {
      records.push(decoded.record);
      lastN = decoded.record.n;
    }
    start = end + 1;
  }
  return {
    records,
    fileBytes: data.length,
    completeBytes: start,
    skipped,
    tornTail: start < data.length ? { offset: start, bytes: data.length - start } : null,
  };
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write to a temporary file, flush it, rename it over the target: readers see the old or the new file. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export type CursorRead = { acked: number } | { missing: true } | { damaged: string };

export async function readCursor(dir: string): Promise<CursorRead> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    throw error;
  }
  try {
    const value = (JSON.parse(text) as { acked?: unknown }).acked;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { acked: value };
    return { damaged: `acked is ${JSON.stringify(value)}` };
  } catch (error) {
    return { damaged: (error as Error).message };
  }
}

/**
 * The directory entry is not synced after the rename: losing the newest cursor to a power cut only
 * means records the broker already has are sent again, which the hub drops by msgId.
 */
export async function writeCursor(dir: string, acked: number): Promise<void> {
  await writeFileAtomic(join(dir, CURSOR_FILE), `${JSON.stringify({ acked })}\n`);
}

async function bootId(): Promise<string | null> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch (error) {
    // Not Linux: the pid alone decides whether a lock is stale.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Two agents appending to one outbox would interleave records, so the directory is locked by a file
 * naming the owner. A lock left by a process that is gone (killed, or from before a reboot: pids are
 * reused, so the boot id is checked too) is taken over.
 */
export async function acquireLock(dir: string, context: { siteId: string }): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const me = { pid: process.pid, bootId: await bootId() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: { pid?: unknown; bootId?: unknown } = {};
    try {
      owner = JSON.parse(await readFile(path, 'utf8')) as typeof owner;
    } catch {
      // Unreadable (cut short by a crash while being written): nobody holds it.
    }
    const sameBoot = owner.bootId === undefined || owner.bootId === null || owner.bootId === me.bootId;
    if (typeof owner.pid === 'number' && sameBoot && alive(owner.pid)) {
      throw new AgentError(
        'outbox_locked',
        `outbox ${dir} is in use by process ${owner.pid}${owner.pid === process.pid ? ' (this one)' : ''}; ` +
          `each site needs its own outbox.dir, and if no agent is running delete ${path}`,
        context,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new AgentError('outbox_locked', `could not lock outbox ${dir}`, context);
}

/** One segment file as the outbox tracks it. */
export interface Segment {
  firstN: number;
  path: string;
  /** Size of the file. */
  bytes: number;
  /** Number of the last record written to it; firstN - 1 while it is empty. */
  lastN: number;
  /** Its records, while kept in memory (always for the segment being appended to). */
  records: OutboxRecord[] | null;
}
