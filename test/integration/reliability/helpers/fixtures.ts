import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pg from 'pg';
import { hashMqttPassword } from '../../../../hub-server/src/auth/mqtt-password.ts';
import { TestMosquitto } from '../../../support/mosquitto.ts';

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    // A failing probe (a connection the other side just closed, a database restarting) is "not yet".
    const done = await Promise.resolve()
      .then(check)
      .catch((error: unknown) => {
        last = error;
        return false;
      });
    if (done) return;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One query on a fresh connection: the database may have restarted between two calls. */
export async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function storedHealthCount(url: string, cameraIds: string[]): Promise<number> {
  const rows = await query<{ n: number }>(
    url,
    'SELECT count(*)::int AS n FROM health_samples WHERE camera_id = ANY($1)',
    [cameraIds],
  );
  return rows[0]?.n ?? 0;
}

export async function camerasStored(url: string, cameraIds: string[]): Promise<number> {
  const rows = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM cameras WHERE id = ANY($1)', [
    cameraIds,
  ]);
  return rows[0]?.n ?? 0;
}

export interface CountCheck {
  /** Rows in health_samples for the cameras. */
  rows: number;
  distinctMsgIds: number;
  /** Observations of one camera at one instant stored more than once (under different msgIds). */
  duplicateObservations: number;
  /** Health msgIds of the site in the dedupe ledger. */
  ledger: number;
  /** Expected msgIds that are not stored. */
  missing: string[];
  /** Stored msgIds that were not expected. */
  extra: string[];
  /** Expected msgIds absent from ingested_messages. */
  missingFromLedger: string[];
}

/**
 * The exact count: every expected msgId is in health_samples and in ingested_messages exactly once,
 * and nothing else of those cameras is stored.
 */
export async function countCheck(
  url: string,
  siteId: string,
  cameraIds: string[],
  expected: ReadonlySet<string>,
): Promise<CountCheck> {
  const rows = await query<{ msg_id: string; camera_id: string; observed_at: Date }>(
    url,
    'SELECT msg_id, camera_id, observed_at FROM health_samples WHERE camera_id = ANY($1)',
    [cameraIds],
  );
  const ledger = await query<{ msg_id: string }>(
    url,
    `SELECT msg_id FROM ingested_messages WHERE site_id = $1 AND kind = 'health'`,
    [siteId],
  );
  const stored = new Set(rows.map((r) => r.msg_id));
  const inLedger = new Set(ledger.map((r) => r.msg_id));
  const observations = new Set(rows.map((r) => `${r.camera_id}@${r.observed_at.toISOString()}`));
  return {
    rows: rows.length,
    distinctMsgIds: stored.size,
    duplicateObservations: rows.length - observations.size,
    ledger: ledger.length,
    missing: [...expected].filter((id) => !stored.has(id)),
    extra: [...stored].filter((id) => !expected.has(id)),
    missingFromLedger: [...expected].filter((id) => !inLedger.has(id)),
  };
}

export const HUB_MQTT_USER = 'cctv-hub';

/**
 * A private Mosquitto with the hub's generated configuration, the hub's user and one user per site,
 * and the environment that points a hub process at it.
 */
export async function privateMosquitto(
  dir: string,
  siteIds: string[],
  persistence: boolean,
): Promise<{
  mosquitto: TestMosquitto;
  hubEnv: Record<string, string>;
  siteCredentials: Map<string, { username: string; password: string }>;
}> {
  const hubUser = { username: HUB_MQTT_USER, password: randomBytes(12).toString('hex') };
  const mosquitto = new TestMosquitto(dir, hubUser, null, { persistence });
  const siteCredentials = new Map<string, { username: string; password: string }>();
  const users = [];
  for (const siteId of siteIds) {
    const password = randomBytes(12).toString('hex');
    siteCredentials.set(siteId, { username: siteId, password });
    users.push({ siteId, passwordHash: await hashMqttPassword(password) });
  }
  await mosquitto.start(users);
  const passwordFile = join(dir, 'hub-password');
  writeFileSync(passwordFile, hubUser.password, { mode: 0o600 });
  return {
    mosquitto,
    hubEnv: {
      MQTT_URL: mosquitto.url,
      CCTV_HUB__mqtt__username: hubUser.username,
      CCTV_HUB__mqtt__passwordFile: passwordFile,
    },
    siteCredentials,
  };
}

export interface DiskRecord {
  n: number;
  k: 'health' | 'stream' | 'event' | 'gap';
  c: string;
  e: { msgId: string; seq: number; observedAt: string; payload: unknown };
}

/** What an agent left in its outbox directory: the records after the acknowledgement cursor. */
export function readOutbox(dir: string): DiskRecord[] {
  let acked = 0;
  if (existsSync(join(dir, 'ack.json')))
    acked = (JSON.parse(readFileSync(join(dir, 'ack.json'), 'utf8')) as { acked: number }).acked;
  const records: DiskRecord[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      let record: DiskRecord;
      try {
        record = JSON.parse(line) as DiskRecord;
      } catch {
        continue; // A line cut short by the kill: not a record.
      }
      if (record.n > acked) records.push(record);
    }
  }
  return records;
}

/**
 * Ends a persistent session on a shared broker (the hub's, after its process is gone): connecting
 * with a clean session discards it, so it does not keep queueing every site's messages.
 */
export async function clearSession(url: string, clientId: string): Promise<void> {
  const client = await mqtt.connectAsync(url, {
    clientId,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await client.endAsync();
}
