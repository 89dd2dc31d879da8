import type pg from 'pg';

export interface SiteCredentialRecord {
  siteId: string;
  passwordHash: string;
  issuedAt: Date;
  issuedBy: string;
  rotations: number;
}

interface Row {
  site_id: string;
  password_hash: string;
  issued_at: Date;
  issued_by: string;
  rotations: number;
}

function record(row: Row): SiteCredentialRecord {
  return {
    siteId: row.site_id,
    passwordHash: row.password_hash,
    issuedAt: row.issued_at,
    issuedBy: row.issued_by,
    rotations: row.rotations,
  };
}

const COLUMNS = 'site_id, password_hash, issued_at, issued_by, rotations';

/** Per-site MQTT credentials (hashes only). */
export class SiteCredentialRepository {
  constructor(private readonly pool: pg.Pool | pg.Client) {}

  async find(siteId: string): Promise<SiteCredentialRecord | null> {
    const result = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM site_mqtt_credentials WHERE site_id = $1`,
      [siteId],
    );
    return result.rows[0] ? record(result.rows[0]) : null;
  }

  async list(): Promise<SiteCredentialRecord[]> {
    const result = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM site_mqtt_credentials ORDER BY site_id`,
    );
    return result.rows.map(record);
  }

  /** Issues or replaces (rotates) the site's credential; the old hash is gone once this commits. */
  async put(siteId: string, passwordHash: string, issuedBy: string, at: Date): Promise<SiteCredentialRecord> {
    const result = await this.pool.query<Row>(
      `INSERT INTO site_mqtt_credentials (site_id, password_hash, issued_at, issued_by)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (site_id) DO UPDATE SET password_hash = excluded.password_hash,
         issued_at = excluded.issued_at, issued_by = excluded.issued_by,
         rotations = site_mqtt_credentials.rotations + 1
       RETURNING ${COLUMNS}`,
      [siteId, passwordHash, at, issuedBy],
    );
    return record(result.rows[0] as Row);
  }

  /** Revokes the credential; true if there was one. */
  async remove(siteId: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM site_mqtt_credentials WHERE site_id = $1', [siteId]);
    return (result.rowCount ?? 0) > 0;
  }
}
