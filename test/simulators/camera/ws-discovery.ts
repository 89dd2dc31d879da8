import { createHash, randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { xmlEscape as x, xmlUnescape } from './soap.ts';

// WS-Discovery (2005/04) as ONVIF Core 7.3 uses it: a client sends a Probe to 239.255.255.250:3702 (or
// to one device's address, for networks without multicast) and every matching device answers with a
// ProbeMatches message of its own, unicast to the sender. Only Probe is answered; Hello, Bye and Resolve
// are not sent (the agent's discovery does not need them).

export const WSD_MULTICAST_ADDRESS = '239.255.255.250';
export const WSD_PORT = 3702;
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const PROBE_ACTION = `${WSD}/Probe`;
const MATCHES_ACTION = `${WSD}/ProbeMatches`;
const MAX_PROBE_BYTES = 16 * 1024;

/** What a device says about itself in a ProbeMatch. */
export interface DiscoverableDevice {
  /** urn:uuid:..., the same for the device across restarts. */
  endpoint: string;
  xaddrs: string[];
  scopes: string[];
}

/** A stable urn:uuid for a camera id (name-based, SHA-1, RFC 4122 section 4.3 layout). */
export function endpointUuid(cameraId: string): string {
  const h = createHash('sha1').update(`cctv-sim-camera:${cameraId}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ParsedProbe {
  messageId: string;
  /** Local names of the types asked for (prefixes dropped); empty when the probe names none. */
  types: string[];
}

const LOCAL = '(?:[A-Za-z_][\\w.-]*:)?';

function inner(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(${LOCAL}${name})(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</\\1\\s*>)`).exec(xml);
  return m ? (m[2] ?? '') : undefined;
}

/** The probe's MessageID and Types, or null for anything that is not a WS-Discovery Probe. */
export function parseProbe(xml: string): ParsedProbe | null {
  if (/<!DOCTYPE/i.test(xml)) return null;
  const action = inner(xml, 'Action')?.trim();
  const body = inner(xml, 'Body');
  if (action !== PROBE_ACTION || body === undefined || inner(body, 'Probe') === undefined) return null;
  const messageId = xmlUnescape(inner(xml, 'MessageID')?.trim() ?? '');
  if (!messageId) return null;
  const types = (inner(body, 'Types') ?? '')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((qname) => qname.slice(qname.indexOf(':') + 1));
  return { messageId, types };
}

/** ONVIF Core 7.3.2: a device answers a probe with no Types, or one naming NetworkVideoTransmitter. */
export function probeMatchesDevice(probe: ParsedProbe): boolean {
  return (
    probe.types.length === 0 || probe.types.some((t) => t === 'NetworkVideoTransmitter' || t === 'Device')
  );
}

export function probeMatchXml(device: DiscoverableDevice, relatesTo: string, messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="${WSA}" ` +
    `xmlns:d="${WSD}" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` +
    '<SOAP-ENV:Header>' +
    `<wsa:MessageID>${x(messageId)}</wsa:MessageID><wsa:RelatesTo>${x(relatesTo)}</wsa:RelatesTo>` +
    `<wsa:To>${WSA}/role/anonymous</wsa:To><wsa:Action>${MATCHES_ACTION}</wsa:Action>` +
    '</SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>${x(device.endpoint)}</wsa:Address></wsa:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
    `<d:Scopes>${x(device.scopes.join(' '))}</d:Scopes>` +
    `<d:XAddrs>${x(device.xaddrs.join(' '))}</d:XAddrs>` +
    '<d:MetadataVersion>1</d:MetadataVersion>' +
    '</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}

export interface WsDiscoveryResponderOptions {
  /** UDP port; 3702 is the standard one. */
  port: number;
  /** Address to bind; 0.0.0.0 to receive multicast. */
  bindAddress: string;
  /** Join 239.255.255.250 (on `interfaceAddress` when given). */
  multicast: boolean;
  interfaceAddress?: string;
  devices: () => DiscoverableDevice[];
  log: (line: string) => void;
}

/** Answers WS-Discovery probes for every device the fleet holds, one datagram per device. */
export class WsDiscoveryResponder {
  private socket: Socket | undefined;

  constructor(private readonly options: WsDiscoveryResponderOptions) {}

  get port(): number {
    const address = this.socket?.address();
    return address ? address.port : 0;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    const { port, bindAddress, multicast, interfaceAddress } = this.options;
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (message, from) => this.onMessage(message, from));
    socket.on('error', (error) => this.options.log(`camera-sim discovery: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (multicast) socket.addMembership(WSD_MULTICAST_ADDRESS, interfaceAddress);
    this.socket = socket;
    this.options.log(
      `camera-sim: WS-Discovery on ${bindAddress}:${this.port}${multicast ? ' (multicast)' : ''}`,
    );
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onMessage(message: Buffer, from: RemoteInfo): void {
    if (message.length > MAX_PROBE_BYTES) return;
    const probe = parseProbe(message.toString('utf8'));
    if (!probe || !probeMatchesDevice(probe)) return;
    // One ProbeMatches per device, each in its own datagram, as separate physical devices would answer.
    for (const device of this.options.devices()) {
      const reply = Buffer.from(probeMatchXml(device, probe.messageId, `urn:uuid:${randomUUID()}`));
      this.socket?.send(reply, from.port, from.address);
    }
  }
}
