import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// HTTP Digest authentication (RFC 7616, with RFC 2069 compatibility when the client omits qop), used by
// both the snapshot endpoint and RTSP (RFC 2326 section 16.9 reuses HTTP authentication).
// Nonces are stateless (timestamp + HMAC) so nothing needs cleaning up and many cameras cost nothing.

const NONCE_LIFETIME_MS = 5 * 60_000;

export interface DigestCredentials {
  username: string;
  password: string;
}

export type DigestResult = 'ok' | 'missing' | 'stale' | 'rejected';

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Parses `Digest k="v", k2=v2` into a map; returns undefined for other schemes. */
export function parseDigestHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header) return undefined;
  const m = /^\s*Digest\s+/i.exec(header);
  if (!m) return undefined;
  const fields = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const part of header.slice(m[0].length).matchAll(re)) {
    const key = part[1];
    if (key) fields.set(key.toLowerCase(), part[2] ?? part[3] ?? '');
  }
  return fields;
}

function sameText(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export class DigestAuthenticator {
  // Per-process secret: nonces from a previous run are simply stale, which clients handle by retrying.
  private readonly secret = randomBytes(16);

  constructor(
    readonly realm: string,
    private readonly nowMs: () => number,
  ) {}

  private sign(issuedHex: string): string {
    return createHmac('sha256', this.secret).update(issuedHex).digest('hex').slice(0, 32);
  }

  /**
   * Hex only: node-onvif's header parser splits on ',' and '=', so base64 padding would corrupt it.
   */
  newNonce(): string {
    const issuedHex = Math.floor(this.nowMs()).toString(16).padStart(12, '0');
    return issuedHex + this.sign(issuedHex);
  }

  challenge(stale = false): string {
    const staleText = stale ? ', stale=true' : '';
    return `Digest realm="${this.realm}", qop="auth", nonce="${this.newNonce()}", algorithm=MD5${staleText}`;
  }

  private nonceState(nonce: string): 'ok' | 'stale' | 'bad' {
    if (!/^[0-9a-f]{44}$/.test(nonce)) return 'bad';
    const issuedHex = nonce.slice(0, 12);
    if (!sameText(this.sign(issuedHex), nonce.slice(12))) return 'bad';
    const ageMs = this.nowMs() - Number.parseInt(issuedHex, 16);
    return ageMs >= -1000 && ageMs <= NONCE_LIFETIME_MS ? 'ok' : 'stale';
  }

  /**
   * `accept` is false when a fault makes the camera reject its own configured credentials: the
   * request then fails exactly like a wrong password.
   */
  verify(
    header: string | undefined,
    method: string,
    expected: DigestCredentials,
    accept: boolean,
  ): DigestResult {
    const f = parseDigestHeader(header);
    if (!f) return 'missing';
    const nonce = f.get('nonce') ?? '';
    const state = this.nonceState(nonce);
    if (state === 'bad') return 'rejected';
    const algorithm = (f.get('algorithm') ?? 'MD5').toUpperCase();
    if (algorithm !== 'MD5') return 'rejected';
    const ha1 = md5(`${expected.username}:${this.realm}:${expected.password}`);
    const ha2 = md5(`${method}:${f.get('uri') ?? ''}`);
    const qop = f.get('qop');
    const want =
      qop === 'auth'
        ? md5(`${ha1}:${nonce}:${f.get('nc') ?? ''}:${f.get('cnonce') ?? ''}:auth:${ha2}`)
        : md5(`${ha1}:${nonce}:${ha2}`);
    const userOk = sameText(f.get('username') ?? '', expected.username);
    if (!userOk || !sameText(want, f.get('response') ?? '') || !accept) return 'rejected';
    return state === 'stale' ? 'stale' : 'ok';
  }
}
