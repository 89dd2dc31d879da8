import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../hub-server/src/db/database.ts';
import { PrivatePostgres } from '../../support/private-postgres.ts';
import { type TestServices, testServices } from '../../support/services.ts';

// A database connection that dies while the hub holds it (mid-batch, mid-audit append) must fail
// that caller's query and nothing else: pg emits 'error' on such a client, and with no listener
// the event would end the hub process. The connection is ended from the server side with
// pg_terminate_backend, as a database restart or failover does. The embedded pair's PGlite has no
// server-side sessions to end, so there the test runs against a PostgreSQL of its own.

const unavailable = process.env.DATABASE_URL ? null : PrivatePostgres.unavailable();

describe.skipIf(unavailable !== null)('database connection lost while checked out', () => {
  let services: TestServices;
  let privatePg: PrivatePostgres | null = null;
  let db: Database;
  let url = '';
  const lines: string[] = [];

  beforeAll(async () => {
    services = await testServices();
    if (services.databaseUrl) url = services.databaseUrl;
    else {
      privatePg = new PrivatePostgres();
      await privatePg.start();
      url = privatePg.url;
    }
    db = new Database({
      url,
      dataDir: join(services.dataDir, 'pglite'),
      poolSize: 4,
      log: (line) => lines.push(line),
    });
    await db.start();
  }, 120_000);

  afterAll(async () => {
    await db?.stop();
    await privatePg?.destroy();
    await services?.cleanup();
  });

  const terminate = async (pid: number) => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const result = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend($1) AS ended', [pid]);
      expect(result.rows[0]?.ended).toBe(true);
    } finally {
      await admin.end();
    }
  };

  it('fails the holder’s queries, marks the database not ready, and recovers on the next ping', async () => {
    const client = await db.pool.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    await client.query('BEGIN');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await terminate(pid);
    await ended;
    // The process is still here (an unheard 'error' event would have thrown out of the socket
    // handler), the holder's next query says what happened, and readiness reflects it.
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminat/i);
    expect(db.ready).toBe(false);
    client.release(new Error('connection lost'));
    expect(await db.ping()).toBe(true);
    expect(db.ready).toBe(true);
    expect((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  });

  it('keeps an idle connection’s loss to the pool’s error log', async () => {
    const client = await db.pool.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    client.release();
    const before = lines.length;
    await terminate(pid);
    const deadline = Date.now() + 5_000;
    while (lines.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lines.slice(before).join('\n')).toMatch(/database connection error: .*terminat/i);
    expect(await db.ping()).toBe(true);
  });
});

if (unavailable) console.warn(`*** database connection test SKIPPED: ${unavailable} ***`);
