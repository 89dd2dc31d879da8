import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord, type OutboxRecord } from './record.ts';
import { readSegment, type Segment, segmentFileName, syncDir, writeFileAtomic } from './segment-files.ts';

/**
 * The segment files of one outbox: appending to the newest, reading, rewriting and deleting older
 * ones. Knows nothing of acknowledgements or drops beyond the record numbers it is told; the outbox
 * runs every call one at a time.
 */
export class SegmentLog {
  private segments: Segment[] = [];
  private handle: FileHandle | null = null;

  constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Takes over the segments found at start; appends go on in the last one while it has room. */
  async adopt(segments: Segment[], nextN: number): Promise<void> {
    this.segments = segments;
    const last = segments.at(-1);
    if (last && last.bytes < this.segmentBytes) this.handle = await open(last.path, 'a');
    else await this.roll(nextN, null);
  }

  get count(): number {
    return this.segments.length;
  }

  bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  get active(): Segment {
    return this.segments.at(-1) as Segment;
  }

  get full(): boolean {
    return this.active.bytes >= this.segmentBytes;
  }

  /** Closes the segment being appended to and starts one named after the next record number. */
  async roll(nextN: number, readingN: number | null): Promise<void> {
    await this.handle?.close();
    const previous = this.segments.at(-1);
    // A sealed segment stays in memory only while the sender is reading it.
    if (previous && (readingN === null || readingN < previous.firstN || readingN > previous.lastN))
      previous.records = null;
    const path = join(this.dir, segmentFileName(nextN));
    this.handle = await open(path, 'a');
    this.segments.push({ firstN: nextN, path, bytes: 0, lastN: nextN - 1, records: [] });
    await syncDir(this.dir);
  }

  /** Appends the records' lines to the active segment and makes them durable (write + fdatasync). */
  async append(records: readonly OutboxRecord[], text: string): Promise<void> {
    const segment = this.active;
    const data = Buffer.from(text);
    const handle = this.handle as FileHandle;
    for (let offset = 0; offset < data.length; ) {
      offset += (await handle.write(data, offset)).bytesWritten;
    }
    await handle.datasync();
    segment.bytes += data.length;
    segment.lastN = records.at(-1)?.n ?? segment.lastN;
    segment.records?.push(...records);
  }

  /** The first segment that may hold record n or a later one. */
  holding(n: number): Segment | null {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.segments[mid] as Segment).lastN < n) lo = mid + 1;
      else hi = mid;
    }
    return this.segments[lo] ?? null;
  }

  includes(segment: Segment): boolean {
    return this.segments.includes(segment);
  }

  async load(segment: Segment): Promise<OutboxRecord[]> {
    if (segment.records) return segment.records;
    if (!this.segments.includes(segment)) return [];
    const { records } = await readSegment(segment.path);
    segment.records = records;
    return records;
  }

  /** Takes records out of the segments' in-memory copies now; returns what each rewrite must leave out. */
  forget(remove: readonly number[]): Map<Segment, Set<number>> {
    const touched = new Map<Segment, Set<number>>();
    let s = 0;
    for (const n of remove) {
      while (s < this.segments.length && (this.segments[s] as Segment).lastN < n) s++;
      const segment = this.segments[s];
      if (!segment) break;
      let set = touched.get(segment);
      if (!set) {
        set = new Set();
        touched.set(segment, set);
      }
      set.add(n);
    }
    for (const [segment, set] of touched) {
      if (segment.records) segment.records = segment.records.filter((r) => !set.has(r.n));
    }
    return touched;
  }

  /**
   * Rewrites sealed segments without the given records and without acknowledged ones (temporary file,
   * then rename), deleting those left empty.
   */
  async compact(touched: Map<Segment, Set<number>>, ackedN: number): Promise<void> {
    for (const [segment, dropped] of touched) {
      if (!this.segments.includes(segment) || segment === this.active) continue;
      const source = segment.records ?? (await readSegment(segment.path)).records;
      const keep = source.filter((r) => !dropped.has(r.n) && r.n > ackedN);
      if (keep.length === 0) {
        await unlink(segment.path);
        this.segments = this.segments.filter((s) => s !== segment);
        continue;
      }
      const text = keep
        .map((r) => encodeRecord(r.n, r.kind, r.cameraId, JSON.stringify(r.envelope)))
        .join('');
      await writeFileAtomic(segment.path, text);
      segment.bytes = Buffer.byteLength(text);
      if (segment.records) segment.records = keep;
    }
    if (touched.size > 0) await syncDir(this.dir);
  }

  /** Deletes sealed segments whose records are all acknowledged. */
  async deleteAcknowledged(ackedN: number): Promise<void> {
    const done = this.segments.filter((s) => s !== this.active && s.lastN <= ackedN);
    for (const segment of done) await unlink(segment.path);
    if (done.length > 0) this.segments = this.segments.filter((s) => !done.includes(s));
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}
