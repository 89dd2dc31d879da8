import { createRequire } from 'node:module';

// node-onvif 0.1.7 ships no types. These describe only what the agent touches; values from xml2js may be
// strings or `{ _: text, $: attributes }` objects, hence `unknown` at the leaves.

export interface NodeOnvifProfile {
  token: string;
  name: unknown;
  snapshot: string;
  stream: { udp: string; http: string; rtsp: string };
  video: {
    /** The profile's video source configuration: profiles that share one show the same picture. */
    source?: { token: unknown } | null;
    encoder: {
      resolution: { width: number; height: number };
      framerate: number;
      bitrate: number;
      encoding: unknown;
    } | null;
  };
}

export interface NodeOnvifSoapResult {
  data: Record<string, unknown>;
}

export interface NodeOnvifDevice {
  init(): Promise<Record<string, unknown> | null>;
  getProfileList(): NodeOnvifProfile[];
  getInformation(): Record<string, unknown> | null;
  time_diff: number;
  services: {
    device: { getDeviceInformation(): Promise<NodeOnvifSoapResult> };
  };
}

interface NodeOnvifModule {
  OnvifDevice: new (params: { xaddr: string; user: string; pass: string }) => NodeOnvifDevice;
  _OnvifSoap: { HTTP_TIMEOUT: number };
}

const require = createRequire(import.meta.url);
const nodeOnvif = require('node-onvif') as NodeOnvifModule;

export function createOnvifDevice(xaddr: string, username: string, password: string): NodeOnvifDevice {
  return new nodeOnvif.OnvifDevice({ xaddr, user: username, pass: password });
}

/**
 * node-onvif keeps one HTTP timeout for the whole process (its SOAP helper is a module singleton). This is
 * the only process-wide state the agent touches: several agents in one process share it (the agent started
 * last wins), which is harmless because each agent races every call against its own deadline as well; the
 * constant only bounds how long an abandoned socket lingers after that deadline.
 */
export function setNodeOnvifHttpTimeout(timeoutMs: number): void {
  nodeOnvif._OnvifSoap.HTTP_TIMEOUT = timeoutMs;
}

/** xml2js leaves: plain text, or `{ _: text, $: {...} }` when the element had attributes. */
export function xmlValueText(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && value !== null && '_' in value)
    return xmlValueText((value as { _: unknown })._);
  return '';
}
