import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import { AgentError, errorMessage } from '../errors.ts';
import { NodeOnvifCamera, type OnvifMediaProfile } from '../onvif/device-client.ts';
import { postSoap } from '../onvif/soap-client.ts';
import { elementInner, elementText } from '../onvif/xml.ts';
import type { DiscoveredDevice } from './probe-client.ts';

// What a discovered device is, read with the installer's credentials: make, model, firmware and serial,
// and its media profiles (resolution, frame rate and bitrate as configured, stream and snapshot URIs).

export type DeviceStatus = 'ok' | 'auth_failed' | 'no_media' | 'unreachable' | 'error';

export interface Credential {
  username: string;
  password: string;
  /** Where the password came from, for messages (never the password). */
  source: string;
}

export interface InspectedProfile {
  token: string;
  name: string;
  encoding: string;
  width: number;
  height: number;
  fps: number | null;
  bitrateKbps: number | null;
  streamUri: string | null;
  snapshotUri: string | null;
  sourceToken: string | null;
}

export interface InspectedDevice {
  endpoint: string;
  xaddrs: string[];
  scopes: string[];
  /** The device service URL the agent will use. */
  url: string;
  status: DeviceStatus;
  detail: string;
  /** Index in the credentials list of the pair that opened the device. */
  credentialIndex: number | null;
  device: { manufacturer: string; model: string; firmwareVersion: string; serialNumber: string } | null;
  profiles: InspectedProfile[];
}

const DEVICE_NS = { tds: 'http://www.onvif.org/ver10/device/wsdl' };
const MEDIA_NAMESPACES = ['http://www.onvif.org/ver10/media/wsdl', 'http://www.onvif.org/ver20/media/wsdl'];

/** The address to use: an IPv4 http(s) one first (an IPv6 link-local one means nothing in a config). */
export function preferredXaddr(xaddrs: readonly string[]): string | null {
  return xaddrs.find((a) => /^https?:\/\/\d+\.\d+\.\d+\.\d+[:/]/i.test(a)) ?? xaddrs[0] ?? null;
}

function profileOf(p: OnvifMediaProfile): InspectedProfile {
  return {
    token: p.token,
    name: p.name,
    encoding: p.encoding,
    width: p.width,
    height: p.height,
    fps: p.fpsLimit,
    bitrateKbps: p.bitrateLimitKbps,
    streamUri: p.streamUri === null ? null : stripUrlCredentials(p.streamUri),
    snapshotUri: p.snapshotUri === null ? null : stripUrlCredentials(p.snapshotUri),
    sourceToken: p.sourceToken ?? null,
  };
}

/**
 * Device information and services through our own SOAP client: tells "opens, but offers no media
 * service" from "the media service failed" when node-onvif's initialisation gave up.
 */
async function readWithoutMedia(url: string, credential: Credential, timeoutMs: number) {
  const request = (body: string) =>
    postSoap({
      url,
      body,
      namespaces: DEVICE_NS,
      credentials: { username: credential.username, password: credential.password, timeDiffMs: 0 },
      timeoutMs,
      now: Date.now,
      context: { url },
    });
  const info = await request('<tds:GetDeviceInformation/>');
  const answer = elementInner(info.xml, 'GetDeviceInformationResponse') ?? '';
  const device = {
    manufacturer: elementText(answer, 'Manufacturer') ?? '',
    model: elementText(answer, 'Model') ?? '',
    firmwareVersion: elementText(answer, 'FirmwareVersion') ?? '',
    serialNumber: elementText(answer, 'SerialNumber') ?? '',
  };
  const services = await request(
    '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>',
  );
  const namespaces = [...services.xml.matchAll(/<(?:[\w.-]+:)?Namespace>\s*([^<\s]+)\s*</g)].map((m) => m[1]);
  return { device, hasMedia: namespaces.some((ns) => MEDIA_NAMESPACES.includes(ns as string)) };
}

/** Tries each credential in order until one opens the device; classifies what it finds. */
export async function inspectDevice(
  found: DiscoveredDevice,
  credentials: readonly Credential[],
  timeoutMs: number,
): Promise<InspectedDevice> {
  const url = preferredXaddr(found.xaddrs) ?? '';
  const base = {
    endpoint: found.endpoint,
    xaddrs: found.xaddrs,
    scopes: found.scopes,
    url,
    credentialIndex: null,
    device: null,
    profiles: [],
  };
  if (!url) return { ...base, status: 'error', detail: 'the device announced no HTTP address' };
  if (credentials.length === 0)
    return {
      ...base,
      status: 'auth_failed',
      detail: 'no credentials given (--user with --password-env or --password-file)',
    };
  const refused: string[] = [];
  for (const [index, credential] of credentials.entries()) {
    const camera = new NodeOnvifCamera({
      url,
      username: credential.username,
      password: credential.password,
      timeoutMs,
      now: Date.now,
      context: { url },
    });
    try {
      const reading = await camera.readDevice();
      const { hardwareId: _hardwareId, ...device } = reading.device;
      return {
        ...base,
        status: 'ok',
        detail: `opened as ${credential.username}`,
        credentialIndex: index,
        device,
        profiles: reading.profiles.map(profileOf),
      };
    } catch (error) {
      const code = error instanceof AgentError ? error.code : 'onvif_error';
      if (code === 'auth_failed') {
        refused.push(`${credential.username} (${credential.source})`);
        continue;
      }
      if (code === 'unreachable' || code === 'timeout')
        return { ...base, status: 'unreachable', detail: errorMessage(error) };
      // Opened, perhaps, but no profiles: is there a media service at all?
      try {
        const { device, hasMedia } = await readWithoutMedia(url, credential, timeoutMs);
        return hasMedia
          ? {
              ...base,
              status: 'error',
              detail: `media service failed: ${errorMessage(error)}`,
              credentialIndex: index,
              device,
            }
          : {
              ...base,
              status: 'no_media',
              detail: 'the device offers no ONVIF media service (not a camera or encoder)',
              credentialIndex: index,
              device,
            };
      } catch (diagnosed) {
        if (diagnosed instanceof AgentError && diagnosed.code === 'auth_failed') {
          refused.push(`${credential.username} (${credential.source})`);
          continue;
        }
        return { ...base, status: 'error', detail: errorMessage(diagnosed) };
      }
    }
  }
  return { ...base, status: 'auth_failed', detail: `credentials refused: ${refused.join(', ')}` };
}
