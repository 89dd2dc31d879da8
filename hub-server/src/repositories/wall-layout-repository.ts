import type pg from 'pg';
import type { WallLayout, WallLayoutBody } from '../../../src/schemas/wall-api.ts';

interface Row {
  name: string;
  grid: number;
  camera_ids: string[];
  updated_at: Date;
}

function layout(row: Row): WallLayout {
  return {
    name: row.name,
    grid: row.grid,
    cameraIds: row.camera_ids,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Each user's saved camera wall layouts. */
export class WallLayoutRepository {
  constructor(private readonly pool: pg.Pool) {}

  async list(username: string): Promise<WallLayout[]> {
    const result = await this.pool.query<Row>(
      'SELECT name, grid, camera_ids, updated_at FROM wall_layouts WHERE username = $1 ORDER BY name',
      [username],
    );
    return result.rows.map(layout);
  }

  /**
   * Saves (creates or replaces) a layout. Returns null, saving nothing, when it would be a new one
   * past `maxLayouts`: counted under a lock on the user's row so two saves cannot both slip in.
   */
  async save(
    username: string,
    name: string,
    body: WallLayoutBody,
    maxLayouts: number,
    now: Date,
  ): Promise<WallLayout | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [username]);
      const counted = await client.query<{ n: string; has: boolean }>(
        'SELECT count(*) AS n, bool_or(name = $2) AS has FROM wall_layouts WHERE username = $1',
        [username, name],
      );
      const row = counted.rows[0];
      if (!row?.has && Number(row?.n ?? 0) >= maxLayouts) {
        await client.query('ROLLBACK');
        return null;
      }
      const saved = await client.query<Row>(
        `INSERT INTO wall_layouts (username, name, grid, camera_ids, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (username, name) DO UPDATE SET grid = $3, camera_ids = $4, updated_at = $5
         RETURNING name, grid, camera_ids, updated_at`,
        [username, name, body.grid, body.cameraIds, now],
      );
      await client.query('COMMIT');
      return layout(saved.rows[0] as Row);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async remove(username: string, name: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM wall_layouts WHERE username = $1 AND name = $2', [
      username,
      name,
    ]);
    return (result.rowCount ?? 0) > 0;
  }
}
