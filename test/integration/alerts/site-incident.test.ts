import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERT_EVENTS,
  type Alert,
  type AlertChanges,
  type AlertList,
} from '../../../src/schemas/alert-api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A town's link fails (its MQTT connection drops and the broker publishes its last will): control
// rooms get one site incident over the socket, acknowledged, and not one alert per camera.

describe('site incidents on the control-room socket', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let socket: Socket;
  const siteId = uniqueId('alerts');
  const council = uniqueId('council');
  const cams = [1, 2, 3, 4, 5].map((i) => `${siteId}-${i}`);
  const received: Alert[] = [];
  let token: string;

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__alerts__dampMs: '1500', CCTV_HUB__alerts__evaluateIntervalMs: '200' });
    await h.createUser('cr', 'controlroom');
    await h.createUser('aud', 'auditor');
    token = await h.login('cr');
    // A control-room client: asks for alerts, and acknowledges each message it has applied.
    socket = io(h.hub.url, { auth: { token, alerts: true }, transports: ['websocket'] });
    socket.on(ALERT_EVENTS.changes, (m: AlertChanges) => {
      received.push(...m.alerts.filter((a) => a.siteId === siteId));
      socket.emit(ALERT_EVENTS.received, { seq: m.seq });
    });
    socket.on(ALERT_EVENTS.alerts, (m: AlertList) => socket.emit(ALERT_EVENTS.received, { seq: m.seq }));
    await new Promise<void>((resolve, reject) => {
      socket.once('snapshot', () => resolve());
      socket.once('connect_error', reject);
    });
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(true);
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online' });
    for (const id of cams) await site.publish('health', health(id, 'up'), id);
    for (let i = 0; i < 200 && h.hub.fleet.cameras.get(cams[4] as string)?.state !== 'up'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(h.hub.fleet.cameras.get(cams[4] as string)?.state).toBe('up');
  });

  afterAll(async () => {
    socket?.close();
    await site?.close().catch(() => {});
    await h?.stop();
  });

  it('raises one site incident when the town link fails, none per camera', async () => {
    site.kill();
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    // Wait past the damping time: cameras (now unknown) must not raise anything of their own.
    await new Promise((r) => setTimeout(r, 3000));
    expect(received.map((a) => [a.kind, a.siteId, a.cameraIds.length, a.clearedAt])).toEqual([
      ['site_offline', siteId, 5, null],
    ]);
    expect(received[0]?.message).toMatch(/link to the site is down/);
    for (const id of cams) expect(h.hub.fleet.cameras.get(id)?.state).toBe('unknown');
    const rest = await fetch(`${h.hub.url}/api/alerts`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await rest.json()) as Alert[]).filter((a) => a.siteId === siteId).map((a) => a.kind)).toEqual([
      'site_offline',
    ]);
  });

  it('takes an operator acknowledgement and pushes it to everyone', async () => {
    const id = `site_offline:${siteId}`;
    const auditor = io(h.hub.url, {
      auth: { token: await h.login('aud'), alerts: true },
      transports: ['websocket'],
    });
    const open = await new Promise<AlertList>((resolve) => auditor.once(ALERT_EVENTS.alerts, resolve));
    expect(open.alerts.map((a) => a.id)).toContain(id);
    const refused = await auditor.emitWithAck(ALERT_EVENTS.acknowledge, { id });
    expect(refused).toEqual({ ok: false, error: 'role auditor cannot acknowledge alerts' });
    auditor.close();
    const reply = await socket.emitWithAck(ALERT_EVENTS.acknowledge, { id });
    expect(reply).toEqual({ ok: true });
    for (let i = 0; i < 100 && !received.some((a) => a.acknowledgedBy); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(received.at(-1)).toMatchObject({ id, acknowledgedBy: 'cr', clearedAt: null });
  });

  it('clears the incident when the link is back', async () => {
    await site.connect(true);
    await site.publish('siteState', { state: 'online' });
    for (const id of cams) await site.publish('health', health(id, 'up'), id);
    for (let i = 0; i < 200 && !received.some((a) => a.clearedAt); i++)
      await new Promise((r) => setTimeout(r, 50));
    const cleared = received.filter((a) => a.clearedAt !== null);
    expect(cleared.map((a) => a.kind)).toEqual(['site_offline']);
    expect(received.filter((a) => a.kind !== 'site_offline')).toEqual([]);
  });
});
