import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentMetrics, serveMetrics } from '../../../edge-agent/src/metrics.ts';
import { startTogether } from '../../support/cleanup.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A real Prometheus (Debian's package) scrapes the hub's /metrics with the metrics token and loads the
// shipped alerting rules; queries return the hub's series. Without the token a scrape is refused, and
// a hub with no token configured has no /metrics at all.

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const RULES = new URL('../../../config/prometheus/cctv-hub.rules.yml', import.meta.url).pathname;
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('Prometheus scrapes the hub', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let prometheus: ChildProcess | undefined;
  let agentSite: SiteHarness | undefined;
  let agentServer: Server | undefined;
  const agentSiteId = uniqueId('promagent');
  let promUrl = '';
  let plain: HubHarness | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cctv-prometheus-'));
  const token = `metrics-${uniqueId('t')}-secret`;
  const siteId = uniqueId('prom');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`, `${siteId}-c`];

  const query = async (expr: string) => {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await r.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return body.data.result;
  };

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} missing: apt-get install -y prometheus`);
    writeFileSync(join(dir, 'token'), `${token}\n`, { mode: 0o600 });
    // A hub with no metrics token beside it, for the last test.
    await startTogether(
      startHub({ CCTV_HUB__metrics__tokenFile: join(dir, 'token') }).then((x) => {
        h = x;
      }),
      startHub().then((x) => {
        plain = x;
      }),
    );
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online' });
    await site.publish('health', health(cams[0] as string, 'up'), cams[0]);
    await site.publish('health', health(cams[1] as string, 'up'), cams[1]);
    await site.publish(
      'health',
      health(cams[2] as string, 'down', [{ code: 'unreachable', message: 'connection refused' }]),
      cams[2],
    );
    await eventually('states stored', async () =>
      [...h.hub.fleet.cameras.values()].filter((c) => cams.includes(c.id) && c.state !== 'unknown').length ===
      3
        ? true
        : undefined,
    );
    // A real agent watching a simulated camera, its /metrics on a listener of its own.
    const agentCouncil = uniqueId('council');
    await h.registerSite(agentSiteId, agentCouncil, { cameraIds: [`${agentSiteId}-01`] });
    agentSite = new SiteHarness({
      siteId: agentSiteId,
      councilId: agentCouncil,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: [`${agentSiteId}-01`],
    });
    await agentSite.start();
    const agentPort = await freePort();
    agentServer = await serveMetrics(
      agentMetrics(() => {
        const agent = agentSite?.agent;
        if (!agent) throw new Error('agent not running');
        return agent.stats();
      }, agentSiteId),
      { host: '127.0.0.1', port: agentPort, token },
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = new URL(h.hub.url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${RULES}']`,
        'scrape_configs:',
        '  - job_name: cctv-hub',
        `    static_configs: [{ targets: ['${target}'] }]`,
        `    authorization: { credentials_file: '${join(dir, 'token')}' }`,
        '  - job_name: cctv-agent',
        `    static_configs: [{ targets: ['127.0.0.1:${agentPort}'] }]`,
        `    authorization: { credentials_file: '${join(dir, 'token')}' }`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      if (process.env.TEST_LOG_LEVEL === 'debug') process.stderr.write(chunk);
    });
  }, 120_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    agentServer?.close();
    await agentSite?.stop();
    await site?.close();
    await h?.stop();
    await plain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships alerting rules that promtool accepts', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('refuses a scrape without the token, and serves the metrics with it', async () => {
    expect((await fetch(`${h.hub.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${h.hub.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const r = await fetch(`${h.hub.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/^# HELP cctv_ingest_stored_total /m);
    expect(text).toContain(`cctv_cameras{council="${council}",state="down",service="cctv-hub"} 1`);
  });

  it('is scraped by a real Prometheus, whose queries return the hub series and whose rules load', async () => {
    await eventually(
      'target up',
      async () => ((await query('up{job="cctv-hub"}'))[0]?.value[1] === '1' ? true : undefined),
      60_000,
    );
    const byState = await eventually(
      'camera series',
      async () => {
        const rows = await query(`cctv_cameras{council="${council}"}`);
        return rows.length >= 2 ? rows : undefined;
      },
      30_000,
    );
    expect(Object.fromEntries(byState.map((r) => [r.metric.state, Number(r.value[1])]))).toEqual({
      up: 2,
      down: 1,
    });
    const stored = await query('cctv_ingest_stored_total');
    // The inventory, the site state and three health samples.
    expect(Number(stored[0]?.value[1])).toBeGreaterThanOrEqual(5);
    expect(Number((await query('cctv_mqtt_connected'))[0]?.value[1])).toBe(1);
    expect((await query('nodejs_eventloop_lag_p99_seconds{service="cctv-hub"}')).length).toBe(1);
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string }[] }[] };
    };
    const group = rules.data.groups.find((g) => g.name === 'cctv-hub');
    expect(group?.rules.length).toBeGreaterThanOrEqual(5);
    await eventually(
      'rules evaluated',
      async () => {
        const r = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof rules;
        const g = r.data.groups.find((x) => x.name === 'cctv-hub');
        return g?.rules.every((x) => x.health === 'ok') ? true : undefined;
      },
      30_000,
    );
  }, 120_000);

  it("scrapes an agent's /metrics: its polls, cameras and MQTT connection", async () => {
    const address = agentServer?.address();
    if (!address || typeof address === 'string') throw new Error('agent metrics not listening');
    const base = `http://127.0.0.1:${address.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    await eventually(
      'agent target up',
      async () => ((await query('up{job="cctv-agent"}'))[0]?.value[1] === '1' ? true : undefined),
      60_000,
    );
    const polls = await eventually(
      'agent polls',
      async () => {
        const rows = await query(`cctv_agent_polls_total{site="${agentSiteId}"}`);
        return Number(rows[0]?.value[1] ?? 0) > 0 ? rows : undefined;
      },
      30_000,
    );
    expect(polls[0]?.metric.service).toBe('cctv-agent');
    expect(Number((await query(`cctv_agent_mqtt_connected{site="${agentSiteId}"}`))[0]?.value[1])).toBe(1);
    await eventually(
      'camera up',
      async () =>
        Number((await query(`cctv_agent_cameras{site="${agentSiteId}",state="up"}`))[0]?.value[1] ?? 0) === 1
          ? true
          : undefined,
      30_000,
    );
  }, 120_000);

  it('has no /metrics on a hub without a metrics token', async () => {
    if (!plain) throw new Error('the hub without a metrics token did not start');
    expect(
      (await fetch(`${plain.hub.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(404);
  });
});
