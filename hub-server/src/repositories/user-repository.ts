import type pg from 'pg';
import type { Role } from '../../../src/schemas/api.ts';

export interface UserRecord {
  username: string;
  passwordHash: string;
  role: Role;
  councilIds: string[];
  disabled: boolean;
  createdAt?: Date;
  passwordChangedAt?: Date | null;
  lastLoginAt?: Date | null;
}

interface Row {
  username: string;
  password_hash: string;
  role: Role;
  council_ids: string[];
  disabled: boolean;
  created_at: Date;
  password_changed_at: Date | null;
  last_login_at: Date | null;
}

const COLUMNS =
  'username, password_hash, role, council_ids, disabled, created_at, password_changed_at, last_login_at';

const record = (row: Row): UserRecord => ({
  username: row.username,
  passwordHash: row.password_hash,
  role: row.role,
  councilIds: row.council_ids,
  disabled: row.disabled,
  createdAt: row.created_at,
  passwordChangedAt: row.password_changed_at,
  lastLoginAt: row.last_login_at,
});

/** Hub users (password hashes only). */
export class UserRepository {
  constructor(private readonly pool: pg.Pool | pg.Client) {}

  async find(username: string): Promise<UserRecord | null> {
    const result = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
    return result.rows[0] ? record(result.rows[0]) : null;
  }

  async list(): Promise<UserRecord[]> {
    const result = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM users ORDER BY username`);
    return result.rows.map(record);
  }

  /** Demo seeding: creates or resets a user. */
  async upsert(user: Omit<UserRecord, 'disabled'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO users (username, password_hash, role, council_ids) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
         council_ids = excluded.council_ids`,
      [user.username, user.passwordHash, user.role, user.councilIds],
    );
  }

  /** Creates a user; null when the name is taken. */
  async create(
    user: { username: string; passwordHash: string; role: Role; councilIds: string[] },
    at: Date,
  ): Promise<UserRecord | null> {
    const result = await this.pool.query<Row>(
      `INSERT INTO users (username, password_hash, role, council_ids, created_at, password_changed_at)
       VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
      [user.username, user.passwordHash, user.role, user.councilIds, at],
    );
    return result.rows[0] ? record(result.rows[0]) : null;
  }

  /** Changes role, councils or the disabled flag; null when there is no such user. */
  async update(
    username: string,
    change: { role?: Role; councilIds?: string[]; disabled?: boolean },
  ): Promise<UserRecord | null> {
    const result = await this.pool.query<Row>(
      `UPDATE users SET role = coalesce($2, role), council_ids = coalesce($3, council_ids),
         disabled = coalesce($4, disabled) WHERE username = $1 RETURNING ${COLUMNS}`,
      [username, change.role ?? null, change.councilIds ?? null, change.disabled ?? null],
    );
    return result.rows[0] ? record(result.rows[0]) : null;
  }

  async setPassword(username: string, passwordHash: string, at: Date): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE username = $1',
      [username, passwordHash, at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async remove(username: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM users WHERE username = $1', [username]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Enabled operators, so the last one cannot be removed or demoted. */
  async activeOperators(): Promise<number> {
    const result = await this.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM users WHERE role = 'operator' AND NOT disabled",
    );
    return result.rows[0]?.n ?? 0;
  }
}
