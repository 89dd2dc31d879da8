import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbox } from '../../../edge-agent/src/outbox/outbox.ts';
import type { OutboxRecord } from '../../../edge-agent/src/outbox/record.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import { cameraId, type Harness, harness } from './outbox-fixtures.ts';

// A 64-camera site whose link is down for 24 h, at the default poll rates, on a fake clock: every
// health poll and stream probe goes to the outbox as the agent would append it. The default bound
// must hold it all without dropping anything.

const CAMERAS = 64;
const DAY_MS = 24 * 60 * 60 * 1000;
const defaults = defaultsOf(AgentConfig) as AgentConfig;

let h: Harness;
let outbox: Outbox;

beforeAll(async () => {
  h = await harness();
});

afterAll(async () => {
  await outbox?.close();
  await h?.cleanup();
});

describe('outbox capacity', () => {
  it('holds a 24 h outage of a 64-camera site at the default poll rates within the default bound', async () => {
    const { intervalMs, probeIntervalMs } = defaults.poll;
    const maxBytes = defaults.outbox.maxBytes;
    outbox = await h.open({ maxBytes });
    const startMs = h.clock.nowMs;
    const cameras = Array.from({ length: CAMERAS }, (_, i) => cameraId(i));
    const started = performance.now();
    let polls = 0;
    let probes = 0;
    // One simulated minute at a time: its appends go out together (the agent's appends within one
    // fsync coalesce the same way), and are awaited before the next minute.
    for (let minuteMs = 0; minuteMs < DAY_MS; minuteMs += 60_000) {
      const pending: Promise<string>[] = [];
      for (let tMs = minuteMs; tMs < minuteMs + 60_000; tMs += intervalMs) {
        h.clock.nowMs = startMs + tMs;
        for (const camera of cameras) {
          pending.push(outbox.append('health', camera, h.envelope('health', camera, polls++)));
          if (tMs % probeIntervalMs === 0)
            pending.push(outbox.append('stream', camera, h.envelope('stream', camera, probes++)));
        }
      }
      for (const result of await Promise.all(pending)) expect(result).toBe('queued');
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = outbox.stats();
    expect(polls).toBe((CAMERAS * DAY_MS) / intervalMs);
    expect(probes).toBe((CAMERAS * DAY_MS) / probeIntervalMs);
    expect(stats.appended).toEqual({ health: polls, stream: probes, event: 0, gap: 0, recording: 0 });
    expect(stats).toMatchObject({ dropped: 0, refused: 0, gaps: 0, queued: polls + probes });
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);

    // Bytes per record, from the records as stored.
    const sample = await outbox.take(CAMERAS + 1);
    const bytesOf = (kind: string) => sample.find((r: OutboxRecord) => r.kind === kind)?.bytes ?? 0;
    process.stdout.write(
      `outbox 24 h x ${CAMERAS} cameras: ${polls} health + ${probes} stream records, ` +
        `${stats.bytes} bytes (${(stats.bytes / 2 ** 20).toFixed(1)} MiB) of ${maxBytes} ` +
        `(${((100 * stats.bytes) / maxBytes).toFixed(0)}%), health record ${bytesOf('health')} B, ` +
        `stream record ${bytesOf('stream')} B, ${stats.segments} segments; ` +
        `appended and fsync'ed in ${seconds.toFixed(1)} s (${Math.round((polls + probes) / seconds)} records/s)\n`,
    );
  }, 600_000);
});
