import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbox } from '../../../edge-agent/src/outbox/outbox.ts';
import type { OutboxKind, OutboxRecord } from '../../../edge-agent/src/outbox/record.ts';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
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

const BUSY = cameraId(1);
const QUIET = cameraId(2);

interface Written {
  kind: OutboxKind;
  camera: string;
  msgId: string;
  observedAtMs: number;
  result: string;
}

async function append(box: Outbox, kind: OutboxKind, camera: string, i: number): Promise<Written> {
  const envelope = h.envelope(kind, camera, i);
  const result = await box.append(kind, camera, envelope);
  return { kind, camera, msgId: envelope.msgId, observedAtMs: Date.parse(envelope.observedAt), result };
}

const iso = (ms: number) => new Date(ms).toISOString();

const gapsOf = (records: OutboxRecord[]) =>
  records.filter((r) => r.kind === 'gap').map((r) => r.envelope.payload as GapPayload);

describe('outbox: size bound and drop policy', () => {
  it('drops the oldest samples of the busiest camera first, never events, and says so with gap records', async () => {
    const maxBytes = 48_000;
    outbox = await h.open({ maxBytes, segmentBytes: 4096 });
    const written: Written[] = [];
    // The busy camera reports three samples for each one of the quiet camera; events now and then.
    for (let i = 0; i < 400; i++) {
      h.clock.nowMs += 2_500;
      const camera = i % 4 === 3 ? QUIET : BUSY;
      const kind: OutboxKind = i % 40 === 17 ? 'event' : i % 8 === 0 ? 'stream' : 'health';
      written.push(await append(outbox, kind, camera, i));
      expect(outbox.stats().bytes, `after append ${i}`).toBeLessThanOrEqual(maxBytes);
    }
    expect(written.every((w) => w.result === 'queued')).toBe(true);
    const stats = outbox.stats();
    expect(stats.peakBytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.peakBytes).toBeGreaterThan(maxBytes * 0.9);
    const records = await takeAll(outbox);
    const kept = new Set(records.map((r) => r.envelope.msgId));
    const dropped = written.filter((w) => !kept.has(w.msgId));
    expect(dropped.length).toBeGreaterThan(100);

    // Events all survive; only samples were dropped.
    expect(written.filter((w) => w.kind === 'event').every((w) => kept.has(w.msgId))).toBe(true);
    expect(dropped.every((w) => w.kind === 'health' || w.kind === 'stream')).toBe(true);

    // Each camera lost its oldest samples: what is left of it is its newest samples, in order.
    for (const camera of [BUSY, QUIET]) {
      const samples = written.filter((w) => w.camera === camera && w.kind !== 'event');
      const firstKept = samples.findIndex((w) => kept.has(w.msgId));
      expect(
        samples.slice(firstKept).every((w) => kept.has(w.msgId)),
        camera,
      ).toBe(true);
      expect(
        samples.slice(0, firstKept).every((w) => !kept.has(w.msgId)),
        camera,
      ).toBe(true);
    }
    // Busiest first: the busy camera is thinned down to the quiet one's level, not in proportion
    // (dropping the oldest records of any camera would leave it about three times as many).
    const left = (camera: string) =>
      records.filter((r) => r.cameraId === camera && (r.kind === 'health' || r.kind === 'stream')).length;
    expect(Math.abs(left(BUSY) - left(QUIET))).toBeLessThanOrEqual(6);
    const droppedOf = (camera: string) => dropped.filter((w) => w.camera === camera);
    expect(droppedOf(BUSY).length).toBeGreaterThan(3 * droppedOf(QUIET).length);

    // Replay order is append order, and seq increases along it, gap records included.
    const order = written.map((w) => w.msgId).filter((id) => kept.has(id));
    expect(records.filter((r) => r.kind !== 'gap').map((r) => r.envelope.msgId)).toEqual(order);
    const seqs = records.map((r) => r.envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // Gap records: per camera and kind, the dropped counts add up and every dropped sample lies in its
    // kind's gap range, whose ends are dropped samples' observedAt.
    const gaps = gapsOf(records);
    expect(stats.gaps).toBeGreaterThan(gaps.length);
    const kindOf = (g: GapPayload) => (g.dropped.health > 0 ? 'health' : 'stream');
    for (const camera of [BUSY, QUIET]) {
      const lost = droppedOf(camera);
      for (const kind of ['health', 'stream'] as const) {
        const lostOfKind = lost.filter((w) => w.kind === kind);
        // Nothing was sent in between, so each burst's gap record replaced the previous one of its kind.
        const mine = gaps.filter((g) => g.cameraId === camera && kindOf(g) === kind);
        expect(mine, `${camera} ${kind}`).toHaveLength(lostOfKind.length > 0 ? 1 : 0);
        const [gap] = mine;
        if (!gap) continue;
        // A gap record counts one kind only.
        expect(gap.dropped[kind === 'health' ? 'stream' : 'health'], `${camera} ${kind}`).toBe(0);
        expect(gap.dropped[kind], `${camera} ${kind}`).toBe(lostOfKind.length);
        const times = lostOfKind.map((w) => w.observedAtMs);
        expect(Date.parse(gap.from), `${camera} ${kind} gap from`).toBe(Math.min(...times));
        expect(Date.parse(gap.to), `${camera} ${kind} gap to`).toBe(Math.max(...times));
      }
      expect(stats.droppedByCamera[camera] ?? 0).toBe(lost.length);
    }
    expect(stats.dropped).toBe(dropped.length);

    // One log line per burst, with counts per camera, adding up to every drop.
    const bursts = h.logs.filter((l) => String(l.msg).startsWith('outbox full: dropped'));
    expect(bursts.length).toBeGreaterThan(1);
    expect(bursts.length).toBeLessThan(dropped.length / 3);
    const logged = bursts.flatMap((l) => Object.values(l.dropped as Record<string, number>));
    expect(logged.reduce((a, b) => a + b, 0)).toBe(dropped.length);

    // The dropped records are gone from disk too: a restart replays exactly what was left.
    await outbox.close();
    outbox = await h.open({ maxBytes, segmentBytes: 4096 });
    expect((await takeAll(outbox)).map((r) => r.envelope.msgId)).toEqual(
      records.map((r) => r.envelope.msgId),
    );
  });

  it('never drops records already handed to MQTT: unacknowledged, they survive a restart', async () => {
    const options = { maxBytes: 20_000, segmentBytes: 2048 };
    outbox = await h.open(options);
    const appended: Written[] = [];
    for (let i = 0; i < 10; i++) appended.push(await append(outbox, 'health', BUSY, i));
    const inFlight = await outbox.take(10);
    for (let i = 10; i < 80; i++) appended.push(await append(outbox, 'health', BUSY, i));
    const stats = outbox.stats();
    expect(stats.dropped).toBeGreaterThan(20);
    expect(stats.inFlight).toBe(10);
    const rest = await takeAll(outbox);
    const kept = new Set([...inFlight, ...rest].map((r) => r.envelope.msgId));
    expect(appended.filter((w) => !kept.has(w.msgId))).toHaveLength(stats.dropped);
    // The agent dies before the broker acknowledged anything: the in-flight records are still on disk.
    await outbox.close();
    outbox = await h.open(options);
    const replayed = await takeAll(outbox);
    expect(replayed.slice(0, 10).map((r) => r.envelope.msgId)).toEqual(
      appended.slice(0, 10).map((w) => w.msgId),
    );
    expect(replayed.map((r) => r.envelope.msgId)).toEqual(
      [...inFlight, ...rest].map((r) => r.envelope.msgId),
    );
  });

  it('when only events are left, refuses new samples (logged once), then records their gap when there is room', async () => {
    outbox = await h.open({ maxBytes: 12_000, segmentBytes: 2048 });
    for (let i = 0; i < 50; i++) expect((await append(outbox, 'event', QUIET, i)).result).toBe('queued');
    expect(outbox.stats().bytes).toBeGreaterThan(12_000);
    const refused: Written[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.nowMs += 10_000;
      refused.push(await append(outbox, i % 2 ? 'stream' : 'health', BUSY, i));
    }
    expect(refused.map((w) => w.result)).toEqual(Array(5).fill('refused'));
    // Events are still taken.
    expect((await append(outbox, 'event', BUSY, 99)).result).toBe('queued');
    expect(outbox.stats()).toMatchObject({ refused: 5, dropped: 0, gaps: 0 });
    expect(h.logs.filter((l) => String(l.msg).startsWith('outbox full of events'))).toHaveLength(1);

    // The link comes back: everything is acknowledged and the sealed segments go.
    for (const r of await takeAll(outbox)) outbox.ack(r.n);
    await outbox.settle();
    h.clock.nowMs += 10_000;
    const next = await append(outbox, 'health', BUSY, 100);
    expect(next.result).toBe('queued');
    expect(h.logs.filter((l) => l.msg === 'outbox accepting samples again')).toHaveLength(1);
    const records = await takeAll(outbox);
    const at = (i: number) => new Date(refused[i]?.observedAtMs as number).toISOString();
    // One gap record per kind, each over its own kind's refused samples.
    expect(gapsOf(records)).toEqual([
      { cameraId: BUSY, from: at(0), to: at(4), dropped: { health: 3, stream: 0 } },
      { cameraId: BUSY, from: at(1), to: at(3), dropped: { health: 0, stream: 2 } },
    ]);
    // Written with the next sample, after it: seq increases along the outbox.
    expect(records.map((r) => r.kind)).toEqual(['health', 'gap', 'gap']);
    const seqs = records.map((r) => r.envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
  it("never names a kept sample's time as lost: a stream probe observed before a health sample that was sent", async () => {
    // A stream probe is observed when it starts and queued when it ends, seconds later: after a
    // health sample observed meanwhile, which may already be on its way to the hub. Dropping that
    // probe and a later health sample must not give a range that encloses the sent one.
    const maxBytes = 12_000;
    outbox = await h.open({ maxBytes, segmentBytes: 2048 });
    let i = 0;
    while (outbox.stats().bytes < maxBytes * 0.7) await append(outbox, 'event', QUIET, i++);
    const t = h.clock.nowMs;
    const sent = await append(outbox, 'health', BUSY, i++);
    const handedOut = await takeAll(outbox);
    expect(handedOut.map((r) => r.envelope.msgId)).toContain(sent.msgId);
    h.clock.nowMs = t - 5_000;
    const probe = await append(outbox, 'stream', BUSY, i++);
    h.clock.nowMs = t + 2_500;
    const next = await append(outbox, 'health', BUSY, i++);
    // Events fill the rest: only the probe and the newer health sample can be dropped.
    while (outbox.stats().dropped < 2) await append(outbox, 'event', QUIET, i++);
    const gaps = gapsOf(await takeAll(outbox));
    expect(gaps).toEqual([
      {
        cameraId: BUSY,
        from: iso(next.observedAtMs),
        to: iso(next.observedAtMs),
        dropped: { health: 1, stream: 0 },
      },
      {
        cameraId: BUSY,
        from: iso(probe.observedAtMs),
        to: iso(probe.observedAtMs),
        dropped: { health: 0, stream: 1 },
      },
    ]);
    for (const g of gaps.filter((g) => g.dropped.health > 0))
      expect(Date.parse(g.from) <= sent.observedAtMs && sent.observedAtMs <= Date.parse(g.to)).toBe(false);
  });
});
