import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { inventory, SitePublisher } from '../../support/site-publisher.ts';

// The usual way a town is connected: its agent is installed and starts publishing before an
// operator has registered the site. Its retained inventory is refused then; once the operator
// registers the site, the hub reads it again from the broker, without the agent doing anything.

describe('registry: a site registered after its agent started', () => {
  let h: HubHarness;
  let token = '';
  let site: SitePublisher;
  const council = uniqueId('late-reg');
  const siteId = uniqueId('latereg');
  const cam = `${siteId}-1`;

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('late-op', 'operator');
    token = await h.login('late-op');
    await h.registerSite(uniqueId('other'), council);
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, [cam]));
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('refuses the inventory of an unregistered site', async () => {
    await eventually('refusal', async () =>
      (h.hub.pipeline.stats.deadLetterCodes.SITE_NOT_REGISTERED ?? 0) > 0 ? true : undefined,
    );
    const r = await fetch(`${h.hub.url}/api/cameras/${cam}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(404);
  });

  it('reads the retained inventory again once an operator registers the site', async () => {
    const r = await fetch(`${h.hub.url}/api/registry/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: siteId,
        name: 'Harbour car park',
        councilId: council,
        hubId: 'test-hub',
        cameraNetworks: ['127.0.0.1/32'],
        expectedCameras: [cam],
      }),
    });
    expect(r.status).toBe(201);
    const camera = await eventually('camera from the replayed inventory', async () => {
      const c = await fetch(`${h.hub.url}/api/cameras/${cam}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return c.status === 200 ? ((await c.json()) as { councilId: string; approval: string }) : undefined;
    });
    expect(camera).toMatchObject({ councilId: council, approval: 'approved' });
  });
});
