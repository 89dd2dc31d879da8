import type { ClockReading, DeclaredProfile, DeviceInfo } from '../../../src/schemas/payloads.ts';
import { withDeadline } from '../deadline.ts';
import { AgentError, type ErrorContext, errorMessage } from '../errors.ts';
import { readCameraClock } from './clock.ts';
import {
  createOnvifDevice,
  type NodeOnvifDevice,
  type NodeOnvifProfile,
  xmlValueText,
} from './node-onvif.ts';
import { postSoap } from './soap-client.ts';

export interface OnvifMediaProfile {
  token: string;
  name: string;
  encoding: string;
  width: number;
  height: number;
  fpsLimit: number | null;
  bitrateLimitKbps: number | null;
  /** As the camera reports it: may be null when GetStreamUri failed or was unimplemented. */
  streamUri: string | null;
  snapshotUri: string | null;
  /** Video source configuration token: an encoder or recorder has one per channel. */
  sourceToken?: string;
}

export interface DeviceReading {
  device: DeviceInfo;
  profiles: OnvifMediaProfile[];
}

/** What the agent needs from a camera's ONVIF services. */
export interface OnvifCamera {
  readDevice(): Promise<DeviceReading>;
  readClock(): Promise<ClockReading>;
}

export interface OnvifCameraOptions {
  url: string;
  username: string;
  password: string;
  timeoutMs: number;
  now: () => number;
  context: ErrorContext;
}

const INFO_MAX = 200;

function positiveOrNull(value: number): number | null {
  return Number.isFinite(value) && value > 0 ? value : null;
}

export function toDeviceInfo(info: Record<string, unknown> | null | undefined): DeviceInfo {
  const field = (name: string) => xmlValueText(info?.[name]).slice(0, INFO_MAX);
  return {
    manufacturer: field('Manufacturer'),
    model: field('Model'),
    firmwareVersion: field('FirmwareVersion'),
    serialNumber: field('SerialNumber'),
    hardwareId: field('HardwareId'),
  };
}

export function toMediaProfile(p: NodeOnvifProfile): OnvifMediaProfile {
  const enc = p.video.encoder;
  return {
    token: xmlValueText(p.token),
    name: xmlValueText(p.name),
    encoding: enc ? xmlValueText(enc.encoding) : '',
    width: enc && Number.isFinite(enc.resolution.width) ? enc.resolution.width : 0,
    height: enc && Number.isFinite(enc.resolution.height) ? enc.resolution.height : 0,
    fpsLimit: enc ? positiveOrNull(enc.framerate) : null,
    bitrateLimitKbps: enc ? positiveOrNull(enc.bitrate) : null,
    streamUri: p.stream.rtsp ? xmlValueText(p.stream.rtsp) : null,
    snapshotUri: p.snapshot ? xmlValueText(p.snapshot) : null,
    ...(p.video.source ? { sourceToken: xmlValueText(p.video.source.token) } : {}),
  };
}

export function toDeclaredProfile(p: OnvifMediaProfile): DeclaredProfile {
  return {
    token: p.token.slice(0, 100),
    encoding: p.encoding.slice(0, 20),
    width: p.width,
    height: p.height,
    fps: p.fpsLimit,
    bitrateKbps: p.bitrateLimitKbps,
  };
}

/**
 * Maps node-onvif's error strings to coded errors. Returns undefined when the message lost the detail
 * (SOAP faults arrive as `Error: [object Object]`) and the caller must ask the camera again itself.
 */
export function translateNodeOnvifError(error: unknown, context: ErrorContext): AgentError | undefined {
  if (error instanceof AgentError) return error;
  const message = errorMessage(error).replace(/^Failed to initialize the device:\s*(Error:\s*)?/, '');
  const network = /^Network Error:\s*(.*)$/s.exec(message);
  if (network) {
    const detail = network[1] ?? '';
    if (/socket hang up/i.test(detail)) {
      return new AgentError('timeout', `connection closed without an answer (${detail})`, context);
    }
    if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENOTFOUND|EAI_AGAIN|ECONNRESET/.test(detail)) {
      return new AgentError('unreachable', detail, context);
    }
    return new AgentError('unreachable', `network error: ${detail}`, context);
  }
  const http = /^(\d{3})\s+([^-]*?)(?:\s+-\s+(.*))?$/s.exec(message);
  if (http) {
    const status = Number(http[1]);
    const detail = `${http[2] ?? ''}${http[3] ? `: ${http[3]}` : ''}`.trim();
    if (status === 401 || status === 403 || /not\s*authori[sz]ed/i.test(detail)) {
      return new AgentError('auth_failed', `HTTP ${status} ${detail}`, context);
    }
    // A 400 without a readable reason may still be an auth fault: ask again to find out.
    if (status === 400 && !http[3]) return undefined;
    return new AgentError('onvif_error', `HTTP ${status} ${detail}`, context);
  }
  if (message.includes('[object Object]')) return undefined;
  if (/not support/i.test(message)) return new AgentError('onvif_error', message, context);
  return new AgentError('onvif_error', message.slice(0, 300), context);
}

/**
 * node-onvif behind a small interface: one initialised OnvifDevice is cached per camera (init costs
 * 4 + 4 per profile requests) and dropped after any error, so the next poll starts from scratch (a camera
 * that rebooted may have new profiles, and node-onvif's init appends profiles if run twice).
 */
export class NodeOnvifCamera implements OnvifCamera {
  private device: NodeOnvifDevice | null = null;
  private profiles: OnvifMediaProfile[] = [];

  constructor(private readonly options: OnvifCameraOptions) {}

  readClock(): Promise<ClockReading> {
    const { url, timeoutMs, now, context } = this.options;
    return readCameraClock(url, timeoutMs, now, context);
  }

  async readDevice(): Promise<DeviceReading> {
    const context = { ...this.options.context, url: this.options.url };
    try {
      if (this.device === null) return await this.initialise(context);
      const device = this.device;
      const result = await withDeadline(
        device.services.device.getDeviceInformation(),
        this.options.timeoutMs,
        {
          ...context,
          operation: 'GetDeviceInformation',
        },
      );
      return {
        device: toDeviceInfo(result.data.GetDeviceInformationResponse as Record<string, unknown>),
        profiles: this.profiles,
      };
    } catch (error) {
      const timeDiffMs = this.device?.time_diff ?? 0;
      this.device = null;
      this.profiles = [];
      throw await this.explain(error, context, timeDiffMs);
    }
  }

  private async initialise(context: ErrorContext): Promise<DeviceReading> {
    const { url, username, password, timeoutMs } = this.options;
    const device = createOnvifDevice(url, username, password);
    // init() runs several requests in a row; each already has node-onvif's timeout, so the whole call
    // gets twice the per-request budget before we give up on it.
    await withDeadline(device.init(), timeoutMs * 2, { ...context, operation: 'ONVIF init' });
    const profiles = device.getProfileList().map(toMediaProfile);
    if (profiles.length === 0)
      throw new AgentError('onvif_error', 'camera reports no media profiles', context);
    this.device = device;
    this.profiles = profiles;
    return { device: toDeviceInfo(device.getInformation()), profiles };
  }

  /** Re-asks with our own SOAP client when node-onvif's error lost the fault (`[object Object]`). */
  private async explain(error: unknown, context: ErrorContext, timeDiffMs: number): Promise<AgentError> {
    const known = translateNodeOnvifError(error, context);
    if (known) return known;
    const { url, username, password, timeoutMs, now } = this.options;
    try {
      await postSoap({
        url,
        body: '<tds:GetDeviceInformation/>',
        namespaces: { tds: 'http://www.onvif.org/ver10/device/wsdl' },
        credentials: { username, password, timeDiffMs },
        timeoutMs,
        now,
        context: { ...context, operation: 'GetDeviceInformation (diagnosis)' },
      });
    } catch (diagnosed) {
      if (diagnosed instanceof AgentError) return diagnosed;
      return new AgentError('onvif_error', errorMessage(diagnosed), context);
    }
    return new AgentError(
      'onvif_error',
      `ONVIF request failed: ${errorMessage(error).slice(0, 200)}`,
      context,
    );
  }
}

/**
 * The profile a camera is judged by: the one its config names (a recorder's channel), else the
 * device's first, as ONVIF orders them. Null when the named profile is not on the device.
 */
export function cameraProfile(
  profiles: readonly OnvifMediaProfile[],
  token: string | undefined,
): OnvifMediaProfile | null {
  if (token === undefined) return profiles[0] ?? null;
  return profiles.find((p) => p.token === token) ?? null;
}
