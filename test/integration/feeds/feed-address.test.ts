import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A feed connects only where the registry says the site's cameras are. The stream address below was
// accepted while loopback was the site's camera network; the operator then narrows the networks, and
// a control room's feed request must be refused before anything connects: a listener on that
// address counts connections. With loopback registered again, the same request does connect (so
// the listener would have seen a refused feed's connection), and the user's error says what failed
// in plain words, without ffmpeg's text or the address.

describe('live feeds: only to addresses inside the registry', () => {
  let h: HubHarness;
  let token = '';
  let site: SitePublisher;
  let listener: Server;
  let connections = 0;
  const sockets = new Set<Socket>();
  const council = uniqueId('council');
  const siteId = uniqueId('feedaddr');
  const cam = `${siteId}-1`;

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as { code?: string; message?: string } };
  };
  const openFeed = () =>
    api('POST', '/api/feeds', { cameraId: cam, incidentRef: 'INC-42', reason: 'address check' });

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.end('RTSP/1.0 500 Internal Server Error\r\n\r\n');
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as { port: number }).port;
    h = await startHub(
      { CCTV_HUB__feeds__startTimeoutMs: '3000' },
      { feedCredentials: () => ({ username: 'viewer', password: 'Viewer-Pw-91' }) },
    );
    await h.createUser('feed-op', 'operator');
    token = await h.login('feed-op');
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, [cam]));
    await site.publish('siteState', { state: 'online' });
    await site.publish('health', health(cam, 'up'), cam);
    await site.publish(
      'stream',
      {
        cameraId: cam,
        uri: `rtsp://127.0.0.1:${port}/stream1`,
        codec: 'h264',
        width: 640,
        height: 360,
        fps: 10,
        bitrateKbps: 400,
        declared: null,
        probeMs: 800,
      },
      cam,
    );
    await eventually('stream stored', async () => {
      const r = await fetch(`${h.hub.url}/api/cameras/${cam}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const detail = (await r.json()) as { state: string; stream: unknown };
      return detail.state === 'up' && detail.stream ? true : undefined;
    });
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => listener?.close(r));
  });

  it('refuses a feed to an address outside the registered networks without connecting', async () => {
    expect(
      (await api('PATCH', `/api/registry/sites/${siteId}`, { cameraNetworks: ['10.9.0.0/24'] })).status,
    ).toBe(200);
    const refused = await openFeed();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('STREAM_ADDRESS_NOT_REGISTERED');
    expect(refused.body.message).not.toMatch(/rtsp:|127\.0\.0\.1/);
    // Give a wrongly started ffmpeg time to connect before counting.
    await new Promise((r) => setTimeout(r, 1500));
    expect(connections).toBe(0);
    expect(h.hub.feedManager.upstreamPid(cam)).toBeNull();
  });

  it('audits and alerts the refusal as the site reporting an address outside its registry', async () => {
    const entries = await eventually('audit entry', async () => {
      const r = await fetch(`${h.hub.url}/api/audit?kind=site.refused`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const page = (await r.json()) as {
        entries: { subject: string; reason: string; detail: { cameraId?: string } }[];
      };
      return page.entries.length > 0 ? page.entries : undefined;
    });
    expect(entries[0]).toMatchObject({
      subject: `site:${siteId}`,
      reason: 'STREAM_ADDRESS_NOT_REGISTERED',
      detail: { cameraId: cam },
    });
    await eventually('alert', async () =>
      h.hub.openAlerts.some((a) => a.id === `site_refused:${siteId}`) ? true : undefined,
    );
  });

  it('connects once the address is inside the networks again, and tells the user only what failed', async () => {
    await api('PATCH', `/api/registry/sites/${siteId}`, { cameraNetworks: ['127.0.0.1/32'] });
    const failed = await openFeed();
    expect(connections).toBeGreaterThan(0);
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe('FEED_FAILED');
    expect(failed.body.message).toMatch(/^camera .+ feed failed: the camera/);
    expect(failed.body.message).not.toMatch(/rtsp:|127\.0\.0\.1|ffmpeg|Server returned|viewer/i);
  });
});
