/**
 * Verifies the audit log's hash chain from the command line, against the database the hub uses:
 * DATABASE_URL, else the embedded database directory (database.dataDir; stop the hub first, the
 * embedded database serves one process). Exit 0: intact; 1: broken, with the first broken place;
 * 2: the check could not run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError } from '../../../src/config/resolve.ts';
import { loadHubConfig } from '../config.ts';
import { EmbeddedDatabase } from '../db/embedded-database.ts';
import { verifyAuditChain } from './audit-log.ts';

// Same as the hub's pool: int8 (seq) as a JS number.
pg.types.setTypeParser(20, (value) => Number(value));

class CannotVerify extends Error {}

async function withDatabase<T>(
  config: ReturnType<typeof loadHubConfig>['database'],
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  let embedded: EmbeddedDatabase | null = null;
  let url = config.url;
  if (!url) {
    // Starting PGlite on a missing directory would create an empty database; say so instead.
    if (!existsSync(join(config.dataDir, 'PG_VERSION')))
      throw new CannotVerify(
        `no embedded database in ${config.dataDir}: set DATABASE_URL, or database.dataDir (CCTV_HUB__database__dataDir) to the hub's directory`,
      );
    // PGlite keeps this file while a process has the directory open; two processes on one data
    // directory would corrupt it.
    if (existsSync(join(config.dataDir, 'postmaster.pid')))
      throw new CannotVerify(
        `the embedded database in ${config.dataDir} is in use: stop the hub first, or ask the running hub (GET /api/audit/verify); after a crash, start and stop the hub once`,
      );
    embedded = new EmbeddedDatabase({ dataDir: config.dataDir, maxConnections: 1 });
    await embedded.start();
    url = embedded.url;
  }
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    await embedded?.stop();
    throw new CannotVerify(`cannot connect to the database: ${(error as Error).message}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
    await embedded?.stop();
  }
}

async function main(): Promise<number> {
  const config = loadHubConfig(process.argv.slice(2), process.env);
  return withDatabase(config.database, async (client) => {
    const table = await client.query<{ t: string | null }>("SELECT to_regclass('audit_log')::text AS t");
    if (!table.rows[0]?.t)
      throw new CannotVerify('this database has no audit log (the hub has not migrated it yet)');
    const result = await verifyAuditChain(client);
    if (result.ok) {
      process.stdout.write(`${result.message}\n`);
      return 0;
    }
    process.stderr.write(`${result.message}\n`);
    return 1;
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof CannotVerify || error instanceof ConfigError;
    process.stderr.write(`audit verification could not run: ${known ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
