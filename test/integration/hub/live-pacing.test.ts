import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../../hub-server/src/live/live-hub.ts';
import { FleetState } from '../../../hub-server/src/state/fleet-state.ts';
import { type CameraView, LIVE_EVENTS, type LiveChanges } from '../../../src/schemas/api.ts';
import { cameraView } from '../../support/camera-view.ts';

// How the live hub paces its pushes, over a real socket.io connection: a change after a quiet spell
// goes out at once even when another went a moment before (a few back to back), and beyond that
// allowance pushes wait for the interval, carrying what arrived meanwhile. The interval is long here
// (2 s) so that "at once" and "waited" are far apart on any machine.

const INTERVAL_MS = 2000;

const camera = (i: number, state: CameraView['state']) => cameraView(`cam-${i}`, state);

describe('live push pacing', () => {
  let server: HttpServer;
  let live: LiveHub;
  let socket: Socket;
  const received: { at: number; ids: string[] }[] = [];

  beforeAll(async () => {
    live = new LiveHub(new FleetState(), {
      minPushIntervalMs: INTERVAL_MS,
      log: pino({ level: 'silent' }),
      verifyToken: async () => ({ sub: 'cr', role: 'controlroom', councilIds: [] }),
    });
    server = createServer();
    live.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    socket = io(url, { auth: { token: 'x' }, transports: ['websocket'], reconnection: false });
    socket.on(LIVE_EVENTS.changes, (changes: LiveChanges) =>
      received.push({ at: performance.now(), ids: changes.cameras.map((c) => c.id) }),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once(LIVE_EVENTS.snapshot, () => resolve());
      socket.once('connect_error', reject);
    });
  });

  afterAll(async () => {
    socket?.close();
    await live?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Publishes one camera change; resolves with how long its push took to arrive. */
  const change = async (i: number): Promise<number> => {
    const before = received.length;
    const sent = performance.now();
    live.publish({ cameras: [camera(i, i % 2 === 0 ? 'down' : 'up')], sites: [] });
    for (;;) {
      const got = received.slice(before).find((r) => r.ids.includes(`cam-${i}`));
      if (got) return got.at - sent;
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('pushes a few changes at once after a quiet spell, then waits for the interval', async () => {
    // Three changes, each published as soon as the one before arrived: none waits for the interval.
    const first = [await change(1), await change(2), await change(3)];
    for (const ms of first) expect(ms).toBeLessThan(INTERVAL_MS / 2);
    // The allowance is spent: the fourth waits for it to refill.
    expect(await change(4)).toBeGreaterThan(INTERVAL_MS / 2);
    // What arrives while a push waits goes with it: two changes, one push.
    const before = received.length;
    live.publish({ cameras: [camera(5, 'down')], sites: [] });
    live.publish({ cameras: [camera(6, 'down')], sites: [] });
    await new Promise((r) => setTimeout(r, 50));
    live.publish({ cameras: [camera(7, 'down')], sites: [] });
    while (!received.slice(before).some((r) => r.ids.includes('cam-7')))
      await new Promise((r) => setTimeout(r, 5));
    expect(received.slice(before).map((r) => r.ids)).toEqual([['cam-5', 'cam-6', 'cam-7']]);
  });
});
