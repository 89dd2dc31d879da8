import { BlockList, isIP } from 'node:net';

/**
 * Where a site's cameras may be: each entry an IPv4 or IPv6 address, a CIDR range (`10.20.0.0/24`,
 * `fd00:1::/64`) or an exact host name (`cam-gateway.penzance.example`). Entered by an operator when
 * registering the site; the hub opens live feeds only to stream addresses inside them.
 */
export const CAMERA_NETWORK_PATTERN =
  '^([0-9]{1,3}(\\.[0-9]{1,3}){3}(/[0-9]{1,2})?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?|[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*)$';

export type NetworkEntry =
  | { kind: 'range'; family: 'ipv4' | 'ipv6'; address: string; prefix: number }
  | { kind: 'host'; name: string };

/** Parses one entry; throws a plain message naming it when it is neither an address, a range nor a host name. */
export function parseNetworkEntry(entry: string): NetworkEntry {
  const [address = '', prefixText, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '')
      throw new Error(`'${entry}' is not a valid range: the prefix length must be 0-${max}`);
    // A range wider than /8 (IPv4) or /32 (IPv6) is not a camera network; it would be a blank cheque.
    if (prefix < (family === 4 ? 8 : 32))
      throw new Error(`'${entry}' is too wide for a camera network (at most /8 for IPv4, /32 for IPv6)`);
    return { kind: 'range', family: family === 4 ? 'ipv4' : 'ipv6', address, prefix };
  }
  if (prefixText !== undefined || !new RegExp(CAMERA_NETWORK_PATTERN).test(entry) || entry.includes(':'))
    throw new Error(`'${entry}' is neither an IP address, a CIDR range nor a host name`);
  return { kind: 'host', name: entry.toLowerCase() };
}

export type StreamAddressCheck =
  | { ok: true; host: string }
  | {
      ok: false;
      code:
        | 'STREAM_URL_INVALID'
        | 'STREAM_SCHEME'
        | 'STREAM_URL_CREDENTIALS'
        | 'STREAM_ADDRESS_NOT_REGISTERED';
      message: string;
    };

/** The schemes a feed may use: RTSP, plain or over TLS. Never http:, file: or anything ffmpeg also reads. */
export const STREAM_SCHEMES: ReadonlySet<string> = new Set(['rtsp:', 'rtsps:']);
/**
 * A mobile source's stream (an operator's fact, not a site's report) may also be RTMP, plain or over
 * TLS, or SRT (where the hub's ffmpeg reads it).
 */
export const SOURCE_STREAM_SCHEMES: ReadonlySet<string> = new Set([
  'rtsp:',
  'rtsps:',
  'rtmp:',
  'rtmps:',
  'srt:',
]);

/**
 * The SRT options a stream address may carry (ffmpeg reads every query parameter of an srt: URL as an
 * option of the connection): which stream of the server, and the receive latency. Anything else (a
 * passphrase, which belongs in the credentials file, or listener mode, which would open a port on the
 * hub) is refused.
 */
const SRT_QUERY: Record<string, RegExp> = {
  streamid: /^[\x21-\x7e]{1,512}$/,
  latency: /^[0-9]{1,8}$/,
  mode: /^caller$/,
};

function srtQueryProblem(url: URL): StreamAddressCheck | null {
  for (const [key, value] of url.searchParams) {
    if (key === 'passphrase' || key === 'pbkeylen')
      return {
        ok: false,
        code: 'STREAM_URL_CREDENTIALS',
        message: 'the stream address carries an SRT passphrase: put it in the feed credentials file',
      };
    const allowed = SRT_QUERY[key];
    if (!allowed)
      return {
        ok: false,
        code: 'STREAM_URL_INVALID',
        message: `SRT stream addresses may carry streamid, latency and mode=caller only, not ${key.slice(0, 40)}`,
      };
    if (!allowed.test(value))
      return {
        ok: false,
        code: 'STREAM_URL_INVALID',
        message: `the SRT ${key} ${value.slice(0, 40)} is not valid`,
      };
  }
  if (url.pathname !== '' && url.pathname !== '/')
    return {
      ok: false,
      code: 'STREAM_URL_INVALID',
      message: 'an SRT stream address has no path: name the stream with streamid',
    };
  if (!url.port)
    return { ok: false, code: 'STREAM_URL_INVALID', message: 'an SRT stream address needs a port' };
  return null;
}

/**
 * Whether a reported stream address is one the hub may connect to for this site: RTSP or RTSPS, no
 * credentials in it (they stay at the edge), and a host inside the site's registered camera networks.
 */
export function checkStreamAddress(
  uri: string,
  networks: readonly string[],
  schemes: ReadonlySet<string> = STREAM_SCHEMES,
): StreamAddressCheck {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, code: 'STREAM_URL_INVALID', message: 'the stream address is not a URL' };
  }
  if (!schemes.has(url.protocol))
    return {
      ok: false,
      code: 'STREAM_SCHEME',
      message: `stream addresses must be ${[...schemes].join(' or ')}, not ${url.protocol.slice(0, 20)}`,
    };
  if (url.username || url.password)
    return { ok: false, code: 'STREAM_URL_CREDENTIALS', message: 'the stream address carries credentials' };
  const srtProblem = url.protocol === 'srt:' ? srtQueryProblem(url) : null;
  if (srtProblem) return srtProblem;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!hostAllowed(host, networks))
    return {
      ok: false,
      code: 'STREAM_ADDRESS_NOT_REGISTERED',
      message: `stream host ${host.slice(0, 100)} is outside the site's registered camera networks`,
    };
  return { ok: true, host };
}

/** Whether a host (IP literal or name) is inside one of the entries; unparseable entries match nothing. */
export function hostAllowed(host: string, networks: readonly string[]): boolean {
  const family = isIP(host);
  const blocks = new BlockList();
  let ranges = 0;
  for (const raw of networks) {
    let entry: NetworkEntry;
    try {
      entry = parseNetworkEntry(raw);
    } catch {
      continue;
    }
    if (entry.kind === 'host') {
      if (family === 0 && entry.name === host) return true;
      continue;
    }
    blocks.addSubnet(entry.address, entry.prefix, entry.family);
    ranges++;
  }
  if (family === 0 || ranges === 0) return false;
  return blocks.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
