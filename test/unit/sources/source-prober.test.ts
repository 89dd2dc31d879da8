import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import type { StreamProbe } from '../../../edge-agent/src/media/probe.ts';
import type { FeedCamera } from '../../../hub-server/src/feeds/feed-manager.ts';
import { SourceProber } from '../../../hub-server/src/sources/source-prober.ts';
import type { SourceStreamCheck, SourceView } from '../../../src/schemas/sources.ts';

const view = (id: string, state: SourceView['state'], onDuty: boolean): SourceView => ({
  id,
  kind: 'drone',
  name: id,
  unit: 'u',
  relaySiteId: 'site',
  state,
  stateSince: new Date(0).toISOString(),
  lastFixAt: null,
  location: null,
  altitudeM: null,
  headingDeg: null,
  speedMps: null,
  batteryPct: null,
  linkQualityPct: null,
  footprint: null,
  track: [],
  onDuty,
  stream: null,
});

const target = (id: string): FeedCamera => ({
  id,
  name: id,
  siteId: 'site',
  councilId: null,
  state: 'up',
  siteState: 'online',
  streamUri: `rtsp://127.0.0.1:1/${id}`,
  cameraNetworks: ['127.0.0.1'],
});

const probeResult: StreamProbe = {
  uri: 'rtsp://x',
  codec: 'h264',
  width: 1280,
  height: 720,
  fps: 24.994,
  bitrateKbps: 2048.4,
  packetCount: 50,
  repeatedPackets: 0,
  probeMs: 2000,
};

function prober(sources: SourceView[], probe: (uri: string) => Promise<StreamProbe>, maxConcurrent = 2) {
  let nowMs = 1_000_000;
  const checks: [string, SourceStreamCheck][] = [];
  const started: string[] = [];
  const p = new SourceProber({
    ffprobePath: '/nonexistent',
    intervalMs: 60_000,
    timeoutMs: 5000,
    sampleMs: 1000,
    maxConcurrent,
    now: () => nowMs,
    log: pino({ level: 'silent' }),
    sources: () => sources,
    target,
    credentials: () => null,
    checked: async (id, check) => void checks.push([id, check]),
    probe: (uri) => {
      started.push(uri);
      return probe(uri);
    },
  });
  return { p, checks, started, advance: (ms: number) => (nowMs += ms) };
}

describe('checks of mobile sources streams', () => {
  it('checks sources on duty or live, never one grounded and off duty', () => {
    const { p } = prober(
      [
        view('live', 'up', false),
        view('duty', 'offline', true),
        view('grounded', 'offline', false),
        view('late', 'unknown', false),
      ],
      async () => probeResult,
    );
    expect(p.due().map((s) => s.id)).toEqual(['live', 'duty']);
  });

  it('records what ffprobe measured, rounded, and checks again only after the interval', async () => {
    const { p, checks, advance } = prober([view('a', 'up', true)], async () => probeResult);
    await p.check('a');
    expect(checks).toEqual([
      [
        'a',
        {
          checkedAt: new Date(1_000_000).toISOString(),
          ok: true,
          codec: 'h264',
          width: 1280,
          height: 720,
          fps: 24.99,
          bitrateKbps: 2048,
          errorCode: null,
          error: null,
        },
      ],
    ]);
    expect(p.due()).toEqual([]);
    advance(59_999);
    expect(p.due()).toEqual([]);
    advance(1);
    expect(p.due().map((s) => s.id)).toEqual(['a']);
  });

  it('records a failure with its code, and a stream that throws anything else as stream_error', async () => {
    const { p, checks } = prober([view('a', 'up', true), view('b', 'up', true)], async (uri) => {
      if (uri.endsWith('/a')) throw new AgentError('no_video', 'stream unreachable: Connection refused');
      throw new Error('boom');
    });
    await p.check('a');
    await p.check('b');
    expect(checks.map(([id, c]) => [id, c.ok, c.errorCode, c.error, c.codec])).toEqual([
      ['a', false, 'no_video', 'stream unreachable: Connection refused', null],
      ['b', false, 'stream_error', 'boom', null],
    ]);
  });

  it('runs at most maxConcurrent checks at once', async () => {
    const release: (() => void)[] = [];
    const { p, started } = prober(
      [view('a', 'up', true), view('b', 'up', true), view('c', 'up', true)],
      () => new Promise<StreamProbe>((resolve) => release.push(() => resolve(probeResult))),
      2,
    );
    p.start();
    expect(started.length).toBe(2);
    // A running check is not due again.
    expect(p.due().map((s) => s.id)).toEqual(['c']);
    p.stop();
    for (const r of release) r();
  });
});
