import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabase } from '../../../hub-server/src/db/embedded-database.ts';
import { seedEmbeddedDatabase } from '../../support/pglite-template.ts';

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
    const socket = await rawSession(decodeURIComponent(db.url.split('host=')[1] as string));
    try {
      socket.write(message('P', Buffer.concat([cstring(''), cstring('SELECT 42 AS answer'), int16(0)])));
      socket.write(message('H', Buffer.alloc(0)));
      await socket.until((types) => types.includes('1')); // ParseComplete
      const ranBefore = db.checkpoints.ran;
      await sleep(2_000); // four periods
      expect(db.checkpoints.ran).toBe(ranBefore);
      socket.write(message('B', Buffer.concat([cstring(''), cstring(''), int16(0), int16(0), int16(0)])));
      socket.write(message('E', Buffer.concat([cstring(''), int32(0)])));
      socket.write(message('S', Buffer.alloc(0)));
      const types = await socket.until((t) => t.includes('Z'));
      expect(types).not.toContain('E'); // no ErrorResponse: the statement was still there
      expect(types).toContain('D'); // its row
      expect(await until(async () => db.checkpoints.ran > ranBefore, 10_000)).toBe(true);
    } finally {
      socket.end();
    }
  });
});

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstring = (text: string) => Buffer.from(`${text}\0`);
const message = (type: string, body: Buffer) =>
  Buffer.concat([Buffer.from(type), int32(4 + body.length), body]);

/** A protocol-level session on the database's Unix socket, reading the backend's message types. */
async function rawSession(
  socketDir: string,
): Promise<Socket & { until: (done: (types: string[]) => boolean) => Promise<string[]> }> {
  const socket = connect(join(socketDir, '.s.PGSQL.5432'));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let pending = Buffer.alloc(0);
  let types: string[] = [];
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
      types.push(String.fromCharCode(pending[0] as number));
      pending = pending.subarray(1 + pending.readInt32BE(1));
    }
    waiter?.();
  });
  const until = async (done: (seen: string[]) => boolean): Promise<string[]> => {
    const deadline = Date.now() + 10_000;
    while (!done(types)) {
      if (Date.now() > deadline) throw new Error(`backend sent ${types.join(',')} only`);
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    const seen = types;
    types = [];
    return seen;
  };
  const body = Buffer.concat([
    int32(196_608),
    cstring('user'),
    cstring('postgres'),
    cstring('database'),
    cstring('postgres'),
    Buffer.from([0]),
  ]);
  socket.write(Buffer.concat([int32(4 + body.length), body]));
  await until((t) => t.includes('Z'));
  return Object.assign(socket, { until });
}
