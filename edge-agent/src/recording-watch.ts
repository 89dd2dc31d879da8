// Retention and recorder evidence for one recording device: a camera that records itself, or one of the
// site's recorders (an ONVIF NVR, one recording per channel). On a timer (hourly by default) it reads every
// recording through Profile G recording search and reports, per camera mapped to the device, how many whole
// days of video its own recording holds. Beside that it holds a PullPoint subscription for storage failures
// and tamper events, which go to the hub as the camera events its storage and image rules already read.
import type { Logger } from 'pino';
import type { AgentConfig } from '../../src/config/agent-config.ts';
import type { CameraEventPayload, RecordingPayload } from '../../src/schemas/payloads.ts';
import type { AgentSecrets } from './config.ts';
import { AgentError, type ErrorContext, errorMessage } from './errors.ts';
import { readCameraClock } from './onvif/clock.ts';
import { PullPointSubscription } from './onvif/pull-point-client.ts';
import { readRecordings } from './onvif/recording-retention.ts';
import { elementsInner } from './onvif/recording-search.ts';
import { postSoap, type SoapCredentials } from './onvif/soap-client.ts';
import { elementText } from './onvif/xml.ts';
import { toCameraEvents } from './recorder/event-mapping.ts';
import { retentionByCamera } from './recorder/retention-mapping.ts';

export const SEARCH_SERVICE_NS = 'http://www.onvif.org/ver10/search/wsdl';
export const EVENTS_SERVICE_NS = 'http://www.onvif.org/ver10/events/wsdl';

export interface RecordingDevice {
  /** `camera:{id}` or `recorder:{id}`: unique per agent. */
  key: string;
  source: 'camera' | 'recorder';
  recorderId?: string;
  url: string;
  username: string;
  password: string;
  cameras: { cameraId: string; recordingToken?: string; sourceToken?: string }[];
}

/** The devices to read: each recorder that records at least one camera, and each camera recording itself. */
export function recordingDevices(config: AgentConfig, secrets: AgentSecrets): RecordingDevice[] {
  const devices: RecordingDevice[] = [];
  for (const recorder of config.recorders) {
    const cameras = config.cameras
      .filter((c) => c.recording?.recorder === recorder.id)
      .map((c) => ({
        cameraId: c.id,
        ...(c.recording?.recordingToken ? { recordingToken: c.recording.recordingToken } : {}),
        ...(c.recording?.sourceToken ? { sourceToken: c.recording.sourceToken } : {}),
      }));
    const password = secrets.recorderPasswords?.get(recorder.id);
    if (cameras.length === 0 || password === undefined) continue;
    devices.push({
      key: `recorder:${recorder.id}`,
      source: 'recorder',
      recorderId: recorder.id,
      url: recorder.onvif.url,
      username: recorder.onvif.username,
      password,
      cameras,
    });
  }
  for (const camera of config.cameras) {
    if (!camera.recording || camera.recording.recorder !== undefined) continue;
    const password = secrets.cameraPasswords.get(camera.id);
    if (password === undefined) continue;
    devices.push({
      key: `camera:${camera.id}`,
      source: 'camera',
      url: camera.onvif.url,
      username: camera.onvif.username,
      password,
      cameras: [
        {
          cameraId: camera.id,
          ...(camera.recording.recordingToken ? { recordingToken: camera.recording.recordingToken } : {}),
          ...(camera.recording.sourceToken ? { sourceToken: camera.recording.sourceToken } : {}),
        },
      ],
    });
  }
  return devices;
}

export interface DeviceServices {
  searchUrl: string | undefined;
  eventsUrl: string | undefined;
}

/**
 * Service addresses from GetServicesResponse. Devices behind NAT (or with a wrong network setting) often
 * report their own internal address: only the path is taken, on the origin the agent was configured with.
 */
export function parseServices(xml: string, deviceUrl: string): DeviceServices {
  const origin = new URL(deviceUrl).origin;
  const out: DeviceServices = { searchUrl: undefined, eventsUrl: undefined };
  for (const service of elementsInner(xml, 'Service')) {
    const ns = elementText(service, 'Namespace')?.trim();
    const xaddr = elementText(service, 'XAddr')?.trim();
    if (!ns || !xaddr) continue;
    let path: string;
    try {
      const url = new URL(xaddr, deviceUrl);
      path = `${url.pathname}${url.search}`;
    } catch {
      continue;
    }
    if (ns === SEARCH_SERVICE_NS) out.searchUrl = `${origin}${path}`;
    if (ns === EVENTS_SERVICE_NS) out.eventsUrl = `${origin}${path}`;
  }
  return out;
}

export interface RecordingWatchOptions {
  device: RecordingDevice;
  timeoutMs: number;
  maxRecordings: number;
  events: boolean;
  now: () => number;
  logger: Logger;
  siteId: string;
  onRecording: (payload: RecordingPayload, observedAtMs: number) => void;
  onEvent: (payload: CameraEventPayload, observedAtMs: number) => void;
  /** Aborts the sleeps of the event loop when the agent stops. */
  signal: AbortSignal;
}

export interface RecordingWatchStats {
  polls: number;
  pollFailures: number;
  readings: number;
  /** Cameras mapped to the device whose recording it did not list at the last poll. */
  missing: string[];
  events: number;
  subscriptionErrors: number;
  lastError: string | null;
}

function sleeper(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
}

export class RecordingWatch {
  private services: DeviceServices | null = null;
  private timeDiffMs = 0;
  private subscription: PullPointSubscription | null = null;
  private stopped = false;
  readonly counters: RecordingWatchStats = {
    polls: 0,
    pollFailures: 0,
    readings: 0,
    missing: [],
    events: 0,
    subscriptionErrors: 0,
    lastError: null,
  };

  constructor(private readonly options: RecordingWatchOptions) {}

  get key(): string {
    return this.options.device.key;
  }

  private context(operation?: string): ErrorContext {
    const { device, siteId } = this.options;
    return {
      siteId,
      url: device.url,
      ...(device.source === 'camera' ? { cameraId: device.cameras[0]?.cameraId } : {}),
      ...(operation ? { operation } : {}),
    };
  }

  private credentials(): SoapCredentials {
    const { username, password } = this.options.device;
    return { username, password, timeDiffMs: this.timeDiffMs };
  }

  /** The device's clock (for WS-Security stamps) and its search and events services, once per device. */
  private async discover(): Promise<DeviceServices> {
    if (this.services) return this.services;
    const { device, timeoutMs, now } = this.options;
    const clock = await readCameraClock(device.url, timeoutMs, now, this.context('GetSystemDateAndTime'));
    this.timeDiffMs = clock.offsetMs ?? 0;
    const response = await postSoap({
      url: device.url,
      body: '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>',
      namespaces: { tds: 'http://www.onvif.org/ver10/device/wsdl' },
      credentials: this.credentials(),
      timeoutMs,
      now,
      context: this.context('GetServices'),
    });
    const services = parseServices(response.xml, device.url);
    this.services = services;
    return services;
  }

  /** One reading of every recording on the device; readings go out per camera. */
  async poll(): Promise<void> {
    const { device, timeoutMs, maxRecordings, now, logger } = this.options;
    this.counters.polls += 1;
    try {
      const services = await this.discover();
      if (this.options.events && services.eventsUrl && !this.subscription && !this.stopped)
        this.subscribe(services.eventsUrl);
      if (!services.searchUrl)
        throw new AgentError(
          'onvif_error',
          'the device offers no recording search service (ONVIF Profile G)',
          this.context('GetServices'),
        );
      const recordings = await readRecordings({
        searchUrl: services.searchUrl,
        credentials: this.credentials(),
        timeoutMs,
        now,
        context: this.context(),
        maxRecordings,
        maxPages: 16,
      });
      const checkedAtMs = now();
      const readings = retentionByCamera(recordings, device.cameras, checkedAtMs);
      const found = new Set(readings.map((r) => r.cameraId));
      this.counters.missing = device.cameras.map((c) => c.cameraId).filter((id) => !found.has(id));
      if (this.counters.missing.length > 0)
        logger.warn(
          { device: device.key, cameras: this.counters.missing, recordings: recordings.length },
          'no recording found on the device for these cameras: check recording.recordingToken',
        );
      for (const r of readings) {
        if (r.oldestVideoMs === undefined) continue;
        this.counters.readings += 1;
        this.options.onRecording(
          {
            cameraId: r.cameraId,
            source: device.source,
            ...(device.recorderId ? { recorderId: device.recorderId } : {}),
            recordingToken: r.recordingToken.slice(0, 100),
            daysRetained: Math.min(3650, r.daysRetained),
            earliestAt: new Date(r.oldestVideoMs).toISOString(),
            latestAt: r.latestMs === undefined ? null : new Date(r.latestMs).toISOString(),
            ...(r.status ? { status: r.status.slice(0, 40) } : {}),
          },
          checkedAtMs,
        );
      }
      this.counters.lastError = null;
    } catch (error) {
      this.counters.pollFailures += 1;
      // A device that rebooted may have moved its services or clock: find them again next time.
      this.services = null;
      const err =
        error instanceof AgentError
          ? error
          : new AgentError('onvif_error', errorMessage(error), this.context());
      this.counters.lastError = `${err.code}: ${err.message}`.slice(0, 300);
      logger.warn({ device: device.key, err: err.toLog() }, 'recording search failed');
    }
  }

  private subscribe(eventsUrl: string): void {
    const { device, timeoutMs, now, logger, signal } = this.options;
    const cameras = {
      cameraIds: device.cameras.map((c) => c.cameraId),
      cameraBySourceToken: Object.fromEntries(
        device.cameras.filter((c) => c.sourceToken).map((c) => [c.sourceToken as string, c.cameraId]),
      ),
    };
    const subscription = new PullPointSubscription({
      eventsUrl,
      credentials: this.credentials(),
      timeoutMs,
      pullWaitSeconds: Math.max(1, Math.floor(timeoutMs / 2000)),
      messageLimit: 64,
      terminationSeconds: 120,
      retryDelayMs: 30_000,
      idleDelayMs: 1_000,
      now,
      sleep: sleeper(signal),
      context: this.context(),
      onEvents: (events) => {
        const atMs = now();
        for (const event of events) {
          for (const payload of toCameraEvents(event, cameras)) {
            this.counters.events += 1;
            this.options.onEvent(payload, atMs);
          }
        }
      },
      onError: (error) => {
        this.counters.subscriptionErrors += 1;
        logger.warn(
          { device: device.key, err: error.toLog() },
          'event subscription failed; it is re-created',
        );
      },
    });
    this.subscription = subscription;
    subscription.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }

  stats(): RecordingWatchStats {
    return { ...this.counters, missing: [...this.counters.missing] };
  }
}
