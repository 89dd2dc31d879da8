import pg from 'pg';
import { AgentConfig } from '../../src/config/agent-config.ts';
import { defaultsOf } from '../../src/config/resolve.ts';
import { type HubHarness, startHub } from '../support/hub-harness.ts';
import { uniqueId } from '../support/services.ts';
import { SiteHarness } from '../support/site-harness.ts';

/**
 * What one camera costs the hub's database per day. A real agent with simulated cameras reports to a
 * hub on PostgreSQL, faster than by default (so that minutes stand for hours); the bytes each table
 * and its indexes grow by are divided by the messages stored of each kind, and multiplied by the
 * messages a camera sends in a day at the agent's default intervals.
 */

export interface StorageBenchOptions {
  baseUrl: string;
  mqttUrl: string;
  cameras: number;
  durationS: number;
}

export interface TableGrowth {
  table: string;
  bytes: number;
}

export interface StorageBenchResult {
  cameras: number;
  durationS: number;
  messagesByKind: Record<string, number>;
  growth: TableGrowth[];
  /** Bytes one stored message of each kind costs, all its tables and indexes counted. */
  bytesPerMessage: Record<string, number>;
  /** Messages a camera sends in a day at the agent's default intervals. */
  messagesPerCameraDay: Record<string, number>;
  /** What the other tables grew by in the run (first pages, rows updated in place): not per day. */
  otherBytes: number;
  bytesPerCameraDay: number;
}

/** Tables that grow with every message, and which message kind each grows with. */
const PER_MESSAGE: Record<string, string> = {
  ingested_messages: '*',
  health_samples: 'health',
  stream_samples: 'stream',
  camera_events: 'event',
};

async function sizes(pool: pg.Pool): Promise<Map<string, number>> {
  const result = await pool.query<{ table: string; bytes: string }>(
    `SELECT relname AS table, pg_total_relation_size(relid)::text AS bytes FROM pg_statio_user_tables`,
  );
  return new Map(result.rows.map((r) => [r.table, Number(r.bytes)]));
}

export async function runStorageBench(
  options: StorageBenchOptions,
  out: (line: string) => void,
): Promise<StorageBenchResult> {
  let hub: HubHarness | null = null;
  let site: SiteHarness | null = null;
  const siteId = uniqueId('storage');
  const cameraIds = Array.from({ length: options.cameras }, (_, i) => `${siteId}-${i + 1}`);
  process.env.DATABASE_URL = options.baseUrl;
  process.env.MQTT_URL = options.mqttUrl;
  try {
    hub = await startHub();
    const council = uniqueId('council');
    await hub.registerSite(siteId, council, { cameraIds });
    const pool = new pg.Pool({ connectionString: hub.services.databaseUrl as string, max: 1 });
    try {
      // The agent at ten times its default pace: polls every second, probes every 6 s.
      site = new SiteHarness({
        siteId,
        councilId: council,
        mqttUrl: hub.hub.mqttUrl,
        cameraIds,
        pollIntervalMs: 1_000,
        probeIntervalMs: 6_000,
      });
      await site.start();
      // Warm-up: inventories, first states and intervals are one-off costs, not daily ones.
      await new Promise((r) => setTimeout(r, 15_000));
      await pool.query('VACUUM ANALYZE');
      const before = await sizes(pool);
      const countsBefore = await pool.query<{ kind: string; n: string }>(
        'SELECT kind, count(*)::text AS n FROM ingested_messages GROUP BY kind',
      );
      out(`measuring ${options.cameras} cameras for ${options.durationS} s`);
      await new Promise((r) => setTimeout(r, options.durationS * 1000));
      await site.stop();
      site = null;
      await new Promise((r) => setTimeout(r, 2_000));
      await pool.query('VACUUM ANALYZE');
      const after = await sizes(pool);
      const countsAfter = await pool.query<{ kind: string; n: string }>(
        'SELECT kind, count(*)::text AS n FROM ingested_messages GROUP BY kind',
      );
      const prior = new Map(countsBefore.rows.map((r) => [r.kind, Number(r.n)]));
      const messagesByKind: Record<string, number> = {};
      for (const r of countsAfter.rows) messagesByKind[r.kind] = Number(r.n) - (prior.get(r.kind) ?? 0);
      const growth = [...after]
        .map(([table, bytes]) => ({ table, bytes: bytes - (before.get(table) ?? 0) }))
        .filter((g) => g.bytes > 0)
        .sort((a, b) => b.bytes - a.bytes);
      const total = Object.values(messagesByKind).reduce((a, b) => a + b, 0);
      const bytesPerMessage: Record<string, number> = {};
      // Every message costs its share of the tables that grow with all messages, and its own kind's.
      const common = growth.filter((g) => PER_MESSAGE[g.table] === '*').reduce((a, g) => a + g.bytes, 0);
      for (const [kind, n] of Object.entries(messagesByKind)) {
        if (n === 0) continue;
        const own = growth.filter((g) => PER_MESSAGE[g.table] === kind).reduce((a, g) => a + g.bytes, 0);
        bytesPerMessage[kind] = Math.round(common / total + own / n);
      }
      const other = growth.filter((g) => PER_MESSAGE[g.table] === undefined).reduce((a, g) => a + g.bytes, 0);
      const defaults = defaultsOf(AgentConfig) as AgentConfig;
      const day = 86_400_000;
      const messagesPerCameraDay: Record<string, number> = {
        health: day / defaults.poll.intervalMs,
        stream: day / defaults.poll.probeIntervalMs,
      };
      // The other tables grew by first pages and rows updated in place (camera rows, compliance
      // status) in a fresh database: not a daily cost, so not multiplied up; reported as seen.
      const bytesPerCameraDay = Object.entries(messagesPerCameraDay).reduce(
        (a, [kind, n]) => a + n * (bytesPerMessage[kind] ?? 0),
        0,
      );
      return {
        otherBytes: other,
        cameras: options.cameras,
        durationS: options.durationS,
        messagesByKind,
        growth,
        bytesPerMessage,
        messagesPerCameraDay,
        bytesPerCameraDay: Math.round(bytesPerCameraDay),
      };
    } finally {
      await pool.end();
    }
  } finally {
    await site?.stop();
    await hub?.stop();
  }
}
