import { isIPv4 } from 'node:net';
import { WSD_PORT } from './ws-discovery.ts';

// Unicast probe targets for networks where multicast does not reach (routed camera VLANs, some switches):
// --address host[:port] and --range a.b.c.d-e, a.b.c.d-a.b.c.e or a.b.c.d/n (n >= 24). A probe per
// address is cheap, but a bigger sweep belongs to someone who knows the network, so more than 256
// addresses in all is refused.

export const MAX_PROBE_ADDRESSES = 256;

export class TargetError extends Error {}

export interface ProbeTarget {
  host: string;
  port: number;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** host, host:port, or [v6]:port. */
export function parseAddress(text: string, defaultPort = WSD_PORT): ProbeTarget {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const m = v6 ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m?.[1]) throw new TargetError(`--address ${text}: expected host or host:port`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TargetError(`--address ${text}: port must be 1-65535`);
  return { host: m[1], port };
}

/** Every address of a range or CIDR block, in order; refuses more than `limit`. */
export function expandRange(text: string, limit = MAX_PROBE_ADDRESSES): string[] {
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
  let first: number;
  let last: number;
  if (cidr) {
    const [, base, bitsText] = cidr as unknown as [string, string, string];
    const bits = Number(bitsText);
    if (!isIPv4(base) || bits > 32) throw new TargetError(`--range ${text}: not an IPv4 CIDR block`);
    const size = 2 ** (32 - bits);
    if (size > limit)
      throw new TargetError(
        `--range ${text} holds ${size} addresses; at most ${limit} are probed (a /24): split it or use multicast`,
      );
    first = Math.floor(ipToInt(base) / size) * size;
    last = first + size - 1;
    // The network and broadcast addresses of a block bigger than /31 are not hosts.
    if (size > 2) {
      first += 1;
      last -= 1;
    }
  } else {
    const range = /^(\d+\.\d+\.\d+\.\d+)-(\d+(?:\.\d+\.\d+\.\d+)?)$/.exec(text);
    if (!range) throw new TargetError(`--range ${text}: expected a.b.c.d-e, a.b.c.d-a.b.c.e or a.b.c.d/n`);
    const [, start, end] = range as unknown as [string, string, string];
    const endIp = end.includes('.') ? end : `${start.slice(0, start.lastIndexOf('.'))}.${end}`;
    if (!isIPv4(start) || !isIPv4(endIp)) throw new TargetError(`--range ${text}: not IPv4 addresses`);
    first = ipToInt(start);
    last = ipToInt(endIp);
    if (last < first) throw new TargetError(`--range ${text}: the range ends before it starts`);
    if (last - first + 1 > limit)
      throw new TargetError(
        `--range ${text} holds ${last - first + 1} addresses; at most ${limit} are probed: split it or use multicast`,
      );
  }
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(intToIp(n));
  return out;
}

/** All unicast targets, de-duplicated, with the 256-address bound applied to the whole set. */
export function probeTargets(
  addresses: readonly string[],
  ranges: readonly string[],
  port = WSD_PORT,
): ProbeTarget[] {
  const targets = new Map<string, ProbeTarget>();
  const add = (t: ProbeTarget) => targets.set(`${t.host}:${t.port}`, t);
  for (const a of addresses) add(parseAddress(a, port));
  for (const r of ranges) for (const host of expandRange(r)) add({ host, port });
  if (targets.size > MAX_PROBE_ADDRESSES)
    throw new TargetError(
      `${targets.size} addresses to probe in all; at most ${MAX_PROBE_ADDRESSES}: narrow --range or use multicast`,
    );
  return [...targets.values()];
}
