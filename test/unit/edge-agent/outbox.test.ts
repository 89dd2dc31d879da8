import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbox } from '../../../edge-agent/src/outbox/outbox.ts';
import type { OutboxKind, OutboxRecord } from '../../../edge-agent/src/outbox/record.ts';
import { cameraId, type Harness, harness, takeAll } from './outbox-fixtures.ts';

let h: Harness;
let outbox: Outbox | null = null;

beforeEach(async () => {
  h = await harness();
});

afterEach(async () => {
  await outbox?.close();
  outbox = null;
  await h.cleanup();
});

/** Appends a mix of kinds from three cameras, one every 10 s of the fake clock. */
async function appendMix(box: Outbox, count: number, from = 0) {
  const kinds: OutboxKind[] = ['health', 'health', 'stream', 'health', 'event'];
  const written = [];
  for (let i = from; i < from + count; i++) {
    h.clock.nowMs += 10_000;
    const kind = kinds[i % kinds.length] as OutboxKind;
    const camera = cameraId(i % 3);
    const envelope = h.envelope(kind, camera, i);
    written.push({ kind, camera, envelope, result: box.append(kind, camera, envelope) });
  }
  expect(await Promise.all(written.map((w) => w.result))).toEqual(written.map(() => 'queued'));
  return written;
}

const ids = (records: readonly OutboxRecord[]) => records.map((r) => r.envelope.msgId);

describe('outbox: append, acknowledge, replay', () => {
  it('hands records out in append order, exactly as they were given', async () => {
    outbox = await h.open();
    const written = await appendMix(outbox, 12);
    const taken = await takeAll(outbox);
    expect(ids(taken)).toEqual(written.map((w) => w.envelope.msgId));
    expect(taken.map((r) => r.envelope)).toEqual(written.map((w) => w.envelope));
    expect(taken.map((r) => r.kind)).toEqual(written.map((w) => w.kind));
    expect(taken.map((r) => r.n)).toEqual(taken.map((_, i) => i + 1));
    expect(outbox.stats()).toMatchObject({
      queued: 0,
      inFlight: 12,
      appended: { health: 8, stream: 2, event: 2 },
    });
  });

  it('after a restart sends exactly the unacknowledged records again, with their original msgId, seq and observedAt', async () => {
    outbox = await h.open();
    const written = await appendMix(outbox, 10);
    const taken = await takeAll(outbox);
    for (const r of taken.slice(0, 4)) outbox.ack(r.n);
    // Acknowledged out of order: 6 is done but 5 is not, so the cursor stops at 4.
    outbox.ack((taken[5] as OutboxRecord).n);
    await outbox.close();

    outbox = await h.open();
    expect(outbox.stats()).toMatchObject({ replayed: 6, queued: 6, inFlight: 0 });
    const replayed = await takeAll(outbox);
    expect(ids(replayed)).toEqual(written.slice(4).map((w) => w.envelope.msgId));
    expect(replayed.map((r) => r.envelope)).toEqual(written.slice(4).map((w) => w.envelope));
    // New records come after the replayed ones, with higher numbers.
    await appendMix(outbox, 2, 10);
    const next = await takeAll(outbox);
    expect(next.map((r) => r.n)).toEqual([11, 12]);
  });

  it('keeps numbering after every segment was acknowledged and deleted', async () => {
    outbox = await h.open({ segmentBytes: 2048 });
    await appendMix(outbox, 8);
    for (const r of await takeAll(outbox)) outbox.ack(r.n);
    await outbox.close();
    outbox = await h.open({ segmentBytes: 2048 });
    expect(outbox.stats().replayed).toBe(0);
    await appendMix(outbox, 1, 8);
    const [record] = await takeAll(outbox);
    expect(record?.n).toBe(9);
    await outbox.close();
    // Not acknowledged: survives another restart.
    outbox = await h.open({ segmentBytes: 2048 });
    expect(ids(await takeAll(outbox))).toEqual(ids(record ? [record] : []));
  });

  it('records given back after a failed publish go out first, in order', async () => {
    outbox = await h.open();
    await appendMix(outbox, 6);
    const first = await outbox.take(4);
    outbox.ack((first[0] as OutboxRecord).n);
    outbox.retry([first[2] as OutboxRecord, first[1] as OutboxRecord]);
    const again = await outbox.take(10);
    expect(again.map((r) => r.n)).toEqual([2, 3, 5, 6]);
    expect(outbox.stats().inFlight).toBe(5);
  });
});

describe('outbox: crash damage', () => {
  it('skips a last line cut short by a crash, logs it, and appends cleanly after it', async () => {
    outbox = await h.open();
    const written = await appendMix(outbox, 5);
    await outbox.close();
    outbox = null;
    const [segment] = (await readdir(h.dir)).filter((f) => f.endsWith('.jsonl'));
    const path = join(h.dir, segment as string);
    const whole = (await stat(path)).size;
    // kill -9 in the middle of a write: the start of a record and no newline.
    const torn = '{"n":6,"k":"health","c":"penzance-market-jew-st-00","e":{"v":1,"msgId":"3f1';
    await appendFile(path, torn);

    outbox = await h.open();
    const warning = h.logs.find((l) => l.msg === 'outbox: skipped a record cut short by a crash');
    expect(warning).toMatchObject({ offset: whole, bytes: torn.length });
    expect((await stat(path)).size).toBe(whole);
    expect(outbox.stats()).toMatchObject({ replayed: 5, skippedLines: 1 });
    const later = await appendMix(outbox, 2, 5);
    const all = await takeAll(outbox);
    expect(ids(all)).toEqual([...written, ...later].map((w) => w.envelope.msgId));
    expect(all.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await outbox.close();
    h.logs.length = 0;
    outbox = await h.open();
    expect(outbox.stats()).toMatchObject({ replayed: 7, skippedLines: 0 });
    expect(h.logs.filter((l) => String(l.msg).includes('skipped'))).toEqual([]);
  });

  it('skips a damaged line in the middle and a damaged cursor without stopping', async () => {
    outbox = await h.open();
    const written = await appendMix(outbox, 5);
    await outbox.close();
    outbox = null;
    const [segment] = (await readdir(h.dir)).filter((f) => f.endsWith('.jsonl'));
    const path = join(h.dir, segment as string);
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[2] = `${'\u0000'.repeat(40)}`;
    await writeFile(path, lines.join('\n'));
    await writeFile(join(h.dir, 'ack.json'), '{"acked": ');

    outbox = await h.open();
    expect(h.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'outbox: skipped an unreadable record',
        'outbox acknowledgement cursor unreadable: sending every stored record again (the hub drops duplicates)',
      ]),
    );
    const kept = written.filter((_, i) => i !== 2).map((w) => w.envelope.msgId);
    expect(ids(await takeAll(outbox))).toEqual(kept);
  });
});

describe('outbox: segments', () => {
  it('rolls segments as they fill and deletes the ones fully acknowledged', async () => {
    outbox = await h.open({ segmentBytes: 1024 });
    for (let i = 0; i < 6; i++) await appendMix(outbox, 3, i * 3);
    const segmentFiles = async () => (await readdir(h.dir)).filter((f) => f.endsWith('.jsonl')).sort();
    const before = await segmentFiles();
    expect(before.length).toBeGreaterThanOrEqual(4);
    const taken = await takeAll(outbox);
    // Acknowledge the first half: only segments holding nothing but acknowledged records go.
    const half = taken.slice(0, 9);
    for (const r of half) outbox.ack(r.n);
    await outbox.settle();
    const middle = await segmentFiles();
    expect(middle.length).toBeLessThan(before.length);
    expect(JSON.parse(await readFile(join(h.dir, 'ack.json'), 'utf8'))).toEqual({ acked: 9 });
    for (const name of middle) {
      const text = await readFile(join(h.dir, name), 'utf8');
      const last = JSON.parse(text.trim().split('\n').at(-1) as string) as { n: number };
      expect(last.n, name).toBeGreaterThan(9);
    }
    for (const r of taken.slice(9)) outbox.ack(r.n);
    await outbox.settle();
    // The segment being appended to stays.
    expect(await segmentFiles()).toEqual([before.at(-1)]);
    expect(outbox.stats()).toMatchObject({ queued: 0, inFlight: 0, acked: 18, segments: 1 });
  });

  it('refuses a second outbox on the same directory while the first is open', async () => {
    outbox = await h.open();
    await expect(h.open()).rejects.toThrow(/is in use by process \d+ \(this one\)/);
  });

  it('takes over the lock of a process that is gone', async () => {
    await writeFile(join(h.dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 17, bootId: null }));
    outbox = await h.open();
    expect(JSON.parse(await readFile(join(h.dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
  });
});
