import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createMigratedDatabase, withDatabase } from './pg-template.ts';
import { seedEmbeddedDatabase } from './pglite-template.ts';

/**
 * Which service pair the integration suite runs against: the embedded pair by default, or real
 * PostgreSQL+PostGIS and an external broker when DATABASE_URL / MQTT_URL are set (CI does both).
 */
export interface TestServices {
  label: string;
  databaseUrl: string | null;
  mqttUrl: string | null;
  dataDir: string;
  cleanup: () => Promise<void>;
}

export async function testServices(): Promise<TestServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cctv-test-'));
  const baseUrl = process.env.DATABASE_URL ?? null;
  const mqttUrl = process.env.MQTT_URL ?? null;
  let databaseUrl: string | null = null;
  let dropDatabase = async () => {};
  // The embedded pair's database lives in dataDir/pglite, started from an already migrated copy.
  if (!baseUrl) await seedEmbeddedDatabase(join(dataDir, 'pglite'));
  if (baseUrl) {
    // A fresh database per test file keeps runs independent on a shared server; it starts as a copy
    // of a migrated one (pg-template.ts).
    const name = `cctv_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect().catch((error: Error) => {
      throw new Error(`DATABASE_URL is set but PostgreSQL is not reachable (${error.message})`);
    });
    try {
      await createMigratedDatabase(admin, baseUrl, name);
    } finally {
      await admin.end();
    }
    databaseUrl = withDatabase(baseUrl, name);
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  return {
    label: `${databaseUrl ? 'postgresql' : 'pglite'}+${mqttUrl ? 'external-mqtt' : 'aedes'}`,
    databaseUrl,
    mqttUrl,
    dataDir,
    cleanup: async () => {
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}
