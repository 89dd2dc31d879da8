import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabase } from '../../../hub-server/src/db/embedded-database.ts';
import { seedEmbeddedDatabase } from '../../support/pglite-template.ts';
import { cstr, frame, int16, int32, RawClient } from '../../support/raw-pg-client.ts';

// PGlite runs PostgreSQL in one process, with no checkpointer: without the hub's own checkpoints
// the write-ahead log grows for as long as the hub runs (see idle-checkpoint.ts).

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the log is now and where the last checkpoint's redo starts, as byte positions. */
async function positions(client: pg.Client): Promise<{ wal: bigint; redo: bigint }> {
  const { rows } = await client.query<{ wal: string; redo: string }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS wal,
            (SELECT pg_wal_lsn_diff(redo_lsn, '0/0')::text FROM pg_control_checkpoint()) AS redo`,
  );
  const row = rows[0] as { wal: string; redo: string };
  return { wal: BigInt(row.wal), redo: BigInt(row.redo) };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

describe('the embedded database checkpoints on its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-checkpoint-'));
  const db = new EmbeddedDatabase({ dataDir: join(dir, 'db'), maxConnections: 2, checkpointEveryMs: 500 });
  let client: pg.Client;

  beforeAll(async () => {
    await seedEmbeddedDatabase(join(dir, 'db'));
    await db.start();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  }, 180_000);

  afterAll(async () => {
    await client?.end();
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the checkpoint past what was written, and counts it', async () => {
    await client.query('CREATE TABLE filler (id serial PRIMARY KEY, pad text)');
    await client.query(`INSERT INTO filler (pad) SELECT repeat('x', 500) FROM generate_series(1, 20000)`);
    const written = await positions(client);
    expect(written.redo).toBeLessThan(written.wal);
    expect(await until(async () => (await positions(client)).redo >= written.wal, 10_000)).toBe(true);
    expect(db.checkpoints.ran).toBeGreaterThan(0);
    expect(db.checkpoints.failed).toBe(0);
  });

  it('waits while a transaction is open, and runs once it ends', async () => {
    await client.query('BEGIN');
    await client.query(`INSERT INTO filler (pad) SELECT repeat('y', 500) FROM generate_series(1, 5000)`);
    const inside = await positions(client);
    const ranBefore = db.checkpoints.ran;
    // Four periods with the transaction open: none may run inside it.
    await sleep(2_000);
    expect((await positions(client)).redo).toBe(inside.redo);
    expect(db.checkpoints.ran).toBe(ranBefore);
    await client.query('COMMIT');
    expect(await until(async () => (await positions(client)).redo > inside.wal, 10_000)).toBe(true);
    expect(db.checkpoints.ran).toBeGreaterThan(ranBefore);
  });

  it('waits between the Parse and the Sync of a query outside a transaction', async () => {
    // pg sends a query's messages together; a client may also send them apart. A CHECKPOINT in
    // between would end the query's implicit transaction and drop its unnamed statement.
    const raw = await RawClient.connect(db.url);
    try {
      raw.send(frame('P', cstr(''), cstr('SELECT 42 AS answer'), int16(0)), frame('H'));
      await raw.received('1'); // ParseComplete
      const ranBefore = db.checkpoints.ran;
      await sleep(2_000); // four periods
      expect(db.checkpoints.ran).toBe(ranBefore);
      raw.send(
        frame('B', cstr(''), cstr(''), int16(0), int16(0), int16(0)),
        frame('E', cstr(''), int32(0)),
        frame('S'),
      );
      await raw.readyCount(1);
      expect(raw.types).not.toContain('E'); // no ErrorResponse: the statement was still there
      expect(raw.types).toContain('D'); // its row
      expect(await until(async () => db.checkpoints.ran > ranBefore, 10_000)).toBe(true);
    } finally {
      raw.close();
    }
  });
});
