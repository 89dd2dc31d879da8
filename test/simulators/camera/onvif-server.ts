import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DigestAuthenticator, DigestCredentials } from './digest-auth.ts';
import type { SimFault } from './faults.ts';
import * as R from './onvif-responses.ts';
import * as G from './profile-g.ts';
import * as E from './pull-point-events.ts';
import type { SimRecordingDevice } from './recording-device.ts';
import type { CameraNetworkMode } from './rtsp-server.ts';
import {
  childText,
  parseSoapRequest,
  SOAP_CONTENT_TYPE,
  SoapParseError,
  soapEnvelope,
  soapFault,
} from './soap.ts';
import type { SimStreamName } from './types.ts';
import { type NonceReplayCache, verifyUsernameToken } from './ws-security.ts';

// One HTTP server per simulated camera (its own port, so "unreachable" is a real ECONNREFUSED):
//   POST /onvif/device_service  ONVIF device service (tds)
//   POST /onvif/media_service   ONVIF media service (trt)
//   GET  /onvif/snapshot.jpg    JPEG snapshot, HTTP Digest auth
//   POST /onvif/search_service  ONVIF recording search (tse), devices with recordings only
//   POST /onvif/events_service  ONVIF events (tev): CreatePullPointSubscription, ditto
//   POST /onvif/events_service/subscription/{id}  PullMessages, Renew, Unsubscribe
// Unknown SOAP methods get HTTP 500 with a SOAP 1.2 fault env:Receiver / ter:ActionNotSupported
// (ONVIF Core 5.11.2.4), so clients can tell "not implemented" from transport failures.

export const DEVICE_PATH = '/onvif/device_service';
export const MEDIA_PATH = '/onvif/media_service';
export const SNAPSHOT_PATH = '/onvif/snapshot.jpg';
export const SEARCH_PATH = '/onvif/search_service';
export const EVENTS_PATH = '/onvif/events_service';
const SUBSCRIPTION_PREFIX = `${EVENTS_PATH}/subscription/`;
const MAX_SOAP_BYTES = 64 * 1024;

export interface OnvifCameraRuntime {
  id: string;
  credentials: DigestCredentials;
  view(): R.OnvifCameraView;
  clock(): R.CameraClockView;
  acceptsCredentials(): boolean;
  /** HTTP status that carries the NotAuthorized fault (400 by the spec; some cameras send 200). */
  authFailureStatus(): number;
  networkMode(): CameraNetworkMode;
  snapshot(): Promise<Buffer>;
  replay: NonceReplayCache;
  /** The device's recordings and event subscriptions; undefined for a camera without recordings. */
  recordingDevice(): SimRecordingDevice | undefined;
  faults(): SimFault[];
}

/** A whole SOAP envelope (with its own namespace declarations), sent as is. */
class Envelope {
  constructor(readonly xml: string) {}
}

type Handler = (
  cam: R.OnvifCameraView,
  body: string,
  rt: OnvifCameraRuntime,
  path: string,
) => string | SoapError | Envelope;

class SoapError {
  constructor(
    readonly status: number,
    readonly xml: string,
  ) {}
}

function badArg(subcode: string, reason: string): SoapError {
  return new SoapError(400, soapFault('Sender', 'ter:InvalidArgVal', reason, subcode));
}

/** The profile the request's ProfileToken names (main or, on cameras with one, sub), or ter:NoProfile. */
function requestedProfile(cam: R.OnvifCameraView, body: string): SimStreamName | SoapError {
  const token = childText(body, 'ProfileToken')?.trim();
  return R.profileForToken(cam, token) ?? badArg('ter:NoProfile', `no profile with token '${token ?? ''}'`);
}

const DEVICE_METHODS: Record<string, Handler> = {
  GetSystemDateAndTime: (_cam, _body, rt) => R.getSystemDateAndTime(rt.clock()),
  GetDeviceInformation: (cam) => R.getDeviceInformation(cam),
  GetCapabilities: (cam) => R.getCapabilities(cam),
  GetServices: (cam) => R.getServices(cam),
  GetNTP: (_cam, _body, rt) => R.getNtp(rt.clock().ntp),
  GetScopes: (cam) => R.getScopes(cam),
};

/** xs:duration as ONVIF clients send it for termination times: PT#H#M#S (also P#D); null when not one. */
function durationSeconds(text: string | undefined): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text?.trim() ?? '');
  if (!m || text?.trim() === 'P' || text?.trim() === 'PT') return null;
  return Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

function recorder(rt: OnvifCameraRuntime): SimRecordingDevice | SoapError {
  return (
    rt.recordingDevice() ??
    new SoapError(500, soapFault('Receiver', 'ter:ActionNotSupported', 'no recordings'))
  );
}

const SEARCH_METHODS: Record<string, Handler> = {
  FindRecordings: (_cam, _body, rt) => {
    const device = recorder(rt);
    if (device instanceof SoapError) return device;
    return new Envelope(G.findRecordingsResponse(device.newSearchToken()));
  },
  // Every recording in one Completed page (a real recorder may page; the agent handles both).
  GetRecordingSearchResults: (_cam, _body, rt) => {
    const device = recorder(rt);
    if (device instanceof SoapError) return device;
    return new Envelope(G.recordingSearchResultsResponse(device.recordings(rt.faults()), rt.clock().utcMs));
  },
  EndSearch: (_cam, _body, rt) => new Envelope(G.endSearchResponse(rt.clock().utcMs)),
};

const TERMINATION_LIMIT_S = 3600;

const EVENTS_METHODS: Record<string, Handler> = {
  CreatePullPointSubscription: (cam, body, rt) => {
    const device = recorder(rt);
    if (device instanceof SoapError) return device;
    const seconds = durationSeconds(childText(body, 'InitialTerminationTime')) ?? 60;
    const active = rt.faults();
    const { id, terminationMs } = device.subscribe(Math.min(TERMINATION_LIMIT_S, seconds), active);
    const address = `${cam.deviceUrl.replace(DEVICE_PATH, '')}${SUBSCRIPTION_PREFIX}${id}`;
    return new Envelope(E.createPullPointSubscriptionResponse(address, rt.clock().utcMs, terminationMs));
  },
};

function subscriptionId(path: string): string {
  return path.slice(SUBSCRIPTION_PREFIX.length);
}

function unknownSubscription(): SoapError {
  return new SoapError(
    400,
    soapFault(
      'Sender',
      'ter:InvalidArgVal',
      'no such subscription (expired or unsubscribed)',
      'ter:NoSubscription',
    ),
  );
}

const SUBSCRIPTION_METHODS: Record<string, Handler> = {
  PullMessages: (_cam, body, rt, path) => {
    const device = recorder(rt);
    if (device instanceof SoapError) return device;
    const limit = Number(childText(body, 'MessageLimit') ?? '16');
    const pulled = device.pull(subscriptionId(path), Number.isFinite(limit) ? Math.min(limit, 256) : 16);
    if (!pulled) return unknownSubscription();
    return new Envelope(E.pullMessagesResponse(pulled.events, rt.clock().utcMs, pulled.terminationMs));
  },
  Renew: (_cam, body, rt, path) => {
    const device = recorder(rt);
    if (device instanceof SoapError) return device;
    const seconds = durationSeconds(childText(body, 'TerminationTime')) ?? 60;
    const terminationMs = device.renew(subscriptionId(path), Math.min(TERMINATION_LIMIT_S, seconds));
    if (terminationMs === undefined) return unknownSubscription();
    return new Envelope(E.renewResponse(rt.clock().utcMs, terminationMs));
  },
  Unsubscribe: (_cam, _body, rt, path) => {
    const device = recorder(rt);
    if (device instanceof SoapError) return device;
    if (!device.unsubscribe(subscriptionId(path))) return unknownSubscription();
    return new Envelope(E.unsubscribeResponse());
  },
};

const MEDIA_METHODS: Record<string, Handler> = {
  GetProfiles: (cam) => R.getProfiles(cam),
  GetProfile: (cam, body) => {
    const stream = requestedProfile(cam, body);
    return stream instanceof SoapError
      ? stream
      : R.getProfile(cam, stream, childText(body, 'ProfileToken')?.trim());
  },
  GetStreamUri: (cam, body) => {
    const protocol = childText(body, 'Protocol')?.trim() ?? 'RTSP';
    // RTSP-over-HTTP tunnelling is not served; UDP/TCP/RTSP all mean "the RTSP URL" on real cameras.
    if (!['RTSP', 'UDP', 'TCP'].includes(protocol)) {
      return badArg('ter:InvalidStreamSetup', `stream protocol '${protocol}' is not supported`);
    }
    const stream = requestedProfile(cam, body);
    return stream instanceof SoapError ? stream : R.getStreamUri(cam, stream);
  },
  GetSnapshotUri: (cam, body) => {
    const stream = requestedProfile(cam, body);
    return stream instanceof SoapError ? stream : R.getSnapshotUri(cam);
  },
};

/** The OS's ephemeral port range (Linux says where; elsewhere the IANA range is assumed). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low > 1024) return [low, high];
  } catch {
    /* not Linux */
  }
  return [49152, 65535];
}

const EPHEMERAL = ephemeralRange();

/** A random port between 10000 and the start of the ephemeral range (never handed out to clients). */
function nonEphemeralPort(): number {
  const low = 10_000;
  const high = Math.max(low + 1000, EPHEMERAL[0] - 1);
  return low + Math.floor(Math.random() * (high - low));
}

export class CameraHttpServer {
  private server: Server | undefined;
  private boundPort: number;

  constructor(
    private readonly host: string,
    private readonly runtime: OnvifCameraRuntime,
    private readonly digest: DigestAuthenticator,
    private readonly log: (line: string) => void,
  ) {
    this.boundPort = 0;
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens on an ephemeral port the first time, then on the same port again (after "unreachable"). */
  /**
   * Listens on a port of its own the first time, then on the same port again (after "unreachable").
   * The port is taken below the OS's ephemeral range: a port from that range, released while the camera
   * is unreachable, is soon reused as the local port of some outgoing connection on a busy machine, and
   * the camera could not listen again (it stayed refusing connections with no fault set).
   */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.onRequest(req, res));
    server.keepAliveTimeout = 5000;
    const listen = (port: number) =>
      new Promise<boolean>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') resolve(false);
          else reject(error);
        };
        server.once('error', onError);
        server.listen(port, this.host, () => {
          server.off('error', onError);
          resolve(true);
        });
      });
    if (this.boundPort === 0) {
      let bound = false;
      for (let attempt = 0; attempt < 200 && !bound; attempt++) bound = await listen(nonEphemeralPort());
      if (!bound) throw new Error(`camera-sim ${this.runtime.id}: no free port below the ephemeral range`);
    } else {
      // Another process may hold the port for a moment (another test's simulator picking it while this
      // camera was unreachable): try again for a few seconds before giving up.
      let bound = false;
      for (let attempt = 0; attempt < 50 && !bound; attempt++) {
        bound = await listen(this.boundPort);
        if (!bound) await new Promise((r) => setTimeout(r, 100));
      }
      if (!bound) throw new Error(`camera-sim ${this.runtime.id}: port ${this.boundPort} stays in use`);
    }
    const address = server.address();
    if (typeof address === 'object' && address) this.boundPort = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Kept-alive and hung connections would otherwise hold close() open indefinitely.
    server.closeAllConnections();
    await closed;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const mode = this.runtime.networkMode();
    if (mode === 'unreachable') {
      req.socket.destroy();
      return;
    }
    if (mode === 'hang') return; // accept and never answer; stop() or the client's timeout ends it
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === SNAPSHOT_PATH) {
      this.serveSnapshot(req, res).catch((error: unknown) => this.internalError(res, error));
      return;
    }
    const recording = this.runtime.recordingDevice() !== undefined;
    const methods =
      path === DEVICE_PATH
        ? DEVICE_METHODS
        : path === MEDIA_PATH && this.runtime.view().mediaUrl !== null
          ? MEDIA_METHODS
          : recording && path === SEARCH_PATH
            ? SEARCH_METHODS
            : recording && path === EVENTS_PATH
              ? EVENTS_METHODS
              : recording &&
                  path?.startsWith(SUBSCRIPTION_PREFIX) &&
                  /^\d{1,9}$/.test(path.slice(SUBSCRIPTION_PREFIX.length))
                ? SUBSCRIPTION_METHODS
                : undefined;
    if (!methods || req.method !== 'POST') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no such endpoint: ${req.method} ${path}\n`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_SOAP_BYTES) {
        res
          .writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' })
          .end('SOAP request too large\n');
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_SOAP_BYTES) return;
      try {
        this.handleSoap(Buffer.concat(chunks).toString('utf8'), methods, res, path ?? '');
      } catch (error) {
        this.internalError(res, error);
      }
    });
  }

  private handleSoap(xml: string, methods: Record<string, Handler>, res: ServerResponse, path: string): void {
    const rt = this.runtime;
    let method: string;
    let header: string;
    let body: string;
    try {
      ({ method, header, body } = parseSoapRequest(xml));
    } catch (error) {
      if (!(error instanceof SoapParseError)) throw error;
      this.send(res, 400, soapFault('Sender', 'ter:WellFormed', error.message));
      return;
    }
    // ONVIF Core 5.9.4: GetSystemDateAndTime is PRE_AUTH so clients can learn the clock offset first.
    if (!(methods === DEVICE_METHODS && method === 'GetSystemDateAndTime')) {
      const result = verifyUsernameToken(header, rt.credentials, rt.clock().utcMs, rt.replay);
      const accepted = result.ok && rt.acceptsCredentials();
      if (!accepted) {
        const reason = result.ok ? 'credentials rejected by fault' : result.reason;
        this.log(`camera-sim ${rt.id}: ${method} not authorized (${reason})`);
        this.send(
          res,
          rt.authFailureStatus(),
          soapFault('Sender', 'ter:NotAuthorized', 'Sender not authorized'),
        );
        return;
      }
    }
    const handler = methods[method];
    if (!handler) {
      const reason = `${method} is not supported by this device`;
      this.send(res, 500, soapFault('Receiver', 'ter:ActionNotSupported', reason));
      return;
    }
    const out = handler(rt.view(), body, rt, path);
    if (out instanceof SoapError) {
      this.send(res, out.status, out.xml);
      return;
    }
    if (out instanceof Envelope) {
      this.send(res, 200, out.xml);
      return;
    }
    this.send(res, 200, soapEnvelope(out));
  }

  private send(res: ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'Content-Type': SOAP_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }

  private async serveSnapshot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rt = this.runtime;
    const result = this.digest.verify(
      req.headers.authorization,
      'GET',
      rt.credentials,
      rt.acceptsCredentials(),
    );
    if (result !== 'ok') {
      res.writeHead(401, {
        'WWW-Authenticate': this.digest.challenge(result === 'stale'),
        'Content-Type': 'text/plain',
      });
      res.end('401 Unauthorized\n');
      return;
    }
    const jpeg = await rt.snapshot();
    if (res.destroyed) return;
    res.writeHead(200, {
      'Content-Type': 'image/jpeg',
      'Content-Length': jpeg.length,
      'Cache-Control': 'no-store',
    });
    res.end(jpeg);
  }

  private internalError(res: ServerResponse, error: unknown): void {
    // Details go to the log, never to the client (5xx bodies stay generic).
    this.log(`camera-sim ${this.runtime.id}: internal error: ${String(error)}`);
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal error\n');
  }
}
