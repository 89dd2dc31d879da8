import { type ChildProcess, fork } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { allSitesFilter } from '../../src/topics.ts';
import { FleetClient } from './fleet/fleet-client.ts';
import type { FleetSpec } from './fleet/protocol.ts';

export interface RateResult {
  /** Messages (or rows) per second over the measured window. */
  perS: number;
  count: number;
  seconds: number;
}

/**
 * The bare mqtt.js subscriber: the same subscription as the hub (QoS 1, every site's topics), each
 * message acknowledged at once and counted, nothing else. The fleet publishes as fast as the broker
 * acknowledges; the first second is warm-up and not counted.
 */
export async function bareSubscriberRate(
  spec: FleetSpec,
  subscriber: { username?: string; password?: string },
  seconds: number,
): Promise<RateResult> {
  const client = await mqtt.connectAsync(spec.mqttUrl, {
    clientId: `bench-bare-${process.pid}`,
    clean: true,
    protocolVersion: 4,
    ...subscriber,
  });
  let received = 0;
  client.on('message', () => {
    received++;
  });
  await client.subscribeAsync(allSitesFilter(), { qos: 1 });
  const fleet = new FleetClient();
  try {
    await fleet.setup(spec);
    const run = fleet.run(0, seconds + 1);
    await new Promise((r) => setTimeout(r, 1000));
    const startCount = received;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const count = received - startCount;
    const elapsed = (performance.now() - t0) / 1000;
    await run;
    return { perS: count / elapsed, count, seconds: elapsed };
  } finally {
    // The hub starts on this broker next: the baseline's retained messages must not reach it.
    await fleet.close({ clearRetained: true });
    await client.endAsync();
  }
}

/** aedes alone in its own process (the embedded broker without the hub around it). */
export async function startBareAedes(port: number): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./fleet/aedes-broker.ts', import.meta.url)), [String(port)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`aedes baseline broker exited (${code})`)));
  });
  return child;
}

/**
 * Bare COPY of heartbeat-shaped rows (the columns and indexes of health_samples, no foreign keys)
 * into a table of its own in the same database, in batches like the hub's.
 */
export async function bareCopyRate(
  databaseUrl: string,
  rows: number,
  batch = 5000,
  method: 'copy' | 'insert' = 'copy',
): Promise<RateResult & { method: 'copy' | 'insert' }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection the server drops must fail this baseline, not the whole benchmark process.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_copy');
    await client.query('CREATE TABLE bench_copy (LIKE health_samples INCLUDING DEFAULTS INCLUDING INDEXES)');
    const payload = JSON.stringify({
      cameraId: 'bench-s0-cam0',
      state: 'up',
      reasons: [],
      responseMs: 38,
      clock: { offsetMs: 112, roundTripMs: 9, dateTimeType: 'NTP', timeZone: 'GMT0', daylightSavings: false },
      device: null,
      image: null,
    }).replace(/\\/g, '\\\\');
    const t0 = performance.now();
    for (let done = 0; done < rows; done += batch) {
      const n = Math.min(batch, rows - done);
      const now = new Date().toISOString();
      const lines = function* () {
        for (let i = 0; i < n; i++)
          yield `${crypto.randomUUID()}\tbench-s${i % 200}-cam${i % 100}\t${now}\t${now}\tup\t112\t${payload}\n`;
      };
      await client.query('BEGIN');
      if (method === 'copy')
        await pipeline(Readable.from(lines()), client.query(copyFrom('COPY bench_copy FROM STDIN')));
      else {
        // The embedded database's socket server does not take COPY FROM STDIN: the same rows as
        // one bare multi-row INSERT from arrays per batch instead.
        const cols = [...lines()].map((line) => line.slice(0, -1).split('\t'));
        await client.query(
          `INSERT INTO bench_copy (msg_id, camera_id, observed_at, received_at, state, clock_offset_ms, payload)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::float8[], $7::jsonb[])`,
          [0, 1, 2, 3, 4, 5, 6].map((i) =>
            cols.map((c) => (i === 6 ? (c[6] as string).replace(/\\\\/g, '\\') : c[i])),
          ),
        );
      }
      await client.query('COMMIT');
    }
    const seconds = (performance.now() - t0) / 1000;
    return { perS: rows / seconds, count: rows, seconds, method };
  } finally {
    await client.query('DROP TABLE IF EXISTS bench_copy').catch(() => {});
    await client.end();
  }
}
