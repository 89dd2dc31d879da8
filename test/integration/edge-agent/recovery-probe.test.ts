import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraDetail } from '../../../src/schemas/api.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// A camera that was out (its ports closed) fails the stream probe taken meanwhile. When it answers
// again, that failed probe must not keep it `down` until the next probe a whole period later: the agent
// probes it out of turn and polls again once the video is back. Measured over the real path (simulator,
// agent, broker, hub, database): the probe period is 20 s, and the camera must be up well within it.

const PROBE_PERIOD_MS = 20_000;

describe('a camera that comes back is seen back within seconds', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let token: string;
  const siteId = uniqueId('back');
  const council = uniqueId('council');
  const cam = `${siteId}-01`;

  const state = async () => {
    const r = await fetch(`${h.hub.url}/api/cameras/${cam}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return r.status === 200 ? ((await r.json()) as CameraDetail).state : undefined;
  };

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    token = await h.login('op');
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: [cam],
      probeIntervalMs: PROBE_PERIOD_MS,
      // The first probe a few seconds in, not anywhere in the first period.
      random: () => 0.15,
    });
    await site.start();
    await eventually(
      'first good probe',
      async () => ((site.agent?.stats().probes ?? 0) > 0 ? true : undefined),
      60_000,
    );
    await eventually('camera up', async () => ((await state()) === 'up' ? true : undefined), 30_000);
  }, 120_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it('is up within a few seconds of answering again, not at the next probe period', async () => {
    const failures = site.agent?.stats().probeFailures ?? 0;
    await site.simulator.setFault(cam, { kind: 'unreachable' });
    await eventually('camera down', async () => ((await state()) === 'down' ? true : undefined), 30_000);
    // A probe fails while the camera is out; it comes back right after, so without a probe out of turn
    // the failure would stand for a whole probe period. The agent probes the profiles it last read
    // whichever ONVIF call the outage breaks, so every outage gives it that failed probe.
    await eventually(
      'a failed probe while out',
      async () => ((site.agent?.stats().probeFailures ?? 0) > failures ? true : undefined),
      PROBE_PERIOD_MS * 2 + 10_000,
    );
    await site.simulator.clearFault(cam, 'unreachable');
    const clearedAt = Date.now();
    await eventually(
      'camera up again',
      async () => ((await state()) === 'up' ? true : undefined),
      PROBE_PERIOD_MS * 2,
    );
    const recoveryMs = Date.now() - clearedAt;
    expect(recoveryMs).toBeLessThan(PROBE_PERIOD_MS / 2);
  }, 150_000);
});
