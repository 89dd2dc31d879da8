import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackResult } from '../../../src/compliance/result.ts';
import type { CameraDetail } from '../../../src/schemas/api.ts';
import { startComplianceHub } from '../../support/compliance-hub.ts';
import { eventually } from '../../support/eventually.ts';
import type { HubHarness } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// Every media profile a camera declares, over the real path: a simulated camera with a main stream
// (320x240, 10 fps, 300 kbit/s declared) and a sub-stream (160x120, 5 fps, 100 kbit/s declared); the
// agent probes the sub-stream on its own, slower timer; the hub keeps it apart from the main stream,
// shows it in the camera detail and judges it in the bitrate-declared rule; a sub-stream that stops
// degrades the camera, naming the profile, while the main stream keeps the camera's figures.

describe('every media profile', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let token: string;
  const siteId = uniqueId('subs');
  const council = uniqueId('council');
  const cam = `${siteId}-01`;

  const detail = async (): Promise<CameraDetail | undefined> => {
    const r = await fetch(`${h.hub.url}/api/cameras/${cam}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return r.status === 200 ? ((await r.json()) as CameraDetail) : undefined;
  };
  const rule = async (ruleId: string) => {
    const r = await fetch(`${h.hub.url}/api/compliance?scope=camera&id=${cam}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (r.status !== 200) return undefined;
    const body = (await r.json()) as { cameras: { result: PackResult }[] };
    return body.cameras[0]?.result.results.find((x) => x.ruleId === ruleId);
  };

  beforeAll(async () => {
    ({ h, token } = await startComplianceHub('simulator-stream'));
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: [cam],
      probeIntervalMs: 2_000,
      subStreamIntervalMs: 3_000,
      subProfile: () => ({ width: 160, height: 120, fps: 5, bitrateKbps: 100 }),
    });
    await site.start();
  }, 120_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it('probes the sub-stream apart from the main stream and shows each with its own profile', async () => {
    const d = await eventually(
      'main and sub-stream probed',
      async () => {
        const got = await detail();
        return got?.stream && got.subStreams.length > 0 ? got : undefined;
      },
      60_000,
    );
    expect(d.stream).toMatchObject({ width: 320, height: 240, declared: { token: 'profile_main' } });
    expect(d.stream?.role).toBe('main');
    expect(d.subStreams).toHaveLength(1);
    expect(d.subStreams[0]).toMatchObject({
      role: 'sub',
      width: 160,
      height: 120,
      declared: { token: 'profile_sub', width: 160, height: 120, fps: 5, bitrateKbps: 100 },
    });
    expect(d.subStreams[0]?.fps).toBeCloseTo(5, 0);
    // The rule judges both profiles, each against its own declared figure.
    const judged = await eventually(
      'bitrate-declared judging the sub-stream',
      async () => {
        const r = await rule('bitrate-declared');
        return r?.evidence.values.subStreamsChecked === 1 ? r : undefined;
      },
      30_000,
    );
    expect(judged.status).toBe('pass');
    expect(judged.reason).toMatch(/; 1 sub-stream within limits$/);
    // Sub-stream samples never stand in for the main stream: the camera's stream stays the main one.
    const rows = await h.hub.database.pool.query<{ role: string | null; n: number }>(
      `SELECT payload->>'role' AS role, count(*)::int AS n FROM stream_samples WHERE camera_id = $1 GROUP BY 1 ORDER BY 1`,
      [cam],
    );
    expect(rows.rows.map((r) => r.role)).toEqual(['main', 'sub']);
  }, 90_000);

  it('a sub-stream that stops degrades the camera naming the profile, and the main stream is unaffected', async () => {
    await site.simulator.setFault(cam, { kind: 'sub-stream-down' });
    const d = await eventually(
      'sub-stream failure reported',
      async () => {
        const got = await detail();
        return got?.reasons.some((r) => r.code === 'sub_stream_error') ? got : undefined;
      },
      60_000,
    );
    expect(d.state).toBe('degraded');
    expect(d.reasons.map((r) => r.code)).toEqual(['sub_stream_error']);
    expect(d.reasons[0]?.message).toMatch(/^sub-stream profile_sub: /);
    expect(d.stream?.width).toBe(320);
    await site.simulator.clearFault(cam, 'sub-stream-down');
    await eventually(
      'camera up again',
      async () => ((await detail())?.state === 'up' ? true : undefined),
      60_000,
    );
  }, 150_000);
});
