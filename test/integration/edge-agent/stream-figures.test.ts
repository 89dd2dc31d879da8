import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackResult } from '../../../src/compliance/result.ts';
import type { StreamPayload } from '../../../src/schemas/payloads.ts';
import { startComplianceHub } from '../../support/compliance-hub.ts';
import type { HubHarness } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// A relay that repeats every packet (same pts) must not double the frame rate and bitrate the hub
// stores, and a stream encoded far from its declared profile bitrate fails the bitrate-declared rule:
// the figures travel from the simulator's RTSP stream through the real agent, broker and ingest into
// the database, and are read back from there and from the compliance API.

// The site harness's simulated cameras declare 10 fps at 300 kbit/s.
const DECLARED_FPS = 10;

describe('stream figures under repeated packets', () => {
  let h: HubHarness;
  let site: SiteHarness;
  const siteId = uniqueId('dup');
  const council = uniqueId('council');
  const cam = `${siteId}-01`;
  const lowCam = `${siteId}-02`;
  const cams = [cam, lowCam];
  let token: string;

  const rule = async (cameraId: string, ruleId: string) => {
    const r = await fetch(`${h.hub.url}/api/compliance?scope=camera&id=${cameraId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (r.status === 404) return undefined; // until the inventory has arrived
    const body = (await r.json()) as { cameras: { result: PackResult }[] };
    if (r.status !== 200) throw new Error(`compliance API answered ${r.status}: ${JSON.stringify(body)}`);
    return body.cameras[0]?.result.results.find((x) => x.ruleId === ruleId);
  };
  const waitRule = async (cameraId: string, ruleId: string, status: string) => {
    const deadline = Date.now() + 60_000;
    let last: unknown;
    while (Date.now() < deadline) {
      last = await rule(cameraId, ruleId);
      if ((last as { status?: string } | undefined)?.status === status)
        return last as PackResult['results'][number];
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${cameraId} ${ruleId} never became ${status}; last: ${JSON.stringify(last)}`);
  };

  const samplesSince = async (sinceMs: number): Promise<StreamPayload[]> => {
    const r = await h.hub.database.pool.query<{ payload: StreamPayload }>(
      'SELECT payload FROM stream_samples WHERE camera_id = $1 AND observed_at > $2 ORDER BY observed_at',
      [cam, new Date(sinceMs)],
    );
    return r.rows.map((row) => row.payload);
  };
  const waitSamples = async (sinceMs: number, count: number): Promise<StreamPayload[]> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const got = (await samplesSince(sinceMs)).filter((s) => s.fps !== null);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`only ${got.length} stream samples with fps since fault`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  beforeAll(async () => {
    ({ h, token } = await startComplianceHub('simulator-stream'));
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 2_000,
    });
    await site.start();
    await waitSamples(0, 1);
    for (const c of cams) await waitRule(c, 'bitrate-declared', 'pass');
  }, 180_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it('reports the real frame rate and bitrate, not the repeated packets', async () => {
    const clean = (await samplesSince(0)).filter((s) => s.fps !== null).at(-1) as StreamPayload;
    await site.simulator.setFault(cam, { kind: 'repeated-packets' });
    // Samples observed after the fault was set come from probes that started under it (a probe
    // straddling the change is observed at its start).
    const faultAtMs = Date.now();
    const samples = await waitSamples(faultAtMs, 2);
    const last = samples.at(-1) as StreamPayload;
    // Every frame arrives twice: counting packets would give ~20 fps and double the bitrate.
    expect(clean.repeatedPackets).toBe(0);
    expect(last.repeatedPackets).toBeGreaterThan(0);
    expect(last.fps).not.toBeNull();
    expect(Math.abs((last.fps as number) - DECLARED_FPS)).toBeLessThan(DECLARED_FPS * 0.25);
    expect(clean.bitrateKbps).not.toBeNull();
    // Same encoded clip, so the same figure give or take a packet at the sample's edges.
    expect(last.bitrateKbps as number).toBeLessThan((clean.bitrateKbps as number) * 1.15);
    expect(last.bitrateKbps as number).toBeGreaterThan((clean.bitrateKbps as number) * 0.85);
    console.info(
      `repeated packets: clean ${clean.fps} fps ${clean.bitrateKbps} kbit/s; under the fault ${last.fps} fps ${last.bitrateKbps} kbit/s, ${last.repeatedPackets} repeats dropped (declared ${last.declared?.fps} fps ${last.declared?.bitrateKbps} kbit/s)`,
    );
    await site.simulator.clearFault(cam);
  }, 90_000);

  it('fails bitrate-declared when the stream is far below its declared bitrate', async () => {
    await site.simulator.setFault(lowCam, { kind: 'bitrate-mismatch', bitrateKbps: 16 });
    const failed = await waitRule(lowCam, 'bitrate-declared', 'fail');
    console.info(`bitrate-mismatch: ${failed.reason}`);
    expect(failed.evidence.values.declaredKbps).toBe(300);
    expect(failed.evidence.values.shareOfDeclared as number).toBeLessThan(0.25);
    await site.simulator.clearFault(lowCam);
    await waitRule(lowCam, 'bitrate-declared', 'pass');
  }, 120_000);
});
