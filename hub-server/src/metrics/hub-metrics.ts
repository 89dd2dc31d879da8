// The hub's Prometheus metrics, read when scraped from the figures the hub already keeps (ingest
// statistics, the in-memory fleet, the alert engine, live sockets, the database pool): nothing is
// counted twice and the ingest path does no extra work per message. Node's own metrics (CPU, memory,
// event-loop delay, GC) come from prom-client's default collectors.
import type pg from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { derivedMetric, type Rows } from '../../../src/metrics/derived.ts';
import type { Alert } from '../../../src/schemas/alert-api.ts';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import type { PipelineStats } from '../ingest/pipeline.ts';
import type { NotifierStats } from '../notifications/notifier.ts';

export interface HubMetricsSources {
  pipeline: () => PipelineStats;
  cameras: () => Iterable<CameraView>;
  sites: () => Iterable<SiteView>;
  openAlerts: () => Alert[];
  sockets: () => number;
  pool: () => pg.Pool | null;
  mqttConnected: () => boolean;
  /** The notifier's running totals and its last count of queued and dead messages. */
  notifications?: () => NotifierStats;
}

const totalCounter = (registry: Registry, name: string, help: string, labels: string[], read: () => Rows) =>
  derivedMetric(registry, 'counter', name, help, labels, read);
const gauge = (registry: Registry, name: string, help: string, labels: string[], read: () => Rows) =>
  derivedMetric(registry, 'gauge', name, help, labels, read);

export function hubMetrics(sources: HubMetricsSources): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'cctv-hub' });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const p = sources.pipeline;
  const one = (value: number) => [{ labels: {}, value }];
  totalCounter(registry, 'cctv_ingest_received_total', 'Messages read from the broker', [], () =>
    one(p().received),
  );
  totalCounter(registry, 'cctv_ingest_stored_total', 'Messages stored (committed)', [], () =>
    one(p().accepted),
  );
  totalCounter(registry, 'cctv_ingest_duplicates_total', 'Messages already stored (same msgId)', [], () =>
    one(p().duplicates),
  );
  totalCounter(registry, 'cctv_ingest_batches_total', 'Ingest batches committed', [], () => one(p().batches));
  totalCounter(
    registry,
    'cctv_ingest_failed_batches_total',
    'Ingest batches that failed and were retried',
    [],
    () => one(p().failedBatches),
  );
  totalCounter(
    registry,
    'cctv_ingest_dead_letters_total',
    'Messages refused and kept as dead letters, by refusal code',
    ['code'],
    () => Object.entries(p().deadLetterCodes).map(([code, value]) => ({ labels: { code }, value })),
  );
  totalCounter(
    registry,
    'cctv_ingest_refused_unstored_total',
    "Rate-refused messages beyond a site's dead-letter budget (counted, not stored)",
    [],
    () => one(p().refusedUnstored),
  );
  totalCounter(
    registry,
    'cctv_ingest_read_pauses_total',
    'Times reading from the broker paused on a full queue',
    [],
    () => one(p().readPauses),
  );
  gauge(registry, 'cctv_ingest_queued_messages', 'Messages read and waiting for a batch', [], () =>
    one(p().queued),
  );
  // The store delay as Prometheus expects a histogram: cumulative buckets in seconds, with +Inf.
  gauge(
    registry,
    'cctv_ingest_stored_within_seconds',
    'Messages stored within `le` seconds of their observation (cumulative; le="+Inf" is every message)',
    ['le'],
    () => {
      const d = p().storeDelay;
      return [
        ...Object.entries(d.le).map(([ms, value]) => ({ labels: { le: String(Number(ms) / 1000) }, value })),
        { labels: { le: '+Inf' }, value: d.count },
      ];
    },
  );
  gauge(registry, 'cctv_ingest_store_delay_max_seconds', 'Longest observation-to-commit delay seen', [], () =>
    one(p().storeDelay.maxMs / 1000),
  );
  gauge(
    registry,
    'cctv_mqtt_connected',
    'Whether the hub is connected to the broker (1) or not (0)',
    [],
    () => one(sources.mqttConnected() ? 1 : 0),
  );
  gauge(registry, 'cctv_cameras', 'Cameras by council and state', ['council', 'state'], () => {
    const counts = new Map<string, number>();
    for (const c of sources.cameras()) {
      const key = `${c.councilId}\u0000${c.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, value]) => {
      const [council, state] = key.split('\u0000') as [string, string];
      return { labels: { council, state }, value };
    });
  });
  gauge(registry, 'cctv_sites', 'Sites by council and link state', ['council', 'state'], () => {
    const counts = new Map<string, number>();
    for (const s of sources.sites()) {
      const key = `${s.councilId}\u0000${s.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, value]) => {
      const [council, state] = key.split('\u0000') as [string, string];
      return { labels: { council, state }, value };
    });
  });
  gauge(
    registry,
    'cctv_alerts_open',
    'Open alerts by kind, severity and whether acknowledged',
    ['kind', 'severity', 'acknowledged'],
    () => {
      const counts = new Map<string, number>();
      for (const a of sources.openAlerts()) {
        const key = `${a.kind}\u0000${a.severity}\u0000${a.acknowledgedAt ? 'yes' : 'no'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([key, value]) => {
        const [kind, severity, acknowledged] = key.split('\u0000') as [string, string, string];
        return { labels: { kind, severity, acknowledged }, value };
      });
    },
  );
  const n = sources.notifications;
  if (n) {
    const split = (record: Record<string, number>, names: [string, string]) =>
      Object.entries(record).map(([key, value]) => {
        const [a, b] = key.split(':') as [string, string];
        return { labels: { [names[0]]: a, [names[1]]: b }, value };
      });
    totalCounter(
      registry,
      'cctv_notifications_queued_total',
      'Notification messages queued, by channel and kind (kind alerts:quiet = held for quiet hours)',
      ['channel', 'kind'],
      () =>
        Object.entries(n().queued).map(([key, value]) => {
          const [channel, ...kind] = key.split(':');
          return { labels: { channel: channel ?? '', kind: kind.join(':') }, value };
        }),
    );
    totalCounter(
      registry,
      'cctv_notification_attempts_total',
      'Delivery attempts by channel and outcome (delivered, failed: will retry, dead: last attempt failed)',
      ['channel', 'outcome'],
      () => split(n().attempts, ['channel', 'outcome']),
    );
    gauge(
      registry,
      'cctv_notifications_outbox',
      'Messages in the delivery queue by state (pending: not yet delivered; dead: gave up, retry by hand)',
      ['state'],
      () => Object.entries(n().outbox).map(([state, value]) => ({ labels: { state }, value })),
    );
  }
  gauge(registry, 'cctv_live_sockets', 'Dashboard and control-room sockets connected', [], () =>
    one(sources.sockets()),
  );
  gauge(registry, 'cctv_db_pool_connections', 'Database pool connections by use', ['use'], () => {
    const pool = sources.pool();
    if (!pool) return [];
    return [
      { labels: { use: 'total' }, value: pool.totalCount },
      { labels: { use: 'idle' }, value: pool.idleCount },
      { labels: { use: 'waiting' }, value: pool.waitingCount },
    ];
  });
  return registry;
}
