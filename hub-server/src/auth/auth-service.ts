import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type pg from 'pg';
import type { Role } from '../../../src/schemas/api.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import type { UserRecord, UserRepository } from '../repositories/user-repository.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/** Who a request acts as: a signed-in user (with its session) or an API key. */
export interface TokenClaims {
  sub: string;
  role: Role;
  councilIds: string[];
  /** Login session id (user tokens). */
  sid?: string;
  /** API key id (API keys act as `key:<id>`). */
  keyId?: string;
  /** Expiry, epoch seconds (user tokens). */
  exp?: number;
}

/** Why a credential was refused; the message is safe to send (it never echoes the credential). */
export class AuthError extends Error {
  readonly statusCode = 401;
  constructor(
    readonly code: 'UNAUTHORIZED' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED' | 'KEY_REVOKED' | 'KEY_EXPIRED',
    message: string,
  ) {
    super(message);
  }
}

const ISSUER = 'cctv-hub';
const KEY_PREFIX = 'cctvk_';
const KEY_PATTERN = /^cctvk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** How long a session's or key's validity is trusted from memory; revocations made here apply at once. */
const CACHE_MS = 15_000;
const KEY_TOUCH_MS = 60_000;

export interface LoginResult {
  token: string;
  expiresAt: Date;
  sessionId: string;
  user: UserRecord;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  councilIds: string[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface SessionRecord {
  id: string;
  username: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
  ip: string | null;
}

interface KeyRow {
  id: string;
  name: string;
  role: Role;
  council_ids: string[];
  secret_sha256: Buffer;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const keyRecord = (row: KeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  councilIds: row.council_ids,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const KEY_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Logins, signed session tokens that can be revoked, and API keys. Tokens are HS256 JWTs naming
 * their session; a request is admitted only while the session is neither expired nor revoked.
 * Session state is cached for a few seconds so a request costs no query; a revocation made by this
 * hub takes effect at once, one made elsewhere (another process) within the cache time.
 */
export class AuthService {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verifyJwt: (token: string) => Record<string, unknown>;
  private readonly sessionCache = new Map<string, { revoked: boolean; checkedAt: number }>();
  private readonly keyCache = new Map<string, { row: KeyRow; checkedAt: number }>();
  private readonly keyTouched = new Map<string, number>();
  private readonly revokedListeners: ((
    match: (claims: TokenClaims) => boolean,
    what: Revocation,
    here: boolean,
  ) => void)[] = [];
  /** A hash of a random password, so an unknown user name costs the same time as a wrong password. */
  private readonly decoyHash: Promise<string>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly users: UserRepository,
    private readonly options: { secret: string; tokenTtlMs: number; now?: () => number },
  ) {
    this.sign = createSigner({ key: options.secret, algorithm: 'HS256', iss: ISSUER, noTimestamp: true });
    // Expiry is checked against the hub clock below (tests run the hub on a fake clock).
    this.verifyJwt = createVerifier({
      key: options.secret,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      ignoreExpiration: true,
      ignoreNotBefore: true,
    });
    this.decoyHash = hashPassword(randomBytes(16).toString('hex'));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * Called with a predicate over claims whenever sessions or keys are revoked (live sockets close),
   * with what was revoked and whether it was revoked by this process (or by another of the region's,
   * see applyRevocation).
   */
  onRevoked(
    listener: (match: (claims: TokenClaims) => boolean, what: Revocation, here: boolean) => void,
  ): void {
    this.revokedListeners.push(listener);
  }

  private revoked(what: Revocation, here = true): void {
    const match = revocationMatch(what);
    for (const listener of this.revokedListeners) listener(match, what, here);
  }

  /** A revocation another hub process of the region made: its caches here forget at once. */
  applyRevocation(what: Revocation): void {
    const now = this.now();
    if ('sessions' in what)
      for (const id of what.sessions) this.sessionCache.set(id, { revoked: true, checkedAt: now });
    if ('key' in what) this.keyCache.delete(what.key);
    this.revoked(what, false);
  }

  /** Checks a user name and password; null when either is wrong or the user is disabled. */
  async checkPassword(username: string, password: string): Promise<UserRecord | null> {
    const user = await this.users.find(username);
    const hash = user && !user.disabled ? user.passwordHash : await this.decoyHash;
    const valid = await verifyPassword(password, hash);
    return user && !user.disabled && valid ? user : null;
  }

  /** Opens a session for a user whose password was checked, and signs its token. */
  async openSession(user: UserRecord, meta: { ip?: string; userAgent?: string }): Promise<LoginResult> {
    const sessionId = randomUUID();
    const now = this.now();
    const expiresAt = new Date(now + this.options.tokenTtlMs);
    await this.pool.query(
      `INSERT INTO auth_sessions (id, username, created_at, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        sessionId,
        user.username,
        new Date(now),
        expiresAt,
        meta.ip ?? null,
        meta.userAgent?.slice(0, 300) ?? null,
      ],
    );
    await this.pool.query('UPDATE users SET last_login_at = $2 WHERE username = $1', [
      user.username,
      new Date(now),
    ]);
    this.sessionCache.set(sessionId, { revoked: false, checkedAt: now });
    const claims: TokenClaims = {
      sub: user.username,
      role: user.role,
      councilIds: user.councilIds,
      sid: sessionId,
      exp: Math.floor(expiresAt.getTime() / 1000),
    };
    return { token: this.sign({ ...claims }), expiresAt, sessionId, user };
  }

  /** The claims a bearer credential (session token or API key) acts with, or an AuthError. */
  async authenticate(credential: string): Promise<TokenClaims> {
    if (credential.startsWith(KEY_PREFIX)) return this.authenticateKey(credential);
    let payload: Record<string, unknown>;
    try {
      payload = this.verifyJwt(credential);
    } catch {
      throw new AuthError('UNAUTHORIZED', 'invalid token');
    }
    const claims = payload as unknown as TokenClaims;
    if (typeof claims.sid !== 'string' || typeof claims.exp !== 'number' || typeof claims.sub !== 'string')
      throw new AuthError('UNAUTHORIZED', 'invalid token');
    if (claims.exp * 1000 <= this.now()) throw new AuthError('TOKEN_EXPIRED', 'token expired: sign in again');
    if (await this.sessionRevoked(claims.sid))
      throw new AuthError('TOKEN_REVOKED', 'session ended: sign in again');
    return {
      sub: claims.sub,
      role: claims.role,
      councilIds: claims.councilIds,
      sid: claims.sid,
      exp: claims.exp,
    };
  }

  private async sessionRevoked(sid: string): Promise<boolean> {
    const now = this.now();
    const cached = this.sessionCache.get(sid);
    if (cached && (cached.revoked || now - cached.checkedAt < CACHE_MS)) return cached.revoked;
    let result: pg.QueryResult<{ revoked: boolean }>;
    try {
      result = await this.pool.query<{ revoked: boolean }>(
        `SELECT (s.revoked_at IS NOT NULL OR u.disabled) AS revoked
           FROM auth_sessions s JOIN users u USING (username) WHERE s.id = $1`,
        [sid],
      );
    } catch (error) {
      // Database away: a session seen valid before stays valid (what needs only memory keeps
      // working); an unseen one cannot be checked and the request fails (503).
      if (cached && isDatabaseUnavailable(error)) return cached.revoked;
      throw error;
    }
    const revoked = result.rows[0]?.revoked ?? true;
    if (this.sessionCache.size > 50_000) this.sessionCache.clear();
    this.sessionCache.set(sid, { revoked, checkedAt: now });
    return revoked;
  }

  private async authenticateKey(credential: string): Promise<TokenClaims> {
    const match = KEY_PATTERN.exec(credential);
    if (!match) throw new AuthError('UNAUTHORIZED', 'invalid API key');
    const [, id, secret] = match as unknown as [string, string, string];
    const now = this.now();
    let cached = this.keyCache.get(id);
    if (!cached || now - cached.checkedAt >= CACHE_MS) {
      const result = await this.pool
        .query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [id])
        .catch((error: unknown) => {
          if (cached && isDatabaseUnavailable(error)) return null;
          throw error;
        });
      if (result) {
        const row = result.rows[0];
        if (!row) {
          this.keyCache.delete(id);
          throw new AuthError('UNAUTHORIZED', 'invalid API key');
        }
        cached = { row, checkedAt: now };
        this.keyCache.set(id, cached);
      }
    }
    if (!cached) throw new AuthError('UNAUTHORIZED', 'invalid API key');
    const { row } = cached;
    if (!timingSafeEqual(sha256(secret), row.secret_sha256))
      throw new AuthError('UNAUTHORIZED', 'invalid API key');
    if (row.revoked_at) throw new AuthError('KEY_REVOKED', `API key ${id} was revoked`);
    if (row.expires_at && row.expires_at.getTime() <= now)
      throw new AuthError('KEY_EXPIRED', `API key ${id} expired`);
    if (now - (this.keyTouched.get(id) ?? 0) >= KEY_TOUCH_MS) {
      this.keyTouched.set(id, now);
      void this.pool
        .query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, new Date(now)])
        .catch(() => {});
    }
    return { sub: `key:${id}`, role: row.role, councilIds: row.council_ids, keyId: id };
  }

  /** Ends one session; returns false when there is no such open session (or it is not the user's). */
  async revokeSession(sessionId: string, by: string, username?: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE auth_sessions SET revoked_at = $2, revoked_by = $3
        WHERE id = $1 AND revoked_at IS NULL AND ($4::text IS NULL OR username = $4)`,
      [sessionId, new Date(this.now()), by, username ?? null],
    );
    this.sessionCache.set(sessionId, { revoked: true, checkedAt: this.now() });
    this.revoked({ sessions: [sessionId] });
    return (result.rowCount ?? 0) > 0;
  }

  /** Ends every open session of a user (password reset, role change, disabling); returns how many. */
  async revokeUserSessions(username: string, by: string): Promise<number> {
    const result = await this.pool.query<{ id: string }>(
      `UPDATE auth_sessions SET revoked_at = $2, revoked_by = $3
        WHERE username = $1 AND revoked_at IS NULL RETURNING id`,
      [username, new Date(this.now()), by],
    );
    for (const { id } of result.rows) this.sessionCache.set(id, { revoked: true, checkedAt: this.now() });
    this.revoked({ user: username, sessions: result.rows.map((r) => r.id) });
    return result.rows.length;
  }

  async sessionsOf(username: string, limit = 50): Promise<SessionRecord[]> {
    const result = await this.pool.query<{
      id: string;
      username: string;
      created_at: Date;
      expires_at: Date;
      revoked_at: Date | null;
      revoked_by: string | null;
      ip: string | null;
    }>(
      `SELECT id, username, created_at, expires_at, revoked_at, revoked_by, ip FROM auth_sessions
        WHERE username = $1 ORDER BY created_at DESC LIMIT $2`,
      [username, limit],
    );
    return result.rows.map((r) => ({
      id: r.id,
      username: r.username,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      revokedBy: r.revoked_by,
      ip: r.ip,
    }));
  }

  /** Makes an API key; the returned secret is shown once and kept only as a hash. */
  async createKey(input: {
    name: string;
    role: Role;
    councilIds: string[];
    expiresAt: Date | null;
    createdBy: string;
  }): Promise<{ key: string; record: ApiKeyRecord }> {
    const bytes = randomBytes(12);
    const id = [...bytes].map((b) => KEY_ID_ALPHABET[b % KEY_ID_ALPHABET.length]).join('');
    const secret = randomBytes(32).toString('base64url');
    const result = await this.pool.query<KeyRow>(
      `INSERT INTO api_keys (id, name, role, council_ids, secret_sha256, created_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        id,
        input.name,
        input.role,
        input.councilIds,
        sha256(secret),
        input.createdBy,
        new Date(this.now()),
        input.expiresAt,
      ],
    );
    return { key: `${KEY_PREFIX}${id}_${secret}`, record: keyRecord(result.rows[0] as KeyRow) };
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const result = await this.pool.query<KeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, id');
    return result.rows.map(keyRecord);
  }

  /** Revokes a key at once; false when there is no such unrevoked key. */
  async revokeKey(id: string, by: string): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE api_keys SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL',
      [id, new Date(this.now()), by],
    );
    this.keyCache.delete(id);
    this.revoked({ key: id });
    return (result.rowCount ?? 0) > 0;
  }
}

/** What was revoked: sessions by id, every session of a user, or an API key. */
export type Revocation = { sessions: string[] } | { user: string; sessions: string[] } | { key: string };

export function revocationMatch(what: Revocation): (claims: TokenClaims) => boolean {
  if ('key' in what) return (claims) => claims.keyId === what.key;
  if ('user' in what) return (claims) => claims.sub === what.user && claims.sid !== undefined;
  const ids = new Set(what.sessions);
  return (claims) => claims.sid !== undefined && ids.has(claims.sid);
}
