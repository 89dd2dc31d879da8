import type pg from 'pg';
import type { Role } from '../../../src/schemas/api.ts';

export interface UserRecord {
  username: string;
  passwordHash: string;
  role: Role;
  councilIds: string[];
  disabled: boolean;
}

export class UserRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(username: string): Promise<UserRecord | null> {
    const result = await this.pool.query<{
      username: string;
      password_hash: string;
      role: Role;
      council_ids: string[];
      disabled: boolean;
    }>('SELECT username, password_hash, role, council_ids, disabled FROM users WHERE username = $1', [
      username,
    ]);
    const row = result.rows[0];
    return row
      ? {
          username: row.username,
          passwordHash: row.password_hash,
          role: row.role,
          councilIds: row.council_ids,
          disabled: row.disabled,
        }
      : null;
  }

  async upsert(user: Omit<UserRecord, 'disabled'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO users (username, password_hash, role, council_ids) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
         council_ids = excluded.council_ids`,
      [user.username, user.passwordHash, user.role, user.councilIds],
    );
  }
}
