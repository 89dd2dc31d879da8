// The edge agent's Prometheus metrics, read when scraped from its own statistics (polls, probes,
// inconclusive checks, outbox, MQTT, recording devices), served on a listener of its own for a scraper
// holding the metrics token. Any local user of the site box is a stranger, so the token is required.
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { bearerCheck, derivedMetric, type Rows } from '../../src/metrics/derived.ts';
import type { AgentStats } from './agent.ts';

const metric = derivedMetric;

export function agentMetrics(stats: () => AgentStats, siteId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'cctv-agent', site: siteId });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const one = (value: number): Rows => [{ labels: {}, value }];
  metric(registry, 'counter', 'cctv_agent_polls_total', 'Camera health polls', [], () => one(stats().polls));
  metric(registry, 'counter', 'cctv_agent_poll_failures_total', 'Polls that found a camera down', [], () =>
    one(stats().pollFailures),
  );
  metric(
    registry,
    'counter',
    'cctv_agent_task_errors_total',
    'Poll and probe tasks that failed unexpectedly',
    [],
    () => one(stats().pollErrors),
  );
  metric(registry, 'counter', 'cctv_agent_probes_total', 'Main stream probes', [], () => one(stats().probes));
  metric(
    registry,
    'counter',
    'cctv_agent_probe_failures_total',
    'Main stream probes that found no video',
    [],
    () => one(stats().probeFailures),
  );
  metric(registry, 'counter', 'cctv_agent_probe_seconds_total', 'Time spent in main stream probes', [], () =>
    one(stats().probeMsTotal / 1000),
  );
  metric(registry, 'gauge', 'cctv_agent_probe_max_seconds', 'Longest main stream probe', [], () =>
    one(stats().probeMsMax / 1000),
  );
  metric(
    registry,
    'counter',
    'cctv_agent_sub_stream_probes_total',
    'Sub-stream probes, by outcome',
    ['outcome'],
    () => [
      { labels: { outcome: 'ok' }, value: stats().subStreamProbes - stats().subStreamFailures },
      { labels: { outcome: 'failed' }, value: stats().subStreamFailures },
    ],
  );
  metric(
    registry,
    'counter',
    'cctv_agent_inconclusive_total',
    'Checks reported as unknown because the agent itself was impaired',
    [],
    () => one(stats().inconclusive),
  );
  metric(
    registry,
    'counter',
    'cctv_agent_publish_failures_total',
    'Messages that could not be published',
    [],
    () => one(stats().publishFailures),
  );
  metric(
    registry,
    'gauge',
    'cctv_agent_mqtt_connected',
    'Whether the agent is connected to the hub broker',
    [],
    () => one(stats().publisher?.connected ? 1 : 0),
  );
  metric(
    registry,
    'gauge',
    'cctv_agent_outbox_records',
    'Observations and events not yet acknowledged by the broker (waiting on disk or in flight)',
    [],
    () => one(stats().publisher?.queueLength ?? 0),
  );
  metric(
    registry,
    'gauge',
    'cctv_agent_outbox_bytes',
    'Disk space the outbox uses, and its bound',
    ['kind'],
    () => {
      const o = stats().publisher?.outbox;
      return o
        ? [
            { labels: { kind: 'used' }, value: o.bytes },
            { labels: { kind: 'max' }, value: o.maxBytes },
          ]
        : [];
    },
  );
  metric(
    registry,
    'counter',
    'cctv_agent_outbox_dropped_total',
    'Samples the full outbox dropped (gap records say which)',
    [],
    () => one(stats().publisher?.outbox?.dropped ?? 0),
  );
  metric(
    registry,
    'gauge',
    'cctv_agent_cameras',
    'Cameras by the state of their latest poll',
    ['state'],
    () => {
      const counts = new Map<string, number>();
      for (const c of Object.values(stats().cameras)) {
        const state = c.state ?? 'not_polled';
        counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      return [...counts].map(([state, value]) => ({ labels: { state }, value }));
    },
  );
  metric(
    registry,
    'counter',
    'cctv_agent_recording_reads_total',
    'Recording searches of recording devices, by outcome',
    ['device', 'outcome'],
    () =>
      Object.entries(stats().recording).flatMap(([device, r]) => [
        { labels: { device, outcome: 'ok' }, value: r.polls - r.pollFailures },
        { labels: { device, outcome: 'failed' }, value: r.pollFailures },
      ]),
  );
  return registry;
}

/** GET /metrics on host:port for holders of the token; everything else 404. Resolves once listening. */
export async function serveMetrics(
  registry: Registry,
  options: { host: string; port: number; token: string },
): Promise<Server> {
  const authorized = bearerCheck(options.token);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end('metrics need the metrics token\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
