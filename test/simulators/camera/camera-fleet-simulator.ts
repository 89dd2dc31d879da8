import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import { ControlServer } from './control-server.ts';
import { DigestAuthenticator } from './digest-auth.ts';
import { parseFault, type SimFault, type SimFaultKind } from './faults.ts';
import { MediaCache } from './media-cache.ts';
import { PosixTzError } from './posix-tz.ts';
import { RtspServer } from './rtsp-server.ts';
import { SimCamera } from './sim-camera.ts';
import { type SimCameraEndpoints, SimCameraSpec } from './types.ts';
import { type DiscoverableDevice, endpointUuid, WSD_PORT, WsDiscoveryResponder } from './ws-discovery.ts';

/** Faults that change what is encoded: setFault resolves once the new media is ready. */
const MEDIA_FAULTS: ReadonlySet<SimFaultKind> = new Set<SimFaultKind>([
  'fps-mismatch',
  'resolution-mismatch',
  'bitrate-mismatch',
  'blank-image',
  'frozen-video',
  'black-video',
  'blurred-video',
  'turned-away',
  'stale-snapshot',
  'unrelated-snapshot',
]);

export interface CameraFleetOptions {
  /** Interface every server binds to; loopback by default so nothing is exposed to the network. */
  host?: string;
  /** Shared RTSP port; 0 picks a free one. */
  rtspPort?: number;
  /** Fault-injection HTTP API port; 0 picks a free one, null disables it. */
  controlPort?: number | null;
  /** Where encoded H.264 loops and JPEG snapshots are kept between runs. */
  cacheDir: string;
  /** Wall clock the cameras report (before any clock-skew fault); stream pacing always uses real time. */
  now?: () => number;
  log?: (line: string) => void;
  /** Overrides ffmpeg discovery (FFMPEG_PATH, system, then npm-shipped). */
  ffmpegPath?: string;
  /**
   * Answer WS-Discovery probes for every camera (off when absent). Binds `bindAddress` (default 0.0.0.0
   * with multicast, else `host`) on `port` (default 3702) and, with `multicast`, joins 239.255.255.250.
   */
  discovery?: { port?: number; bindAddress?: string; multicast?: boolean; interfaceAddress?: string };
}

/** Shared by tests, the CLI and the demo so encoded media is reused across runs. */
export function defaultCacheDir(): string {
  return join(tmpdir(), 'cctv-camera-sim-cache');
}

export interface SimCameraStatus extends SimCameraEndpoints {
  faults: SimFault[];
}

export class SimulatorError extends Error {
  constructor(
    readonly code: 'SIM_NOT_STARTED' | 'SIM_UNKNOWN_CAMERA' | 'SIM_DUPLICATE_CAMERA' | 'SIM_BAD_SPEC',
    message: string,
  ) {
    super(message);
  }
}

interface Running {
  media: MediaCache;
  digest: DigestAuthenticator;
  rtsp: RtspServer;
  control: ControlServer | undefined;
  discovery: WsDiscoveryResponder | undefined;
}

/**
 * Many simulated ONVIF/RTSP cameras in one process: one HTTP server per camera, one shared RTSP server,
 * faults injectable at run time (API or control HTTP server).
 */
export class CameraFleetSimulator {
  private readonly host: string;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly cameras = new Map<string, SimCamera>();
  private running: Running | undefined;

  constructor(private readonly options: CameraFleetOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
  }

  get rtspPort(): number {
    return this.require().rtsp.port;
  }

  /** The WS-Discovery responder's UDP port; null when discovery is off. */
  get discoveryPort(): number | null {
    return this.require().discovery?.port ?? null;
  }

  /** Null when the control server is disabled. */
  get controlUrl(): string | null {
    const control = this.require().control;
    return control ? `http://${this.host}:${control.port}` : null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const ffmpegPath = this.options.ffmpegPath ?? resolveMediaBinaries().ffmpegPath;
    const media = new MediaCache(this.options.cacheDir, ffmpegPath, this.log);
    // Digest nonce lifetimes are protocol time, not the simulated camera clock (which tests may freeze).
    const digest = new DigestAuthenticator('CCTV-Sim', Date.now);
    const rtsp = new RtspServer({
      host: this.host,
      port: this.options.rtspPort ?? 0,
      auth: digest,
      lookup: (id) => this.cameras.get(id),
      log: this.log,
    });
    await rtsp.start();
    let control: ControlServer | undefined;
    const controlPort = this.options.controlPort === undefined ? 0 : this.options.controlPort;
    if (controlPort !== null) {
      control = new ControlServer({ host: this.host, port: controlPort, fleet: this, log: this.log });
      try {
        await control.start();
      } catch (error) {
        await rtsp.stop();
        throw error;
      }
    }
    let discovery: WsDiscoveryResponder | undefined;
    const wsd = this.options.discovery;
    if (wsd) {
      const multicast = wsd.multicast ?? false;
      discovery = new WsDiscoveryResponder({
        port: wsd.port ?? WSD_PORT,
        bindAddress: wsd.bindAddress ?? (multicast ? '0.0.0.0' : this.host),
        multicast,
        ...(wsd.interfaceAddress ? { interfaceAddress: wsd.interfaceAddress } : {}),
        devices: () => this.discoverable(),
        log: this.log,
      });
      try {
        await discovery.start();
      } catch (error) {
        await Promise.all([rtsp.stop(), control?.stop()]);
        throw error;
      }
    }
    this.running = { media, digest, rtsp, control, discovery };
    this.log(`camera-sim: RTSP on ${this.host}:${rtsp.port}${control ? `, control on ${control.port}` : ''}`);
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    running.media.stop();
    await Promise.all([
      running.discovery?.stop(),
      running.control?.stop(),
      running.rtsp.stop(),
      ...[...this.cameras.values()].map((c) => c.http.stop()),
    ]);
    this.cameras.clear();
  }

  async addCamera(spec: SimCameraSpec): Promise<SimCameraEndpoints> {
    const running = this.require();
    const error = Value.Errors(SimCameraSpec, spec).First();
    if (error) {
      const id = typeof spec?.id === 'string' ? spec.id : '?';
      throw new SimulatorError('SIM_BAD_SPEC', `camera '${id}': ${error.path || '(root)'} ${error.message}`);
    }
    if (this.cameras.has(spec.id)) {
      throw new SimulatorError('SIM_DUPLICATE_CAMERA', `camera '${spec.id}' already exists`);
    }
    let camera: SimCamera;
    try {
      camera = new SimCamera(structuredClone(spec), {
        host: this.host,
        rtspPort: () => running.rtsp.port,
        now: this.now,
        media: running.media,
        digest: running.digest,
        log: this.log,
      });
    } catch (e) {
      if (e instanceof PosixTzError)
        throw new SimulatorError('SIM_BAD_SPEC', `camera '${spec.id}': ${e.message}`);
      throw e;
    }
    // Registered before awaiting so a concurrent addCamera with the same id is refused.
    this.cameras.set(spec.id, camera);
    try {
      await Promise.all([camera.http.start(), camera.prepareMedia()]);
    } catch (e) {
      this.cameras.delete(spec.id);
      await camera.http.stop();
      throw e;
    }
    return camera.endpoints();
  }

  async removeCamera(id: string): Promise<void> {
    const camera = this.camera(id);
    this.cameras.delete(id);
    this.running?.rtsp.dropCamera(id);
    await camera.http.stop();
  }

  endpoints(id: string): SimCameraEndpoints {
    return this.camera(id).endpoints();
  }

  list(): SimCameraStatus[] {
    return [...this.cameras.values()].map((c) => ({ ...c.endpoints(), faults: c.faults() }));
  }

  has(id: string): boolean {
    return this.cameras.has(id);
  }

  faults(id: string): SimFault[] {
    return this.camera(id).faults();
  }

  /**
   * Resolves once the fault is in effect: the ONVIF port is closed for unreachable, sub-stream sessions
   * are ended for sub-stream-down, and any media the fault needs (another frame rate, resolution or a
   * black stream) is encoded.
   */
  async setFault(id: string, fault: SimFault): Promise<void> {
    const camera = this.camera(id);
    const { kind, ...params } = fault;
    const valid = parseFault(kind, params, `setFault('${id}')`);
    camera.setFault(valid);
    this.log(`camera-sim ${id}: fault set ${JSON.stringify(valid)}`);
    await this.applyNetworkState(camera);
    // The secondary encoder stopping ends its sessions, as unreachable ends all of the camera's.
    if (valid.kind === 'sub-stream-down') this.running?.rtsp.dropCamera(id, 'sub');
    if (MEDIA_FAULTS.has(valid.kind)) {
      await camera.prepareMedia();
    }
  }

  /** Clears one fault kind, or all faults when kind is omitted. */
  async clearFault(id: string, kind?: SimFaultKind): Promise<void> {
    const camera = this.camera(id);
    camera.clearFault(kind);
    this.log(`camera-sim ${id}: fault cleared ${kind ?? '(all)'}`);
    await this.applyNetworkState(camera);
  }

  private async applyNetworkState(camera: SimCamera): Promise<void> {
    if (camera.networkMode() === 'unreachable') {
      this.running?.rtsp.dropCamera(camera.id);
      await camera.http.stop();
    } else if (!camera.http.listening) {
      // Same port as before so the camera's URLs stay valid; EADDRINUSE surfaces to the caller.
      await camera.http.start();
    }
  }

  /** Cameras that answer their ONVIF port now (an unreachable one is silent to probes too). */
  private discoverable(): DiscoverableDevice[] {
    return [...this.cameras.values()]
      .filter((c) => c.networkMode() !== 'unreachable')
      .map((c) => {
        const view = c.view();
        return {
          endpoint: endpointUuid(c.id),
          xaddrs: [view.deviceUrl],
          scopes: [
            `onvif://www.onvif.org/type/${view.channels > 1 ? 'NetworkVideoRecorder' : 'video_encoder'}`,
            'onvif://www.onvif.org/Profile/Streaming',
            `onvif://www.onvif.org/name/${encodeURIComponent(c.spec.name ?? c.id)}`,
            `onvif://www.onvif.org/hardware/${encodeURIComponent(view.model)}`,
            'onvif://www.onvif.org/location/country/uk',
          ],
        };
      });
  }

  private camera(id: string): SimCamera {
    this.require();
    const camera = this.cameras.get(id);
    if (!camera) throw new SimulatorError('SIM_UNKNOWN_CAMERA', `no simulated camera with id '${id}'`);
    return camera;
  }

  private require(): Running {
    if (!this.running) throw new SimulatorError('SIM_NOT_STARTED', 'CameraFleetSimulator is not started');
    return this.running;
  }
}
