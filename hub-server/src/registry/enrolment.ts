import { createHash, randomInt } from 'node:crypto';
import type pg from 'pg';
import type { EnrolmentState } from '../../../src/schemas/enrolment-api.ts';

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 12;

/** A fresh code, 60 random bits, as XXXX-XXXX-XXXX. */
export function newEnrolmentCode(): string {
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

/** The code as stored and compared: upper case, no separators, O as 0, I and L as 1; null if not a code. */
export function normaliseEnrolmentCode(text: string): string | null {
  const raw = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (raw.length !== CODE_LENGTH) return null;
  for (const c of raw) if (!ALPHABET.includes(c)) return null;
  return raw;
}

export function enrolmentCodeHash(normalised: string): string {
  return createHash('sha256').update(`cctv-enrolment:${normalised}`).digest('hex');
}

interface CodeRow {
  id: string;
  site_id: string;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  retired_at: Date | null;
  used_at: Date | null;
  used_from: string | null;
  agent_hostname: string | null;
}

export type Redemption =
  | { ok: true; siteId: string }
  | {
      ok: false;
      code: 'ENROL_CODE_UNKNOWN' | 'ENROL_CODE_USED' | 'ENROL_CODE_EXPIRED';
      siteId: string | null;
    };

/** Enrolment codes at rest: hashes, expiry, single use. */
export class EnrolmentCodes {
  constructor(private readonly pool: pg.Pool) {}

  /** Issues a code for a site, retiring its unused ones. Returns the code (never stored) and expiry. */
  async issue(
    siteId: string,
    by: string,
    nowMs: number,
    ttlMs: number,
  ): Promise<{ code: string; expiresAt: Date }> {
    const code = newEnrolmentCode();
    const expiresAt = new Date(nowMs + ttlMs);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        'UPDATE enrolment_codes SET retired_at = $2 WHERE site_id = $1 AND used_at IS NULL AND retired_at IS NULL',
        [siteId, new Date(nowMs)],
      );
      await client.query(
        `INSERT INTO enrolment_codes (site_id, code_hash, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [siteId, enrolmentCodeHash(normaliseEnrolmentCode(code) as string), by, new Date(nowMs), expiresAt],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    return { code, expiresAt };
  }

  /**
   * Uses a code once: marks it used in the same statement that checks it, so two boxes racing with
   * one code cannot both enrol. A retired code (a newer one was issued) counts as expired.
   */
  async redeem(
    text: string,
    nowMs: number,
    from: string,
    agent: { hostname: string | null; version: string | null },
  ): Promise<Redemption> {
    const normalised = normaliseEnrolmentCode(text);
    if (!normalised) return { ok: false, code: 'ENROL_CODE_UNKNOWN', siteId: null };
    const hash = enrolmentCodeHash(normalised);
    const now = new Date(nowMs);
    const { rows } = await this.pool.query<{ site_id: string }>(
      `UPDATE enrolment_codes SET used_at = $2, used_from = $3, agent_hostname = $4, agent_version = $5
        WHERE code_hash = $1 AND used_at IS NULL AND retired_at IS NULL AND expires_at > $2
        RETURNING site_id`,
      [hash, now, from.slice(0, 100), agent.hostname, agent.version],
    );
    if (rows[0]) return { ok: true, siteId: rows[0].site_id };
    const { rows: found } = await this.pool.query<CodeRow>(
      'SELECT site_id, used_at, retired_at, expires_at FROM enrolment_codes WHERE code_hash = $1',
      [hash],
    );
    const row = found[0];
    if (!row) return { ok: false, code: 'ENROL_CODE_UNKNOWN', siteId: null };
    if (row.used_at) return { ok: false, code: 'ENROL_CODE_USED', siteId: row.site_id };
    return { ok: false, code: 'ENROL_CODE_EXPIRED', siteId: row.site_id };
  }

  async state(siteId: string, nowMs: number): Promise<EnrolmentState> {
    const { rows } = await this.pool.query<CodeRow>(
      `SELECT id::text AS id, site_id, created_by, created_at, expires_at, retired_at, used_at, used_from, agent_hostname
         FROM enrolment_codes WHERE site_id = $1 ORDER BY id DESC LIMIT 1`,
      [siteId],
    );
    const row = rows[0];
    // The latest enrolment, even if a newer code has been issued since.
    const { rows: used } = await this.pool.query<CodeRow>(
      `SELECT used_at, used_from, agent_hostname FROM enrolment_codes
        WHERE site_id = $1 AND used_at IS NOT NULL ORDER BY used_at DESC LIMIT 1`,
      [siteId],
    );
    const last = used[0];
    const state: EnrolmentState['state'] = !row
      ? 'none'
      : row.used_at
        ? 'enrolled'
        : row.retired_at || row.expires_at.getTime() <= nowMs
          ? last
            ? 'enrolled'
            : 'code-expired'
          : 'code-issued';
    return {
      siteId,
      state,
      codeIssuedAt: row?.created_at.toISOString() ?? null,
      codeIssuedBy: row?.created_by ?? null,
      expiresAt: row?.expires_at.toISOString() ?? null,
      enrolledAt: last?.used_at?.toISOString() ?? null,
      enrolledFrom: last?.used_from ?? null,
      agentHostname: last?.agent_hostname ?? null,
    };
  }
}
