// Control-room socket clients for the latency benchmark, in a process of their own so that the
// bench process's event loop does not skew the figures. Driven by the parent over IPC: connect K
// sockets (each waits for its snapshot), then record, for every camera change pushed to every
// socket, the time from the agent's publish (the camera's stateSince, which is the heartbeat's
// observedAt) to its arrival here.

import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { ALERT_EVENTS, type AlertChanges, type AlertList } from '../../src/schemas/alert-api.ts';
import type { CameraView, LiveChanges, LiveSnapshot } from '../../src/schemas/api.ts';
import { LIVE_EVENTS } from '../../src/schemas/api.ts';
import { allSitesFilter } from '../../src/topics.ts';

export type LatencyClientCommand =
  /**
   * `client`: socket.io-client (the dashboard's library), or a lean client that speaks the same
   * protocol over a bare WebSocket and times each message on arrival, before parsing it: with many
   * sockets in one process, the time socket.io-client spends on the sockets read before the last one
   * would otherwise count against the last one's latency.
   */
  | { type: 'connect'; url: string; token: string; count: number; client?: SocketClientKind }
  /** The floor: a bare MQTT subscriber to every site's topics (QoS 1, as the hub), no sockets. */
  | { type: 'subscribe'; mqttUrl: string; username?: string; password?: string }
  | { type: 'measure'; sinceMs: number }
  | { type: 'stop' }
  | { type: 'close' };

export type LatencyClientReport =
  | { type: 'connected'; connected: number; failed: number; error: string | null }
  | {
      type: 'samples';
      /** Publish-to-socket latencies, ms (one per camera change per socket). */
      latenciesMs: number[];
      /** The push's own part: its `at` (when the hub emitted it) to receipt, ms, one per push per socket. */
      pushMs: number[];
      /** A bare subscriber's part (after `subscribe`): each heartbeat's publish (observedAt) to its receipt here, ms. */
      floorMs: number[];
      pushes: number;
      disconnects: number;
      /** Alert messages received and acknowledged (lists and changes), over all sockets. */
      alertMessages: number;
    }
  | { type: 'closed' }
  | { type: 'error'; message: string };

export type SocketClientKind = 'socket.io' | 'lean';

const send = (report: LatencyClientReport) => process.send?.(report);

interface Client {
  /** What closes it. */
  close: () => void;
  /** stateSince (ms) last seen per camera changed during the measurement: a repeat is not a new delivery. */
  seen: Map<string, number>;
}

const clients: Client[] = [];
let sinceMs = Number.POSITIVE_INFINITY;
let measuring = false;
let latencies: number[] = [];
let pushLatencies: number[] = [];
let floorLatencies: number[] = [];
let subscriber: mqtt.MqttClient | null = null;
const OBSERVED_AT = /"observedAt":"([^"]+)"/;

async function subscribe(command: Extract<LatencyClientCommand, { type: 'subscribe' }>): Promise<void> {
  subscriber = await mqtt.connectAsync(command.mqttUrl, {
    clientId: `bench-floor-${process.pid}`,
    clean: true,
    protocolVersion: 4,
    username: command.username,
    password: command.password,
  });
  subscriber.on('message', (topic, payload) => {
    const receivedMs = Date.now();
    if (!measuring || !topic.endsWith('/health')) return;
    const at = OBSERVED_AT.exec(payload.toString('latin1'))?.[1];
    const sent = at === undefined ? Number.NaN : Date.parse(at);
    if (sent >= sinceMs) floorLatencies.push(receivedMs - sent);
  });
  await subscriber.subscribeAsync(allSitesFilter(), { qos: 1 });
  send({ type: 'connected', connected: 1, failed: 0, error: null });
}
let pushes = 0;
let disconnects = 0;
let alertMessages = 0;

function onChanges(client: Client, receivedMs: number, changes: LiveChanges): void {
  if (!measuring) return;
  pushes++;
  pushLatencies.push(receivedMs - Date.parse(changes.at));
  for (const camera of changes.cameras as CameraView[]) {
    // States the fleet publishes only: 'unknown' (a stale camera) starts at a time the hub derives.
    if (camera.state !== 'up' && camera.state !== 'degraded' && camera.state !== 'down') continue;
    const since = Date.parse(camera.stateSince);
    if (!(since >= sinceMs)) continue;
    if (client.seen.get(camera.id) === since) continue;
    client.seen.set(camera.id, since);
    latencies.push(receivedMs - since);
  }
}

function connectOne(url: string, token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    // A control-room client: it asks for alerts and acknowledges each message it has applied.
    const socket: Socket = io(url, {
      auth: { token, alerts: true },
      transports: ['websocket'],
      reconnection: false,
      timeout: 60_000,
    });
    const client: Client = { close: () => socket.close(), seen: new Map() };
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no snapshot within 60 s'));
    }, 60_000);
    socket.once(LIVE_EVENTS.snapshot, (_snapshot: LiveSnapshot) => {
      clearTimeout(timer);
      resolve(client);
    });
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.on(LIVE_EVENTS.changes, (changes: LiveChanges) => onChanges(client, Date.now(), changes));
    for (const event of [ALERT_EVENTS.alerts, ALERT_EVENTS.changes])
      socket.on(event, (m: AlertList | AlertChanges) => {
        if (measuring) alertMessages++;
        socket.emit(ALERT_EVENTS.received, { seq: m.seq });
      });
    socket.on('disconnect', () => {
      if (measuring) disconnects++;
    });
  });
}

/** Messages the lean clients timed on arrival, parsed once the sockets read in the same turn are. */
const arrived: { client: Client; receivedMs: number; text: string; reply: (text: string) => void }[] = [];
let parseScheduled = false;

function parseArrived(): void {
  parseScheduled = false;
  for (const m of arrived.splice(0)) {
    // Socket.IO over Engine.IO 4: "4" a message, then "2" an event: ["name", payload].
    if (!m.text.startsWith('42')) continue;
    const [event, payload] = JSON.parse(m.text.slice(2)) as [string, unknown];
    if (event === LIVE_EVENTS.changes) onChanges(m.client, m.receivedMs, payload as LiveChanges);
    else if (event === ALERT_EVENTS.alerts || event === ALERT_EVENTS.changes) {
      if (measuring) alertMessages++;
      m.reply(`42${JSON.stringify([ALERT_EVENTS.received, { seq: (payload as AlertList).seq }])}`);
    }
  }
}

/**
 * The lean client: Engine.IO 4 and Socket.IO 5 over a bare WebSocket (the protocol socket.io-client
 * speaks with `transports: ['websocket']`): open, connect to "/" with the token, answer pings, and
 * time every message as it arrives; parsing waits until the sockets read in the same turn of the
 * event loop are all timed.
 */
function connectLean(url: string, token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    const client: Client = { close: () => ws.close(), seen: new Map() };
    let ready = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error('no snapshot within 60 s')), 60_000);
    const reply = (text: string) => ws.send(text);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const receivedMs = Date.now();
      if (isBinary) return;
      const text = data.toString('utf8');
      if (!ready) {
        if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token, alerts: true })}`);
        else if (text.startsWith('44')) fail(new Error(`connect refused: ${text.slice(2, 200)}`));
        else if (text.startsWith(`42["${LIVE_EVENTS.snapshot}"`)) {
          ready = true;
          clearTimeout(timer);
          resolve(client);
        } else if (text === '2') ws.send('3');
        // An alert list may come before the snapshot: it is acknowledged like any other.
        else if (text.startsWith('42')) arrived.push({ client, receivedMs, text, reply });
        return;
      }
      if (text === '2') {
        ws.send('3');
        return;
      }
      arrived.push({ client, receivedMs, text, reply });
      if (!parseScheduled) {
        parseScheduled = true;
        setImmediate(parseArrived);
      }
    });
    ws.on('error', (error) => {
      if (!ready) fail(error);
    });
    ws.on('close', () => {
      if (!ready) fail(new Error('closed before its snapshot'));
      else if (measuring) disconnects++;
    });
  });
}

async function connect(url: string, token: string, count: number, kind: SocketClientKind): Promise<void> {
  const connectOneOf = kind === 'lean' ? connectLean : connectOne;
  let failed = 0;
  let error: string | null = null;
  // A few at a time: the hub verifies each token and sends each a full snapshot.
  for (let i = 0; i < count; i += 25) {
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(25, count - i) }, () => connectOneOf(url, token)),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') clients.push(r.value);
      else {
        failed++;
        error ??= r.reason instanceof Error ? r.reason.message : String(r.reason);
      }
    }
  }
  send({ type: 'connected', connected: clients.length, failed, error });
}

process.on('message', (command: LatencyClientCommand) => {
  void (async () => {
    try {
      if (command.type === 'connect')
        await connect(command.url, command.token, command.count, command.client ?? 'socket.io');
      else if (command.type === 'subscribe') await subscribe(command);
      else if (command.type === 'measure') {
        sinceMs = command.sinceMs;
        latencies = [];
        pushLatencies = [];
        floorLatencies = [];
        pushes = 0;
        disconnects = 0;
        alertMessages = 0;
        for (const c of clients) c.seen.clear();
        measuring = true;
      } else if (command.type === 'stop') {
        measuring = false;
        send({
          type: 'samples',
          latenciesMs: latencies,
          pushMs: pushLatencies,
          floorMs: floorLatencies,
          pushes,
          disconnects,
          alertMessages,
        });
        latencies = [];
        pushLatencies = [];
        floorLatencies = [];
      } else if (command.type === 'close') {
        for (const c of clients.splice(0)) c.close();
        await subscriber?.endAsync();
        send({ type: 'closed' });
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
