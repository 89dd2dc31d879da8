import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../hub-server/src/db/database.ts';
import { cstr, frame, int16, int32, RawClient } from '../../support/raw-pg-client.ts';
import { type TestServices, testServices } from '../../support/services.ts';

// The hub's pool must get each query's own answer after a statement fails. On the embedded pair the
// database is PGlite behind a socket server, which answered a failed extended-protocol message with a
// ReadyForQuery of its own before the Sync's: `pg` then gave the next query the previous one's answer
// (a SELECT with no rows, a ROLLBACK not yet done). These run on both pairs: real PostgreSQL shows
// what the protocol requires.

/** Parse, Bind, Describe, Execute and Sync of one statement, as `pg` sends a query with parameters. */
function extendedQuery(sql: string): Buffer[] {
  return [
    frame('P', cstr(''), cstr(sql), int16(0)),
    frame('B', cstr(''), cstr(''), int16(0), int16(0), int16(0)),
    frame('D', Buffer.from('P'), cstr('')),
    frame('E', cstr(''), int32(0)),
    frame('S'),
  ];
}

describe('each query gets its own answer after a statement fails', () => {
  let services: TestServices;
  let db: Database;
  let url: string;

  beforeAll(async () => {
    services = await testServices();
    db = new Database({ url: services.databaseUrl, dataDir: join(services.dataDir, 'pglite'), poolSize: 1 });
    await db.start();
    url = (db.pool as unknown as { options: { connectionString: string } }).options.connectionString;
    await db.pool.query(`
      CREATE TABLE wire_test (id text PRIMARY KEY, v int);
      INSERT INTO wire_test VALUES ('a', 1);
      CREATE FUNCTION wire_test_refuse() RETURNS trigger AS $$
      BEGIN
        IF NEW.v = 13 THEN RAISE EXCEPTION 'wire test: 13 refused'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER wire_test_refuse BEFORE INSERT ON wire_test
        FOR EACH ROW EXECUTE FUNCTION wire_test_refuse();`);
  }, 120_000);

  afterAll(async () => {
    await db?.stop();
    await services?.cleanup();
  });

  it('answers a statement that fails at Execute with one error and one ReadyForQuery, at the Sync', async () => {
    const raw = await RawClient.connect(url);
    try {
      // Divides by zero row by row, at Execute (a constant would be folded, and fail, at Bind).
      raw.send(...extendedQuery('SELECT 1 / (v - 1) FROM wire_test'), frame('Q', cstr('SELECT 1')));
      await raw.readyCount(2);
      // ParseComplete, BindComplete, RowDescription, ErrorResponse, ReadyForQuery (for the Sync); then
      // the simple query's RowDescription, DataRow, CommandComplete, ReadyForQuery.
      expect(raw.types).toEqual(['1', '2', 'T', 'E', 'Z', 'T', 'D', 'C', 'Z']);
    } finally {
      raw.close();
    }
  });

  it('skips the rest of the batch after a statement that fails at Parse, up to the Sync', async () => {
    const raw = await RawClient.connect(url);
    try {
      raw.send(...extendedQuery('SELEC nothing'), frame('Q', cstr('SELECT 1')));
      await raw.readyCount(2);
      expect(raw.types).toEqual(['E', 'Z', 'T', 'D', 'C', 'Z']);
    } finally {
      raw.close();
    }
  });

  it('gives the queries queued behind a failed insert in a transaction their own results', async () => {
    for (let round = 0; round < 5; round += 1) {
      const client = await db.pool.connect();
      const errors: Error[] = [];
      client.on('error', (error) => errors.push(error));
      try {
        await client.query('BEGIN');
        // Queued on the one connection together, as the hub's writer and a reader may be.
        const [insert, rollback, select] = await Promise.all([
          client.query('INSERT INTO wire_test VALUES ($1, $2)', [`x${round}`, 13]).then(
            () => 'stored',
            (error: Error) => error.message,
          ),
          client.query('ROLLBACK').then((r) => r.command),
          client.query<{ v: number }>('SELECT v FROM wire_test WHERE id = $1', ['a']).then((r) => r.rows),
        ]);
        expect(insert).toContain('13 refused');
        expect(rollback).toBe('ROLLBACK');
        expect(select).toEqual([{ v: 1 }]);
        // Nothing arrives late for a query already answered.
        await new Promise((r) => setTimeout(r, 50));
        expect(errors).toEqual([]);
      } finally {
        client.release();
      }
    }
    const count = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM wire_test');
    expect(count.rows[0]?.n).toBe(1);
  });
});
