import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Feed URLs carry their own short-lived authority, so a video element can fetch playlists and
 * segments without a bearer token (and no token ever goes into a URL): the path holds the session,
 * its expiry and an HMAC of both. Segments are fetched relative to the playlist, under the same path.
 */
export class FeedUrlSigner {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    // A key of its own, derived from the hub secret, so feed URLs and tokens never share one.
    this.key = createHmac('sha256', secret).update('cctv-hub feed urls v1').digest();
  }

  sign(sessionId: string, expiresAtMs: number): string {
    return createHmac('sha256', this.key).update(`${sessionId}.${expiresAtMs}`).digest('base64url');
  }

  /** The path prefix of a session's files: /feeds/{session}/{expiry}/{signature}/ */
  prefix(sessionId: string, expiresAtMs: number): string {
    return `/feeds/${sessionId}/${expiresAtMs}/${this.sign(sessionId, expiresAtMs)}/`;
  }

  /** 'ok', or why not: a signature that does not match, or a URL past its expiry. */
  check(
    sessionId: string,
    expiresAt: string,
    signature: string,
    nowMs: number,
  ): 'ok' | 'tampered' | 'expired' {
    if (!/^\d{1,15}$/.test(expiresAt)) return 'tampered';
    const expected = Buffer.from(this.sign(sessionId, Number(expiresAt)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'tampered';
    return Number(expiresAt) > nowMs ? 'ok' : 'expired';
  }
}
