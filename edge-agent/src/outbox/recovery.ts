import { truncate, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isSample } from './record.ts';
import { SampleIndex } from './sample-index.ts';
import { listSegments, readCursor, readSegment, type Segment } from './segment-files.ts';

export interface Recovered {
  segments: Segment[];
  /** Every record numbered this or lower reached the broker. */
  acked: number;
  nextN: number;
  /** Records on disk the broker has not acknowledged: sent again, in order, as they were. */
  unacknowledged: number;
  samples: SampleIndex;
  skippedLines: number;
}

/**
 * Reads what a previous run left: the acknowledgement cursor and every segment. A line cut short by a
 * crash (kill -9 or power loss mid-write) at the end of the last segment is cut off so appending goes on
 * after the last whole record; any other unreadable line is skipped. Both are logged, neither stops
 * the agent. Segments holding only acknowledged records are deleted.
 */
export async function recover(dir: string, logger: Logger): Promise<Recovered> {
  const cursor = await readCursor(dir);
  let acked = 0;
  if ('acked' in cursor) acked = cursor.acked;
  else if ('damaged' in cursor)
    logger.warn(
      { outbox: dir, problem: cursor.damaged },
      'outbox acknowledgement cursor unreadable: sending every stored record again (the hub drops duplicates)',
    );
  const files = await listSegments(dir);
  const segments: Segment[] = [];
  const samples = new SampleIndex();
  let lastN = acked;
  let unacknowledged = 0;
  let skippedLines = 0;
  for (const [i, file] of files.entries()) {
    const isLast = i === files.length - 1;
    const scan = await readSegment(file.path);
    let bytes = scan.fileBytes;
    if (scan.tornTail) {
      if (isLast) {
        await truncate(file.path, scan.completeBytes);
        bytes = scan.completeBytes;
      }
      logger.warn(
        { outbox: dir, segment: file.path, offset: scan.tornTail.offset, bytes: scan.tornTail.bytes },
        'outbox: skipped a record cut short by a crash',
      );
      skippedLines++;
    }
    for (const skip of scan.skipped)
      logger.warn(
        { outbox: dir, segment: file.path, offset: skip.offset, problem: skip.reason },
        'outbox: skipped an unreadable record',
      );
    skippedLines += scan.skipped.length;
    // Numbers only increase through the files; a record out of order would be sent out of order.
    const records = scan.records.filter((r) => r.n > lastN || r.n <= acked);
    skippedLines += scan.records.length - records.length;
    const live = records.filter((r) => r.n > acked);
    if (live.length === 0 && !isLast) {
      await unlink(file.path);
      continue;
    }
    for (const r of live) {
      if (isSample(r.kind))
        samples.add(r.cameraId, {
          n: r.n,
          kind: r.kind,
          observedAtMs: Date.parse(r.envelope.observedAt),
          bytes: r.bytes,
        });
    }
    unacknowledged += live.length;
    const segLastN = records.at(-1)?.n ?? file.firstN - 1;
    lastN = Math.max(lastN, segLastN);
    segments.push({
      firstN: file.firstN,
      path: file.path,
      bytes,
      lastN: segLastN,
      records: isLast ? records : null,
    });
  }
  return { segments, acked, nextN: lastN + 1, unacknowledged, samples, skippedLines };
}
