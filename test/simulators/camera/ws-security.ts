import { createHash, timingSafeEqual } from 'node:crypto';
import { childText, elementInner } from './soap.ts';

// WS-Security UsernameToken Profile 1.0, PasswordDigest = Base64(SHA-1(nonce + created + password)),
// as ONVIF Core section 5.12 requires. The Created timestamp is checked against the camera's own clock,
// which may be skewed by a fault: clients are expected to correct for it using GetSystemDateAndTime
// (node-onvif does), so a generous window lets them through while an uncorrected client fails.

export const WS_CREATED_TOLERANCE_MS = 60_000;
const PASSWORD_DIGEST_TYPE = 'PasswordDigest';
const MAX_REMEMBERED_NONCES = 4096;

export type UsernameTokenResult =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'password-text' | 'bad-digest' | 'expired' | 'replay' | 'malformed' };

function sha1Base64(parts: Buffer[]): string {
  return createHash('sha1').update(Buffer.concat(parts)).digest('base64');
}

/** Remembers nonces for as long as their Created time is acceptable, to reject replays. */
export class NonceReplayCache {
  private readonly seen = new Map<string, number>();

  /** Returns false if the nonce was already used within the tolerance window. */
  remember(nonce: string, nowMs: number): boolean {
    const expiresAt = this.seen.get(nonce);
    if (expiresAt !== undefined && expiresAt > nowMs) return false;
    if (this.seen.size >= MAX_REMEMBERED_NONCES) this.prune(nowMs);
    this.seen.set(nonce, nowMs + 2 * WS_CREATED_TOLERANCE_MS);
    return true;
  }

  private prune(nowMs: number): void {
    for (const [nonce, expiresAt] of this.seen) if (expiresAt <= nowMs) this.seen.delete(nonce);
    // Still full of live entries (a flood): drop the oldest half rather than grow without bound.
    if (this.seen.size >= MAX_REMEMBERED_NONCES) {
      let drop = this.seen.size / 2;
      for (const nonce of this.seen.keys()) {
        if (drop-- <= 0) break;
        this.seen.delete(nonce);
      }
    }
  }
}

export function verifyUsernameToken(
  headerXml: string,
  expected: { username: string; password: string },
  cameraNowMs: number,
  replay: NonceReplayCache,
): UsernameTokenResult {
  const token = elementInner(headerXml, 'UsernameToken');
  if (token === undefined) return { ok: false, reason: 'missing' };
  const username = childText(token, 'Username');
  const passwordMatch = /<(?:[\w.-]+:)?Password\b([^>]*)>([^<]*)</.exec(token);
  const nonceB64 = childText(token, 'Nonce');
  const created = childText(token, 'Created');
  if (username === undefined || !passwordMatch || nonceB64 === undefined || created === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  const typeAttr = /\bType\s*=\s*"([^"]*)"/.exec(passwordMatch[1] ?? '')?.[1] ?? '';
  // ONVIF clients must use the digest; a camera that accepts PasswordText leaks passwords on the wire.
  if (!typeAttr.endsWith(PASSWORD_DIGEST_TYPE)) return { ok: false, reason: 'password-text' };
  const createdMs = Date.parse(created);
  if (!Number.isFinite(createdMs)) return { ok: false, reason: 'malformed' };
  const nonce = Buffer.from(nonceB64.trim(), 'base64');
  const want = sha1Base64([nonce, Buffer.from(created, 'utf8'), Buffer.from(expected.password, 'utf8')]);
  const got = Buffer.from((passwordMatch[2] ?? '').trim());
  const wantBuf = Buffer.from(want);
  const digestOk = got.length === wantBuf.length && timingSafeEqual(got, wantBuf);
  if (!digestOk || username.trim() !== expected.username) return { ok: false, reason: 'bad-digest' };
  if (Math.abs(createdMs - cameraNowMs) > WS_CREATED_TOLERANCE_MS) return { ok: false, reason: 'expired' };
  if (!replay.remember(nonceB64.trim(), cameraNowMs)) return { ok: false, reason: 'replay' };
  return { ok: true, username: expected.username };
}
