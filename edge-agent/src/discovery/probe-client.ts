import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { ProbeTarget } from './targets.ts';
import {
  buildProbe,
  type ProbeMatch,
  parseProbeMatches,
  WSD_MULTICAST_ADDRESS,
  WSD_PORT,
} from './ws-discovery.ts';

// The probing side of WS-Discovery over UDP. node-onvif's startProbe only multicasts from the default
// interface, so a site box with a camera VLAN on its second port, or a network that drops multicast,
// could not use it; this sends the same Probe by multicast on a chosen interface and/or to listed
// addresses, and gathers every ProbeMatches that relates to it until the time is up.

export interface ProbeOptions {
  multicast: boolean;
  /** Local IPv4 address to send from (and to send multicast out of). */
  interfaceAddress?: string;
  /** Port of the multicast group; 3702 is the standard one. */
  port?: number;
  targets: readonly ProbeTarget[];
  timeoutMs: number;
}

export interface DiscoveredDevice extends ProbeMatch {
  /** Who answered (the datagram's source address). */
  from: string;
}

/** SOAP-over-UDP 1.1 section 3.4: UDP is lossy, so each probe is sent twice, 100 ms apart, with one MessageID. */
const REPEAT_GAP_MS = 100;
const MAX_DATAGRAM_BYTES = 65_507;

export async function probeDevices(options: ProbeOptions): Promise<DiscoveredDevice[]> {
  const messageId = `urn:uuid:${randomUUID()}`;
  const probe = Buffer.from(buildProbe(messageId));
  const socket = createSocket({ type: 'udp4' });
  const found: DiscoveredDevice[] = [];
  socket.on('message', (message, from) => {
    if (message.length > MAX_DATAGRAM_BYTES) return;
    const parsed = parseProbeMatches(message.toString('utf8'));
    // WS-Discovery 5.3: a ProbeMatch relates to the probe it answers; anything else is someone else's.
    if (!parsed || parsed.relatesTo !== messageId) return;
    for (const match of parsed.matches) found.push({ ...match, from: from.address });
  });
  const errors: Error[] = [];
  socket.on('error', (error) => errors.push(error));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, options.interfaceAddress, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    if (options.multicast) {
      socket.setMulticastTTL(1);
      if (options.interfaceAddress) socket.setMulticastInterface(options.interfaceAddress);
    }
    const destinations: ProbeTarget[] = [
      ...(options.multicast ? [{ host: WSD_MULTICAST_ADDRESS, port: options.port ?? WSD_PORT }] : []),
      ...options.targets,
    ];
    const send = (t: ProbeTarget) =>
      new Promise<void>((resolve) =>
        socket.send(probe, t.port, t.host, (error) => {
          // One unroutable address in a range must not stop the others: remember it, go on.
          if (error) errors.push(new Error(`${t.host}:${t.port}: ${error.message}`));
          resolve();
        }),
      );
    for (let round = 0; round < 2; round++) {
      for (const t of destinations) await send(t);
      if (round === 0) await new Promise((r) => setTimeout(r, REPEAT_GAP_MS));
    }
    await new Promise((r) => setTimeout(r, options.timeoutMs));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  if (found.length === 0 && errors.length > 0) throw errors[0] as Error;
  return found;
}

/** One entry per device: the same endpoint (or, without one, the same addresses) answering twice is one device. */
export function dedupeDevices(devices: readonly DiscoveredDevice[]): DiscoveredDevice[] {
  const byKey = new Map<string, DiscoveredDevice>();
  const keyOfAddress = new Map<string, string>();
  for (const d of devices) {
    const key =
      (d.endpoint && byKey.has(d.endpoint) ? d.endpoint : undefined) ??
      d.xaddrs.map((a) => keyOfAddress.get(a)).find((k) => k !== undefined) ??
      (d.endpoint || d.xaddrs[0] || d.from);
    const known = byKey.get(key);
    if (known) {
      for (const a of d.xaddrs) if (!known.xaddrs.includes(a)) known.xaddrs.push(a);
      for (const s of d.scopes) if (!known.scopes.includes(s)) known.scopes.push(s);
    } else byKey.set(key, { ...d, xaddrs: [...d.xaddrs], scopes: [...d.scopes], types: [...d.types] });
    for (const a of d.xaddrs) keyOfAddress.set(a, key);
  }
  return [...byKey.values()];
}
