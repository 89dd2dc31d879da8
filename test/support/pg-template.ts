import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { Database } from '../../hub-server/src/db/database.ts';
import { fromRoot } from '../../src/paths.ts';

// A test file on real PostgreSQL gets a database of its own. Creating one empty and migrating it
// (PostGIS first) at each hub start costs CPU that the embedded pair, run beside it, needs; a copy
// of an already migrated database (CREATE DATABASE ... TEMPLATE) is a file copy in the server.
// The template is keyed by the migrations' text and the server's versions, so a new migration or
// a PostGIS upgrade builds a new one; it is built once per server (an advisory lock keeps two test
// processes from building it at once) and made visible whole by a rename. The hub's migrations
// from an empty database still run on real PostgreSQL in every run: the cluster tests on the
// embedded pair start a PostgreSQL server of their own (private-postgres.ts), and every embedded
// first start (npm start, the demo tests) migrates from nothing.

const PREFIX = 'cctv_tpl_';
/** Advisory lock id for building templates (any fixed number the product does not use). */
const BUILD_LOCK = 0x63637476;

/** Adds every migration's name and text to `hash`: a template of other migrations is another template. */
export function hashMigrations(hash: Hash): Hash {
  const dir = fromRoot('hub-server', 'migrations');
  for (const name of readdirSync(dir).sort()) {
    hash.update(name);
    hash.update(readFileSync(join(dir, name)));
  }
  return hash;
}

/** Keyed by the migrations and the server's PostgreSQL and PostGIS versions. */
async function templateName(admin: pg.Client): Promise<string> {
  const versions = await admin.query<{ server: string; postgis: string | null }>(
    `SELECT current_setting('server_version') AS server,
       (SELECT default_version FROM pg_available_extensions WHERE name = 'postgis') AS postgis`,
  );
  const hash = hashMigrations(createHash('sha256')).update(JSON.stringify(versions.rows[0] ?? null));
  return `${PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

/** `baseUrl` with its database name replaced by `name`. */
export const withDatabase = (baseUrl: string, name: string): string => {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

async function ensureTemplate(admin: pg.Client, baseUrl: string): Promise<string> {
  const name = await templateName(admin);
  const exists = async () =>
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  if (await exists()) return name;
  await admin.query('SELECT pg_advisory_lock($1)', [BUILD_LOCK]);
  try {
    if (await exists()) return name;
    const scratch = `${PREFIX}build_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${scratch}`);
    try {
      const db = new Database({ url: withDatabase(baseUrl, scratch), dataDir: '', poolSize: 1 });
      await db.start();
      await db.stop();
      // Nobody connects to a template: a connection open to it would fail every copy.
      await admin.query(`ALTER DATABASE ${scratch} WITH ALLOW_CONNECTIONS false`);
      await admin.query(`COMMENT ON DATABASE ${scratch} IS '${Date.now()}'`);
      await admin.query(`ALTER DATABASE ${scratch} RENAME TO ${name}`);
    } catch (error) {
      await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
      throw error;
    }
    // Templates of older migrations, built over a day ago, are of no further use (a second
    // checkout of other migrations on the same server may still be using a newer one).
    const old = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database
       WHERE datname LIKE '${PREFIX}%' AND datname <> $1
         AND coalesce(nullif(shobj_description(oid, 'pg_database'), ''), '0')::bigint < $2`,
      [name, Date.now() - 86_400_000],
    );
    for (const { datname } of old.rows)
      await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {});
    return name;
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [BUILD_LOCK]);
  }
}

/** Creates database `name` on the server of `baseUrl`, already migrated. */
export async function createMigratedDatabase(admin: pg.Client, baseUrl: string, name: string): Promise<void> {
  const template = await ensureTemplate(admin, baseUrl);
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
}
