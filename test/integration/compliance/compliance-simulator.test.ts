import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackResult } from '../../../src/compliance/result.ts';
import { startComplianceHub } from '../../support/compliance-hub.ts';
import type { HubHarness } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// Faults injected into simulated cameras reach the certification rules through the real agent,
// broker, ingest and evaluation job: each turns its rule to fail with evidence, and clearing it
// returns the rule to pass.

interface CameraStatus {
  cameraId: string;
  packRef: string;
  status: string;
  result: PackResult;
}

describe('certification rules against the camera simulator', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let token: string;
  const siteId = uniqueId('cert');
  const council = uniqueId('council');
  const cams = ['clock', 'tz', 'fps', 'blank'].map((k) => `${siteId}-${k}`);

  const rule = async (cameraId: string, ruleId: string) => {
    const r = await fetch(`${h.hub.url}/api/compliance?scope=camera&id=${cameraId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    // 404 until the camera's inventory has arrived.
    if (r.status === 404) return undefined;
    const body = (await r.json()) as { cameras: CameraStatus[] };
    if (r.status !== 200) throw new Error(`compliance API answered ${r.status}: ${JSON.stringify(body)}`);
    return body.cameras[0]?.result.results.find((x) => x.ruleId === ruleId);
  };
  const waitRule = async (cameraId: string, ruleId: string, status: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      last = await rule(cameraId, ruleId);
      if ((last as { status?: string } | undefined)?.status === status)
        return last as PackResult['results'][number];
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${cameraId} ${ruleId} never became ${status}; last: ${JSON.stringify(last)}`);
  };

  beforeAll(async () => {
    ({ h, token } = await startComplianceHub('simulator-checks'));
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 3_000,
    });
    await site.start();
    for (const cam of cams) {
      for (const id of ['clock-offset', 'clock-source', 'frame-rate', 'image'])
        await waitRule(cam, id, 'pass', 45_000);
    }
  }, 180_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it.each([
    ['clock skew', 0, { kind: 'clock-skew', skewMs: 12_000 } as const, 'clock-offset'],
    ['wrong time zone', 1, { kind: 'wrong-timezone' } as const, 'clock-source'],
    ['low frame rate', 2, { kind: 'fps-mismatch', fps: 3 } as const, 'frame-rate'],
    ['blank image', 3, { kind: 'blank-image' } as const, 'image'],
  ])(
    '%s fails its rule with evidence, and passes again when cleared',
    async (_name, index, fault, ruleId) => {
      const cam = cams[index] as string;
      await site.simulator.setFault(cam, fault);
      const failed = await waitRule(cam, ruleId, 'fail');
      expect(failed.reason.length).toBeGreaterThan(5);
      expect(Object.keys(failed.evidence ?? {}).length).toBeGreaterThan(0);
      await site.simulator.clearFault(cam);
      await waitRule(cam, ruleId, 'pass');
    },
  );

  it('keeps a daily history per camera and pins code@version', async () => {
    const r = await fetch(`${h.hub.url}/api/compliance/cameras/${cams[0]}/history`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await r.json()) as {
      days: { packRef: string; worstStatus: string; latestStatus: string }[];
    };
    expect(body.days.length).toBe(1);
    expect(body.days[0]?.packRef).toBe('simulator-checks@1');
    expect(body.days[0]?.worstStatus).toBe('fail');
  });
});
