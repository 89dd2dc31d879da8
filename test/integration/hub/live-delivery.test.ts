import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../../hub-server/src/live/live-hub.ts';
import { FleetState } from '../../../hub-server/src/state/fleet-state.ts';
import {
  ALERT_EVENTS,
  type Alert,
  type AlertChanges,
  type AlertList,
} from '../../../src/schemas/alert-api.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import { cameraView } from '../../support/camera-view.ts';

// The live hub's delivery to clients that misbehave, over real socket.io connections: alerts go
// only to sockets that ask for them, numbered and acknowledged cumulatively; a subscriber that
// acknowledges nothing is sent fresh lists and then closed; a socket that stops reading is closed
// before its queued pushes grow without bound. None of this needs the broker or the database.

// Long enough that a client's acknowledgement on a loaded machine is never late; short enough
// that three resynchronisations take seconds.
const ACK_TIMEOUT_MS = 1000;
const MAX_QUEUED = 4;

const alert = (id: string, councilId: string, clearedAt: string | null = null): Alert => ({
  id: `camera_down:${id}`,
  kind: 'camera_down',
  severity: 'minor',
  siteId: 'site-1',
  councilId,
  cameraIds: [id],
  message: `camera ${id} is down`,
  openedAt: '2026-11-24T10:00:00.000Z',
  clearedAt,
  acknowledgedBy: null,
  acknowledgedAt: null,
  ackComment: null,
});

const camera = (i: number, state: CameraView['state']) =>
  cameraView(`cam-${i}`, state, { name: `Camera ${i} ${'x'.repeat(200)}` });

describe('live delivery to slow and silent clients', () => {
  let server: HttpServer;
  let live: LiveHub;
  let url: string;
  let open: Alert[] = [];
  const clients: Socket[] = [];
  const logged: { msg: string; user?: string }[] = [];

  /** A connected socket whose snapshot has come; `setup` adds listeners before anything arrives. */
  const connect = async (
    token: string,
    alerts: boolean,
    setup?: (socket: Socket) => void,
  ): Promise<Socket> => {
    const socket = io(url, { auth: { token, alerts }, transports: ['websocket'], reconnection: false });
    clients.push(socket);
    setup?.(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('snapshot', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  };

  beforeAll(async () => {
    const fleet = new FleetState();
    const log = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          logged.push(JSON.parse(line) as { msg: string; user?: string });
        },
      },
    );
    live = new LiveHub(fleet, {
      minPushIntervalMs: 5,
      alertAckTimeoutMs: ACK_TIMEOUT_MS,
      maxQueuedPushes: MAX_QUEUED,
      log,
      openAlerts: () => open,
      verifyToken: async (token) => {
        if (token === 'control-room') return { sub: 'cr', role: 'controlroom', councilIds: [] };
        if (token === 'council-a') return { sub: 'officer', role: 'council', councilIds: ['council-a'] };
        if (token === 'silent') return { sub: 'silent', role: 'controlroom', councilIds: [] };
        if (token === 'stalled') return { sub: 'stalled', role: 'controlroom', councilIds: [] };
        throw new Error('unknown token');
      },
    });
    server = createServer();
    live.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await live?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('sends alerts only to sockets that ask, scoped, numbered, and stops owing once acknowledged', async () => {
    open = [alert('a1', 'council-a'), alert('b0', 'council-b')];
    type Got = { event: string; seq: number; ids: string[] };
    /** A control-room client: applies each message and acknowledges its number. */
    const subscriber = (into: Got[]) => (socket: Socket) => {
      for (const event of [ALERT_EVENTS.alerts, ALERT_EVENTS.changes])
        socket.on(event, (m: AlertList | AlertChanges) => {
          into.push({
            event,
            seq: m.seq,
            ids: m.alerts.map((a) => (a.clearedAt ? `${a.id} cleared` : a.id)),
          });
          socket.emit(ALERT_EVENTS.received, { seq: m.seq });
        });
    };
    const got = { room: [] as Got[], officer: [] as Got[], map: 0 };
    const room = await connect('control-room', true, subscriber(got.room));
    const officer = await connect('council-a', true, subscriber(got.officer));
    const mapOnly = await connect('control-room', false, (socket) => {
      socket.on(ALERT_EVENTS.alerts, () => got.map++);
      socket.on(ALERT_EVENTS.changes, () => got.map++);
    });

    live.publishAlerts([alert('a2', 'council-a'), alert('b1', 'council-b')]);
    live.publishAlerts([alert('a2', 'council-a', '2026-11-24T10:05:00.000Z')]);
    for (let i = 0; i < 100 && (got.room.length < 2 || got.officer.length < 2); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(got.room.map(({ event, ids }) => [event, ids])).toEqual([
      ['alerts', ['camera_down:a1', 'camera_down:b0']],
      // Two versions of a2 published together: one message, with the latest.
      ['alert:changes', ['camera_down:a2 cleared', 'camera_down:b1']],
    ]);
    expect(got.officer.map(({ event, ids }) => [event, ids])).toEqual([
      ['alerts', ['camera_down:a1']],
      ['alert:changes', ['camera_down:a2 cleared']],
    ]);
    expect(got.map).toBe(0);
    for (const list of [got.room, got.officer])
      expect(list[1]?.seq).toBeGreaterThan(list[0]?.seq ?? Infinity);
    // Acknowledged: past the timeout, nobody is sent a list again, and nobody is closed.
    await new Promise((r) => setTimeout(r, ACK_TIMEOUT_MS * 2));
    expect(got.room.length + got.officer.length).toBe(4);
    expect(live.deliveryStats.alertResyncs).toBe(0);
    expect(room.connected && officer.connected && mapOnly.connected).toBe(true);
  });

  it('sends a subscriber that acknowledges nothing fresh lists, then closes it', async () => {
    open = [alert('a1', 'council-a'), alert('a2', 'council-a')];
    const before = { ...live.deliveryStats };
    const silent = io(url, {
      auth: { token: 'silent', alerts: true },
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(silent);
    const lists: AlertList[] = [];
    silent.on(ALERT_EVENTS.alerts, (m: AlertList) => lists.push(m));
    const closed = new Promise<string>((resolve) => silent.once('disconnect', resolve));
    const reason = await Promise.race([
      closed,
      new Promise<string>((r) => setTimeout(() => r('still connected'), ACK_TIMEOUT_MS * 20)),
    ]);
    expect(reason).toBe('io server disconnect');
    // The connect-time list and three more, each a fresh copy of the open alerts, numbered upwards.
    expect(lists.length).toBe(4);
    expect(lists.map((l) => l.alerts.length)).toEqual([2, 2, 2, 2]);
    expect(lists.map((l) => l.seq)).toEqual([...lists.map((l) => l.seq)].sort((a, b) => a - b));
    expect(live.deliveryStats.alertResyncs - before.alertResyncs).toBe(3);
    expect(live.deliveryStats.alertSocketsClosed - before.alertSocketsClosed).toBe(1);
    expect(
      logged.some(
        (l) => l.msg === 'closing a live socket that acknowledges no alerts' && l.user === 'silent',
      ),
    ).toBe(true);
    // An acknowledgement of a number never sent, or garbage, does not count.
    const liar = await connect('control-room', true);
    liar.emit(ALERT_EVENTS.received, { seq: 1e9 });
    liar.emit(ALERT_EVENTS.received, 'nonsense');
    const liarClosed = new Promise<string>((resolve) => liar.once('disconnect', resolve));
    expect(
      await Promise.race([
        liarClosed,
        new Promise((r) => setTimeout(() => r('still connected'), ACK_TIMEOUT_MS * 20)),
      ]),
    ).toBe('io server disconnect');
  });

  it('closes a socket that stops reading, and keeps pushing to the others', async () => {
    const reader = await connect('control-room', false);
    const stalled = await connect('stalled', false);
    let received = 0;
    reader.on('changes', () => received++);
    // Stop reading the stalled socket's connection: the kernel buffers fill, then the hub's queue.
    const engine = stalled.io.engine as unknown as { transport: { ws: { _socket: { pause(): void } } } };
    engine.transport.ws._socket.pause();
    const before = live.deliveryStats.slowSocketsClosed;
    // Each push is about 300 KB (1,000 changed cameras); the kernel takes some MB before it stops.
    for (let round = 0; round < 200 && live.deliveryStats.slowSocketsClosed === before; round++) {
      live.publish({
        cameras: Array.from({ length: 1000 }, (_, i) => camera(i, round % 2 ? 'up' : 'down')),
        sites: [],
      });
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(live.deliveryStats.slowSocketsClosed - before).toBe(1);
    expect(
      logged.some((l) => l.msg === 'closing a live socket too slow for its pushes' && l.user === 'stalled'),
    ).toBe(true);
    expect(live.connections).toBe(clients.filter((c) => c.connected).length - 1);
    // The reader kept up and is still served.
    const seen = received;
    live.publish({ cameras: [camera(1, 'degraded')], sites: [] });
    for (let i = 0; i < 100 && received === seen; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toBeGreaterThan(seen);
    expect(reader.connected).toBe(true);
  });
});
