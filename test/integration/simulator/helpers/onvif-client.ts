import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createRequire } from 'node:module';

// node-onvif ships no types. This describes only what the tests touch; the real module is loaded as is.
export interface NodeOnvifProfile {
  token: string;
  snapshot: string;
  stream: { udp: string; http: string; rtsp: string };
  video: {
    encoder: {
      encoding: string;
      resolution: { width: number; height: number };
      framerate: number;
      bitrate: number;
    } | null;
  };
}

export interface NodeOnvifDevice {
  init(): Promise<Record<string, string>>;
  getProfileList(): NodeOnvifProfile[];
  fetchSnapshot(): Promise<{ headers: Record<string, string>; body: Buffer }>;
  setAuth(user: string, pass: string): void;
  services: {
    device: {
      getNTP(): Promise<{ data: { GetNTPResponse: { NTPInformation: Record<string, unknown> } } }>;
      getTimeDiff(): number;
    };
  };
}

export interface NodeOnvifModule {
  OnvifDevice: new (params: { xaddr: string; user?: string; pass?: string }) => NodeOnvifDevice;
  _OnvifSoap: { HTTP_TIMEOUT: number };
}

const require = createRequire(import.meta.url);
export const nodeOnvif = require('node-onvif') as NodeOnvifModule;

/** Runs fn with node-onvif's fixed 3 s HTTP timeout lowered, restoring it afterwards. */
export async function withOnvifTimeout<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const soap = nodeOnvif._OnvifSoap;
  const saved = soap.HTTP_TIMEOUT;
  soap.HTTP_TIMEOUT = timeoutMs;
  try {
    return await fn();
  } finally {
    soap.HTTP_TIMEOUT = saved;
  }
}

export interface RawSoapOptions {
  username?: string;
  password?: string;
  /** Created timestamp to put in the token; defaults to the local clock (no skew correction). */
  createdMs?: number;
  nonce?: Buffer;
  timeoutMs?: number;
}

/**
 * A deliberately independent SOAP 1.2 client (not the simulator's code): builds the WS-Security
 * UsernameToken itself so tests check the simulator against the spec, not against itself.
 */
export function soapEnvelope(bodyXml: string, opts: RawSoapOptions = {}): string {
  let header = '';
  if (opts.username !== undefined) {
    const nonce = opts.nonce ?? randomBytes(16);
    const created = new Date(opts.createdMs ?? Date.now()).toISOString();
    const digest = createHash('sha1')
      .update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(opts.password ?? '')]))
      .digest('base64');
    header =
      '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ' +
      'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">' +
      `<wsse:UsernameToken><wsse:Username>${opts.username}</wsse:Username>` +
      '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">' +
      `${digest}</wsse:Password><wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce>` +
      `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
    `xmlns:tt="http://www.onvif.org/ver10/schema"><s:Header>${header}</s:Header><s:Body>${bodyXml}</s:Body></s:Envelope>`
  );
}

/** One fresh connection per call (agent: false) so a closed camera port shows up as ECONNREFUSED. */
export function soapPost(
  url: string,
  xml: string,
  timeoutMs = 3000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/soap+xml; charset=utf-8',
          'Content-Length': Buffer.byteLength(xml),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(xml);
  });
}

export function soapCall(url: string, bodyXml: string, opts: RawSoapOptions = {}) {
  return soapPost(url, soapEnvelope(bodyXml, opts), opts.timeoutMs);
}

function field(xml: string, name: string): number {
  const m = new RegExp(`<tt:${name}>(\\d+)</tt:${name}>`).exec(xml);
  if (!m?.[1]) throw new Error(`no tt:${name} in ${xml.slice(0, 200)}`);
  return Number(m[1]);
}

/** Reads UTCDateTime or LocalDateTime from a GetSystemDateAndTime response as epoch ms. */
export function readDateTime(xml: string, element: 'UTCDateTime' | 'LocalDateTime'): number {
  const m = new RegExp(`<tt:${element}>([\\s\\S]*?)</tt:${element}>`).exec(xml);
  if (!m?.[1]) throw new Error(`no ${element} in response`);
  const part = m[1];
  return Date.UTC(
    field(part, 'Year'),
    field(part, 'Month') - 1,
    field(part, 'Day'),
    field(part, 'Hour'),
    field(part, 'Minute'),
    field(part, 'Second'),
  );
}

export function textOf(xml: string, element: string): string | undefined {
  return new RegExp(`<[\\w]+:${element}>([^<]*)</[\\w]+:${element}>`).exec(xml)?.[1];
}
