import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertHistoryPage } from '../../../src/schemas/alert-api.ts';
import type {
  AlertNotice,
  Delivery,
  NotificationRuleCreated,
  NotificationRuleInput,
} from '../../../src/schemas/notification-api.ts';
import { alertTopic } from '../../../src/topics.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';
import { SmtpReceiver } from '../../support/smtp-receiver.ts';

// Notifications through real receivers: an SMTP server, an HTTP webhook receiver that checks the
// signature, and an MQTT subscriber on the hub's broker. One 20-camera town going dark camera by
// camera is one message per channel; a webhook that fails twice gets the third attempt, across a
// hub restart; a webhook that keeps failing goes dead and is retried by hand.

interface Hit {
  path: string;
  delivery: string;
  validSignature: boolean;
  body: AlertNotice;
  status: number;
}

class WebhookReceiver {
  readonly hits: Hit[] = [];
  /** Per path: how many requests to answer 500 before answering 200 (Infinity: always fail). */
  readonly failFirst = new Map<string, number>();
  secrets = new Map<string, string>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private async handle(request: IncomingMessage, response: import('node:http').ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = request.url ?? '/';
    const timestamp = String(request.headers['x-cctv-timestamp'] ?? '');
    const given = String(request.headers['x-cctv-signature'] ?? '');
    const secret = this.secrets.get(path) ?? '';
    const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`;
    const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
    const validSignature =
      fresh && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    const before = this.hits.filter((h) => h.path === path).length;
    const status = !validSignature ? 401 : before < (this.failFirst.get(path) ?? 0) ? 500 : 200;
    this.hits.push({
      path,
      delivery: String(request.headers['x-cctv-delivery'] ?? ''),
      validSignature,
      body: JSON.parse(raw) as AlertNotice,
      status,
    });
    response.writeHead(status).end();
  }

  on(path: string): Hit[] {
    return this.hits.filter((h) => h.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('alert notifications through real SMTP, webhook and MQTT receivers', () => {
  let h: HubHarness;
  const smtp = new SmtpReceiver();
  const webhooks = new WebhookReceiver();
  const council = uniqueId('notify-council');
  const siteId = uniqueId('notify');
  const cams = Array.from({ length: 20 }, (_, i) => `${siteId}-${i + 1}`);
  let site: SitePublisher;
  let subscriber: mqtt.MqttClient;
  const mqttMessages: { topic: string; body: AlertNotice }[] = [];
  let opToken: string;
  let councilToken: string;

  const api = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  const createRule = (token: string, input: NotificationRuleInput) =>
    api<NotificationRuleCreated>(token, 'POST', '/api/notification-rules', input);

  const publishAll = async (state: 'up' | 'down') => {
    for (const id of cams) {
      await site.publish('health', health(id, state), id);
      // Cameras fail one after another, as a switch losing power port by port would look.
      await new Promise((r) => setTimeout(r, 40));
    }
  };

  const metricsToken = 'notifications-metrics-token-0123456789';
  const metricsTokenFile = join(mkdtempSync(join(tmpdir(), 'cctv-notify-')), 'metrics-token');

  beforeAll(async () => {
    writeFileSync(metricsTokenFile, metricsToken, { mode: 0o600 });
    await smtp.start();
    await webhooks.start();
    h = await startHub({
      CCTV_HUB__alerts__dampMs: '500',
      // Down cameras stay down (not unknown) for the whole test, restart included.
      CCTV_HUB__state__staleAfterMs: '180000',
      CCTV_HUB__alerts__evaluateIntervalMs: '100',
      CCTV_HUB__notifications__groupWaitMs: '3000',
      CCTV_HUB__notifications__tickMs: '100',
      CCTV_HUB__notifications__maxAttempts: '3',
      CCTV_HUB__notifications__retryBaseMs: '2500',
      CCTV_HUB__notifications__retryMaxMs: '8000',
      CCTV_HUB__notifications__smtp__host: '127.0.0.1',
      CCTV_HUB__notifications__smtp__port: String(smtp.port),
      CCTV_HUB__notifications__smtp__from: 'CCTV hub <hub@example.org>',
      CCTV_HUB__notifications__dashboardUrl: 'https://hub.example.org',
      CCTV_HUB__metrics__tokenFile: metricsTokenFile,
    });
    await h.createUser('op', 'operator');
    await h.createUser('officer', 'council', [council]);
    opToken = await h.login('op');
    councilToken = await h.login('officer');
    await h.registerSite(siteId, council, { cameraIds: cams, name: 'Porthleven' });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(true);
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online' });
    for (const id of cams) await site.publish('health', health(id, 'up'), id);
    await eventually('every camera up', async () =>
      cams.every((id) => h.hub.fleet.cameras.get(id)?.state === 'up') ? true : undefined,
    );
    subscriber = mqtt.connect(h.hub.mqttUrl, { clientId: uniqueId('alerts-sub'), reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () => resolve());
      subscriber.once('error', reject);
    });
    subscriber.on('message', (topic, payload) => {
      if (topic.includes(siteId))
        mqttMessages.push({ topic, body: JSON.parse(payload.toString()) as AlertNotice });
    });
    await subscriber.subscribeAsync('cctv/v1/alerts/#', { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    subscriber?.end(true);
    await site?.close().catch(() => {});
    await h?.stop();
    await smtp.stop();
    await webhooks.stop();
  });

  it('refuses rules a role may not have, with the field named', async () => {
    await expect(
      createRule(councilToken, { name: 'x', channel: 'webhook', target: webhooks.url('/x') }),
    ).rejects.toThrow(/403.*only hub operators create webhooks/);
    await expect(
      createRule(councilToken, { name: 'x', channel: 'email', target: 'not an address' }),
    ).rejects.toThrow(/400.*BAD_TARGET.*one e-mail address/);
    await expect(
      createRule(councilToken, {
        name: 'x',
        channel: 'email',
        target: 'a@example.org',
        councilIds: ['someone-else'],
      }),
    ).rejects.toThrow(/403.*outside your councils: someone-else/);
  });

  it('sends one message per channel for a 20-camera site going down camera by camera', async () => {
    const hook = await createRule(opToken, {
      name: 'Control room webhook',
      channel: 'webhook',
      target: webhooks.url('/hook'),
    });
    expect(hook.secret).toMatch(/^whsec_/);
    webhooks.secrets.set('/hook', hook.secret as string);
    webhooks.failFirst.set('/hook', 2);
    const mail = await createRule(councilToken, {
      name: 'Town clerk',
      channel: 'email',
      target: 'clerk@example.org',
      severities: ['major'],
    });
    expect(mail.secret).toBeNull();
    expect(mail.rule.councilIds).toEqual([]);

    await publishAll('down');
    const mails = await eventually(
      'the e-mail',
      async () => (smtp.to('clerk@example.org').length > 0 ? smtp.to('clerk@example.org') : undefined),
      20_000,
    );
    expect(mails[0]?.subject).toMatch(/^\[MAJOR\] Porthleven: 20 of 20 cameras down together/);
    expect(mails[0]?.text).toContain('Porthleven (');
    expect(mails[0]?.text).toContain('Several cameras down');
    expect(mails[0]?.text).toContain('https://hub.example.org/?view=alerts');
    expect(mails[0]?.from).toBe('hub@example.org');
    const mqttOne = await eventually('the MQTT message', async () => mqttMessages[0]);
    expect(mqttOne.topic).toBe(alertTopic(council, siteId));
    expect(mqttOne.body.opened.map((a) => (a as { kind: string }).kind)).toEqual(['site_cameras_down']);
    expect(mqttOne.body.resolved).toEqual([]);

    // Cameras that went down alone first (camera_down) were superseded within the group wait:
    // the history has them, suppressed, and nobody was told.
    const history = await api<AlertHistoryPage>(opToken, 'GET', `/api/alerts/history?siteId=${siteId}`);
    const kinds = history.alerts.map((a) => a.kind);
    expect(kinds).toContain('site_cameras_down');
    // Give every channel time to say more if it would (it must not).
    await new Promise((r) => setTimeout(r, 4000));
    expect(smtp.to('clerk@example.org')).toHaveLength(1);
    expect(mqttMessages).toHaveLength(1);
    const hits = webhooks.on('/hook');
    expect(hits.length).toBeGreaterThanOrEqual(1);
    expect(new Set(hits.map((x) => x.delivery)).size).toBe(1);
  }, 60_000);

  it('retries a failing webhook with backoff and delivers the third attempt after a hub restart', async () => {
    // Second failure seen: the next attempt is 4-6 s away. Restart the hub in between.
    await eventually('two failed webhook attempts', async () =>
      webhooks.on('/hook').length >= 2 ? true : undefined,
    );
    expect(webhooks.on('/hook').map((x) => x.status)).toEqual([500, 500]);
    const pending = await api<Delivery[]>(opToken, 'GET', '/api/notifications?state=pending');
    const queued = pending.find((d) => d.channel === 'webhook' && d.target === webhooks.url('/hook'));
    expect(queued?.attempts).toBe(2);
    expect(queued?.lastError).toBe('webhook answered HTTP 500');
    const restartedAt = Date.now();
    await h.restart();
    opToken = await h.login('op');
    const third = await eventually('the third attempt', async () => webhooks.on('/hook')[2], 20_000);
    expect(third.status).toBe(200);
    expect(third.validSignature).toBe(true);
    expect(webhooks.on('/hook').every((x) => x.delivery === third.delivery)).toBe(true);
    expect(third.body.opened.map((a) => (a as { kind: string }).kind)).toEqual(['site_cameras_down']);
    expect(webhooks.hits.at(-1)?.status).toBe(200);
    expect(Date.now()).toBeGreaterThan(restartedAt);
    const delivered = await api<Delivery[]>(opToken, 'GET', `/api/notifications?ruleId=${queued?.ruleId}`);
    expect(delivered.map((d) => [d.state, d.attempts])).toEqual([['delivered', 3]]);
    // The restarted hub carried the open alert on; it sent nothing new about it.
    await new Promise((r) => setTimeout(r, 4000));
    expect(smtp.to('clerk@example.org')).toHaveLength(1);
    expect(webhooks.on('/hook')).toHaveLength(3);
  }, 60_000);

  it('tells each channel once when the site recovers', async () => {
    site.kill();
    await new Promise((r) => setTimeout(r, 300));
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(true);
    await site.publish('siteState', { state: 'online' });
    await publishAll('up');
    const resolved = await eventually(
      'the resolution e-mail',
      async () => smtp.to('clerk@example.org')[1],
      20_000,
    );
    expect(resolved.subject).toMatch(/^\[resolved\] Porthleven:/);
    expect(resolved.text).toContain('Resolved:');
    const hook = await eventually('the resolution webhook', async () =>
      webhooks.on('/hook').find((x) => x.body.resolved.length > 0),
    );
    expect(hook.validSignature).toBe(true);
    await new Promise((r) => setTimeout(r, 4000));
    expect(smtp.to('clerk@example.org')).toHaveLength(2);
    expect(webhooks.on('/hook').filter((x) => x.status === 200)).toHaveLength(2);
  }, 60_000);

  it('marks a webhook dead after its last attempt, shows why, and retries it by hand', async () => {
    const dead = await createRule(opToken, {
      name: 'Broken receiver',
      channel: 'webhook',
      target: webhooks.url('/broken'),
    });
    webhooks.secrets.set('/broken', dead.secret as string);
    webhooks.failFirst.set('/broken', 3);
    const test = await api<Delivery>(opToken, 'POST', `/api/notification-rules/${dead.rule.id}/test`);
    expect(test.state).toBe('pending');
    const found = await eventually(
      'the dead delivery',
      async () =>
        (await api<Delivery[]>(opToken, 'GET', `/api/notifications?ruleId=${dead.rule.id}&state=dead`))[0],
      30_000,
    );
    expect(found.attempts).toBe(3);
    expect(found.lastError).toBe('webhook answered HTTP 500');
    expect(webhooks.on('/broken')).toHaveLength(3);
    const metrics = await eventually('the dead message in the metrics', async () => {
      const text = await (
        await fetch(`${h.hub.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
      ).text();
      return /cctv_notifications_outbox\{state="dead",service="cctv-hub"\} 1\b/.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(
      /cctv_notification_attempts_total\{channel="webhook",outcome="dead",service="cctv-hub"\} 1\b/,
    );
    const retried = await api<Delivery>(opToken, 'POST', `/api/notifications/${found.id}/retry`);
    expect(retried.state).toBe('pending');
    await eventually(
      'the retried delivery',
      async () =>
        (
          await api<Delivery[]>(opToken, 'GET', `/api/notifications?ruleId=${dead.rule.id}&state=delivered`)
        )[0],
    );
    expect(webhooks.on('/broken').map((x) => x.status)).toEqual([500, 500, 500, 200]);
  }, 60_000);

  it('holds messages in quiet hours and sends a council officer the digest on demand', async () => {
    const digest = await createRule(councilToken, {
      name: 'Morning digest',
      channel: 'email',
      target: 'digest@example.org',
      mode: 'digest',
      digestHour: 7,
    });
    const sent = await api<Delivery>(
      councilToken,
      'POST',
      `/api/notification-rules/${digest.rule.id}/digest`,
    );
    expect(sent.kind).toBe('digest');
    const mail = await eventually('the digest', async () => smtp.to('digest@example.org')[0]);
    expect(mail.subject).toMatch(/^Daily CCTV digest: 0 open, \d+ since /);
    expect(mail.text).toContain('Porthleven');
    expect(mail.text).toMatch(/Several cameras down: Porthleven: \d+ of 20 cameras down together/);
    // Cameras coming back one by one did not each open an alert of their own on the way.
    expect(mail.text.match(/Camera down:/g)?.length ?? 0).toBeLessThanOrEqual(1);
    // An operator sees the officer's rules; the officer does not see the operator's.
    const officerRules = await api<{ name: string }[]>(councilToken, 'GET', '/api/notification-rules');
    expect(officerRules.map((r) => r.name).sort()).toEqual(['Morning digest', 'Town clerk']);
    const allRules = await api<{ name: string }[]>(opToken, 'GET', '/api/notification-rules');
    expect(allRules.map((r) => r.name)).toContain('Control room webhook');

    // Quiet hours from an hour ago to an hour ahead (Europe/London): a message now is held, not sent.
    const londonMinute = (offsetMin: number) => {
      const parts = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/London',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).formatToParts(new Date(Date.now() + offsetMin * 60_000));
      return `${parts.find((p) => p.type === 'hour')?.value}:${parts.find((p) => p.type === 'minute')?.value}`;
    };
    const quietHours = { start: londonMinute(-60), end: londonMinute(60) };
    const quiet = await createRule(opToken, {
      name: 'Night desk',
      channel: 'email',
      target: 'night@example.org',
      quietHours,
    });
    expect(quiet.rule.quietHours).toEqual(quietHours);
    site.kill();
    const held = await eventually(
      'a held delivery',
      async () =>
        (await api<Delivery[]>(opToken, 'GET', `/api/notifications?ruleId=${quiet.rule.id}&state=quiet`))[0],
      20_000,
    );
    expect(held.subject).toMatch(/Porthleven/);
    expect(smtp.to('night@example.org')).toHaveLength(0);
  }, 60_000);
});
