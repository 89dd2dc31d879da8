import { request as httpRequest } from 'node:http';
import { createSigner } from 'fast-jwt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedUrlSigner } from '../../../hub-server/src/feeds/signed-url.ts';
import { closeAll, startTogether } from '../../support/cleanup.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// The security suite: each row is an attack and the outcome the hub must give. Routes come from the
// hub's own OpenAPI document, so a new route is covered by the authentication and injection rows
// without editing this file. Runs against PGlite+aedes and PostgreSQL+Mosquitto (see services.ts).

const SECRET = 'test-secret-not-for-production'; // the harness's signing secret
const SQL_INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  '1; SELECT pg_sleep(3)--',
  "x'); DELETE FROM audit_log; --",
  '$$; DROP TABLE cameras; $$',
  "\\'; TRUNCATE camera_state_intervals; --",
];

interface Result {
  status: number;
  body: string;
  json: unknown;
  headers: Headers;
}

describe('security suite: every route, socket and text field against attacks', () => {
  let h: HubHarness;
  const councilA = uniqueId('ca');
  const councilB = uniqueId('cb');
  const camsA = [`${councilA}-1`, `${councilA}-2`];
  const camsB = [`${councilB}-1`, `${councilB}-2`];
  const sites: SitePublisher[] = [];
  const tokens = { op: '', a: '', b: '', control: '', auditor: '' };
  let keyA = '';
  let windowB = 0;
  let operations: { method: string; path: string }[] = [];

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<Result> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${h.hub.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: r.status, body: text, json, headers: r.headers };
  };
  /** A request whose path is sent byte for byte (fetch would resolve `..`). */
  const rawGet = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(h.hub.url);
      const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('sec-op', 'operator');
    await h.createUser('sec-officer-a', 'council', [councilA]);
    await h.createUser('sec-officer-b', 'council', [councilB]);
    await h.createUser('sec-control', 'controlroom');
    await h.createUser('sec-auditor', 'auditor');
    for (const [council, cams] of [
      [councilA, camsA],
      [councilB, camsB],
    ] as const) {
      await h.registerSite(`${council}-site`, council, { cameraIds: [...cams] });
      const site = new SitePublisher(`${council}-site`, h.hub.mqttUrl);
      await site.connect(false);
      await site.publish('inventory', inventory(council, cams));
      await site.publish('siteState', { state: 'online' });
      for (const cam of cams) await site.publish('health', health(cam, 'up'), cam);
      sites.push(site);
    }
    tokens.op = await h.login('sec-op');
    tokens.a = await h.login('sec-officer-a');
    tokens.b = await h.login('sec-officer-b');
    tokens.control = await h.login('sec-control');
    tokens.auditor = await h.login('sec-auditor');
    for (let i = 0; i < 100; i++) {
      const r = await call('GET', '/api/cameras', tokens.op);
      const ids = (r.json as { id: string }[]).map((c) => c.id);
      if ([...camsA, ...camsB].every((id) => ids.includes(id))) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const key = await call('POST', '/api/api-keys', tokens.op, {
      name: 'council A integration',
      role: 'council',
      councilIds: [councilA],
    });
    expect(key.status).toBe(201);
    keyA = (key.json as { key: string }).key;
    // Something of council B's in every list: a maintenance window and audit entries.
    const window = await call('POST', '/api/maintenance', tokens.op, {
      scope: 'camera',
      scopeId: camsB[0],
      title: 'B lens cleaning',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 90_000_000).toISOString(),
    });
    expect(window.status).toBe(201);
    windowB = (window.json as { id: number }).id;
    const spec = (await call('GET', '/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
  }, 180_000);

  afterAll(async () => {
    for (const s of sites) await s.close();
    await h?.stop();
  });

  const fill = (path: string, value = 'x') => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
  // Public by design: signing in, the dashboard's settings, a site box exchanging its one-time
  // enrolment code, and the public pages councils publish (each 404 until its council switches it on).
  const PUBLIC = new Set([
    'POST /api/auth/login',
    'GET /api/ui-config',
    'POST /api/enrol',
    'GET /public/councils',
    'GET /public/councils/{councilId}',
    'GET /public/councils/{councilId}/data.json',
    'GET /public/councils/{councilId}/cameras.csv',
    'GET /public/councils/{councilId}/cameras.geojson',
  ]);

  describe('authentication', () => {
    it('lists the API routes it attacks (from the OpenAPI document)', () => {
      expect(operations.length).toBeGreaterThan(40);
      expect(operations).toContainEqual({ method: 'POST', path: '/api/feeds' });
      expect(operations).toContainEqual({ method: 'POST', path: '/api/users' });
    });

    const cases: [string, () => string | undefined, string][] = [
      ['no token', () => undefined, 'UNAUTHORIZED'],
      ['a garbage token', () => 'not-a-token', 'UNAUTHORIZED'],
      [
        'a token signed with another secret',
        () =>
          createSigner({ key: 'other', iss: 'cctv-hub' })({
            sub: 'sec-op',
            role: 'operator',
            councilIds: [],
            sid: '00000000-0000-4000-8000-000000000000',
            exp: Math.floor(Date.now() / 1000) + 600,
          }),
        'UNAUTHORIZED',
      ],
      ['an unknown API key', () => `cctvk_aaaaaaaaaaaa_${'A'.repeat(43)}`, 'UNAUTHORIZED'],
    ];
    for (const [name, token, code] of cases) {
      it(`refuses ${name} on every non-public route (401 ${code})`, async () => {
        const refused: string[] = [];
        for (const op of operations) {
          if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
          const r = await call(
            op.method,
            fill(op.path),
            token(),
            op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
          );
          if (r.status !== 401 || (r.json as { code?: string }).code !== code)
            refused.push(`${op.method} ${op.path} -> ${r.status}`);
        }
        expect(refused).toEqual([]);
      });
    }

    it('refuses an expired token (signature valid, session open)', async () => {
      const token = await h.login('sec-op');
      const me = (await call('GET', '/api/auth/me', token)).json as { sessionId: string };
      const expired = createSigner({ key: SECRET, iss: 'cctv-hub', noTimestamp: true })({
        sub: 'sec-op',
        role: 'operator',
        councilIds: [],
        sid: me.sessionId,
        exp: Math.floor(Date.now() / 1000) - 5,
      });
      const r = await call('GET', '/api/cameras', expired);
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ code: 'TOKEN_EXPIRED' });
      expect((await call('GET', '/api/cameras', token)).status).toBe(200);
    });

    it('refuses a token after sign-out, on REST and on the socket', async () => {
      const token = await h.login('sec-control');
      const socket = await connect(token);
      const closed = new Promise<string>((resolve) => socket.on('disconnect', (why) => resolve(why)));
      expect((await call('POST', '/api/auth/logout', token)).status).toBe(204);
      const r = await call('GET', '/api/cameras', token);
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ code: 'TOKEN_REVOKED' });
      expect(await closed).toBe('io server disconnect');
      await expect(connect(token)).rejects.toThrow(/unauthorized/);
    });

    it('refuses a session an operator ended, and the tokens of a user whose role changed', async () => {
      await h.createUser('sec-temp', 'controlroom');
      const token = await h.login('sec-temp');
      const sessions = (await call('GET', '/api/users/sec-temp/sessions', tokens.op)).json as {
        id: string;
        revokedAt: string | null;
      }[];
      const open = sessions.find((s) => s.revokedAt === null);
      expect(open).toBeDefined();
      expect((await call('DELETE', `/api/auth/sessions/${open?.id}`, tokens.op)).status).toBe(204);
      expect((await call('GET', '/api/cameras', token)).json).toMatchObject({ code: 'TOKEN_REVOKED' });
      const second = await h.login('sec-temp');
      const changed = await call('PATCH', '/api/users/sec-temp', tokens.op, { role: 'auditor' });
      expect(changed.status).toBe(200);
      expect(changed.json).toMatchObject({ sessionsEnded: 1 });
      expect((await call('GET', '/api/cameras', second)).status).toBe(401);
      const disabled = await h.login('sec-temp');
      await call('PATCH', '/api/users/sec-temp', tokens.op, { disabled: true });
      expect((await call('GET', '/api/cameras', disabled)).status).toBe(401);
      expect(
        (await call('POST', '/api/auth/login', undefined, { username: 'sec-temp', password: 'demo' })).status,
      ).toBe(401);
    });

    it('refuses a revoked API key and an expired one; a live key is scoped to its councils', async () => {
      const r = await call('GET', '/api/cameras', keyA);
      expect(r.status).toBe(200);
      const ids = (r.json as { id: string }[]).map((c) => c.id);
      expect(ids.sort()).toEqual([...camsA].sort());
      const made = await call('POST', '/api/api-keys', tokens.op, { name: 'revoke me', role: 'auditor' });
      const { key, apiKey } = made.json as { key: string; apiKey: { id: string } };
      expect((await call('GET', '/api/audit', key)).status).toBe(200);
      expect((await call('DELETE', `/api/api-keys/${apiKey.id}`, tokens.op)).status).toBe(204);
      const revoked = await call('GET', '/api/audit', key);
      expect(revoked.status).toBe(401);
      expect(revoked.json).toMatchObject({ code: 'KEY_REVOKED' });
      const short = await call('POST', '/api/api-keys', tokens.op, {
        name: 'short lived',
        role: 'auditor',
        expiresAt: new Date(Date.now() + 1500).toISOString(),
      });
      const shortKey = (short.json as { key: string }).key;
      expect((await call('GET', '/api/audit', shortKey)).status).toBe(200);
      await new Promise((res) => setTimeout(res, 1600));
      expect((await call('GET', '/api/audit', shortKey)).json).toMatchObject({ code: 'KEY_EXPIRED' });
      // The key list never shows a secret.
      expect((await call('GET', '/api/api-keys', tokens.op)).body).not.toContain(
        key.slice('cctvk_'.length + 13),
      );
    });
  });

  describe("council A reading council B's data", () => {
    const leaks = (r: Result) => [...camsB, councilB].filter((id) => r.body.includes(id));
    const rows: [string, string, string, number[]][] = [
      ['camera list', 'GET', '/api/cameras', [200]],
      ['site list', 'GET', '/api/sites', [200]],
      ['council list', 'GET', '/api/councils', [200]],
      ['field-of-view map', 'GET', '/api/cameras/fov', [200]],
      ['fleet compliance', 'GET', '/api/compliance?scope=fleet', [200]],
      ['fleet summary', 'GET', '/api/summary?scope=fleet&window=24h', [200]],
      ['fleet uptime', 'GET', '/api/uptime?scope=fleet&window=24h&perCamera=true', [200]],
      ['maintenance list', 'GET', '/api/maintenance', [200]],
      ['audit log', 'GET', '/api/audit', [200]],
      ['audit export', 'GET', '/api/audit/export.csv', [200]],
      ['alerts', 'GET', '/api/alerts', [200]],
      ["B's camera", 'GET', '/api/cameras/{camB}', [404]],
      ["B's compliance", 'GET', '/api/compliance?scope=council&id={councilB}', [404]],
      ["B's camera compliance history", 'GET', '/api/compliance/cameras/{camB}/history', [404]],
      ["B's uptime", 'GET', '/api/uptime?scope=council&id={councilB}&window=24h', [404]],
      ["B's camera uptime", 'GET', '/api/uptime?scope=camera&id={camB}&window=24h', [404]],
      ["B's summary", 'GET', '/api/summary?scope=council&id={councilB}&window=24h', [404]],
      ["B's uptime report", 'GET', '/api/reports/councils/{councilB}/uptime.csv', [403, 404]],
      ["B's evidence pack", 'GET', '/api/reports/councils/{councilB}/evidence.pdf', [403, 404]],
      ["B's maintenance window", 'GET', '/api/maintenance/{windowB}', [404]],
      ["B's audit entries by filter", 'GET', '/api/audit?councilId={councilB}', [200, 400, 403]],
    ];
    for (const [name, method, template, statuses] of rows) {
      for (const as of ['officer', 'API key'] as const) {
        it(`${name} (${as}): ${statuses.join(' or ')}, nothing of B`, async () => {
          const path = template
            .replace('{camB}', camsB[0] as string)
            .replace('{councilB}', councilB)
            .replace('{windowB}', String(windowB));
          const r = await call(method, path, as === 'officer' ? tokens.a : keyA);
          expect(statuses).toContain(r.status);
          // A refusal is a bare error (its message may name what was asked for, nothing more).
          if (r.status >= 400)
            expect(Object.keys(r.json as object).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
          else expect(leaks(r)).toEqual([]);
        });
      }
    }

    it("cannot write to B's cameras, sites or records", async () => {
      const writes: [string, string, unknown][] = [
        [
          'POST',
          '/api/maintenance',
          {
            scope: 'camera',
            scopeId: camsB[0],
            title: 'x',
            startsAt: new Date(Date.now() + 86_400_000).toISOString(),
            endsAt: new Date(Date.now() + 90_000_000).toISOString(),
          },
        ],
        ['DELETE', `/api/maintenance/${windowB}`, undefined],
        [
          'PUT',
          `/api/compliance/records/${councilB}`,
          { lastReviewAt: null, dpiaAt: null, certificateIssuedAt: null },
        ],
        [
          'PUT',
          '/api/compliance/assignments',
          { scope: 'council', scopeId: councilB, code: 'public-space-baseline' },
        ],
        [
          'PUT',
          `/api/cameras/${camsB[0]}/geometry`,
          { location: { lat: 50.1, lon: -5.5 }, bearingDeg: 10, hfovDeg: 60, rangeM: 30 },
        ],
        ['POST', `/api/sites/${councilB}-site/mqtt-credentials`, undefined],
      ];
      for (const [method, path, body] of writes) {
        const r = await call(method, path, tokens.a, body);
        expect([403, 404], `${method} ${path}`).toContain(r.status);
      }
      expect((await call('GET', `/api/maintenance/${windowB}`, tokens.op)).status).toBe(200);
    });

    it("live sockets: A's snapshot and pushes never carry B's cameras", async () => {
      const socketA = await connect(tokens.a);
      const socketControl = await connect(tokens.control);
      const seenA: string[] = [];
      const seenControl: string[] = [];
      socketA.on('changes', (c: { cameras: { id: string }[] }) => seenA.push(...c.cameras.map((x) => x.id)));
      socketControl.on('changes', (c: { cameras: { id: string }[] }) =>
        seenControl.push(...c.cameras.map((x) => x.id)),
      );
      await sites[1]?.publish(
        'health',
        health(camsB[1] as string, 'down', [{ code: 'unreachable', message: 'no answer' }]),
        camsB[1],
      );
      await sites[0]?.publish(
        'health',
        health(camsA[1] as string, 'degraded', [{ code: 'low_fps', message: '5 fps' }]),
        camsA[1],
      );
      for (
        let i = 0;
        i < 100 && !(seenControl.includes(camsB[1] as string) && seenA.includes(camsA[1] as string));
        i++
      )
        await new Promise((res) => setTimeout(res, 50));
      expect(seenControl).toContain(camsB[1]);
      expect(seenA).toContain(camsA[1]);
      expect(seenA.filter((id) => id.startsWith(councilB))).toEqual([]);
      expect(JSON.stringify((socketA as Socket & { snapshot?: unknown }).snapshot)).not.toContain(councilB);
      socketA.close();
      socketControl.close();
    });
  });

  describe('roles', () => {
    it('refuses a feed for a control room without an incident reference, saying which field', async () => {
      for (const body of [
        { cameraId: camsA[0], reason: 'disorder reported' },
        { cameraId: camsA[0], incidentRef: '', reason: 'disorder reported' },
        { cameraId: camsA[0], incidentRef: "'; DROP TABLE audit_log; --", reason: 'disorder reported' },
      ]) {
        const r = await call('POST', '/api/feeds', tokens.control, body);
        expect(r.status).toBe(400);
        expect((r.json as { message: string }).message).toMatch(/incidentRef/);
      }
    });

    const writes: [string, string, unknown][] = [
      [
        'POST',
        '/api/maintenance',
        {
          scope: 'camera',
          scopeId: 'CAM',
          title: 'x',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          endsAt: new Date(Date.now() + 90_000_000).toISOString(),
        },
      ],
      [
        'PUT',
        '/api/cameras/CAM/geometry',
        { location: { lat: 50.1, lon: -5.5 }, bearingDeg: 10, hfovDeg: 60, rangeM: 30 },
      ],
      [
        'PUT',
        '/api/compliance/assignments',
        { scope: 'camera', scopeId: 'CAM', code: 'public-space-baseline' },
      ],
      ['POST', '/api/users', { username: 'sneaky', role: 'operator', councilIds: [] }],
      ['PATCH', '/api/users/sec-op', { disabled: true }],
      ['POST', '/api/users/sec-op/password', {}],
      ['DELETE', '/api/users/sec-op', undefined],
      ['POST', '/api/api-keys', { name: 'k', role: 'operator', councilIds: [] }],
      ['POST', '/api/sites/SITE/mqtt-credentials', undefined],
      ['DELETE', '/api/sites/SITE/mqtt-credentials', undefined],
      ['POST', '/api/feeds', { cameraId: 'CAM', incidentRef: 'INC-1', reason: 'curious' }],
    ];
    for (const [method, template, body] of writes) {
      it(`refuses an auditor: ${method} ${template} (403)`, async () => {
        const path = template.replace('CAM', camsA[0] as string).replace('SITE', `${councilA}-site`);
        const payload =
          body === undefined
            ? undefined
            : JSON.parse(JSON.stringify(body).replace('CAM', camsA[0] as string));
        const before = (
          await h.hub.database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')
        ).rows[0]?.n;
        const r = await call(method, path, tokens.auditor, payload);
        expect(r.status).toBe(403);
        const after = (
          await h.hub.database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')
        ).rows[0]?.n;
        if (template === '/api/feeds') {
          // An attempt to watch a live feed is evidence even when refused: exactly one feed.refused entry.
          expect(after).toBe((before ?? 0) + 1);
          const last = await h.hub.database.pool.query<{ kind: string; actor: string; code: string }>(
            "SELECT kind, actor, detail->>'code' AS code FROM audit_log ORDER BY seq DESC LIMIT 1",
          );
          expect(last.rows[0]).toEqual({ kind: 'feed.refused', actor: 'sec-auditor', code: 'FORBIDDEN' });
        } else {
          // Any other refused write leaves the log as it was.
          expect(after).toBe(before);
        }
      });
    }

    it('refuses an auditor on every write route (never 2xx)', async () => {
      const allowed: string[] = [];
      for (const op of operations) {
        // Incident search is a read (POST for its body); the caller's own session routes are not writes to others.
        if (
          op.method === 'GET' ||
          PUBLIC.has(`${op.method} ${op.path}`) ||
          op.path.startsWith('/api/auth/') ||
          op.path === '/api/incidents/search'
        )
          continue;
        const r = await call(
          op.method,
          fill(op.path, camsA[0]),
          tokens.auditor,
          op.method === 'DELETE' ? undefined : {},
        );
        if (r.status < 300) allowed.push(`${op.method} ${op.path} -> ${r.status}`);
      }
      expect(allowed).toEqual([]);
      expect((await call('GET', '/api/users', tokens.op)).body).not.toContain('sneaky');
    });

    it('keeps users and keys to operators; control rooms out of audit and reports', async () => {
      expect((await call('GET', '/api/users', tokens.a)).status).toBe(403);
      expect((await call('GET', '/api/api-keys', tokens.control)).status).toBe(403);
      expect((await call('GET', '/api/ingest/dead-letters', tokens.a)).status).toBe(403);
      expect((await call('GET', '/api/audit', tokens.control)).status).toBe(403);
      expect((await call('GET', `/api/reports/councils/${councilA}/uptime.csv`, tokens.control)).status).toBe(
        403,
      );
    });
  });

  describe('hostile input', () => {
    /** Every string in a body replaced, one at a time, by `value`. */
    function* mutations(body: unknown, value: string, path: string[] = []): Generator<[string, unknown]> {
      if (typeof body === 'string') yield [path.join('.'), value];
      else if (Array.isArray(body))
        for (const [i, item] of body.entries())
          for (const [where, m] of mutations(item, value, [...path, String(i)]))
            yield [where, body.map((x, j) => (j === i ? m : x))];
      else if (body && typeof body === 'object')
        for (const [k, v] of Object.entries(body))
          for (const [where, m] of mutations(v, value, [...path, k])) yield [where, { ...body, [k]: m }];
    }

    it('survives SQL injection strings in every text field, query and path parameter', async () => {
      const counts = async () =>
        (
          await h.hub.database.pool.query<{
            users: number;
            cameras: number;
            intervals: number;
            audit: number;
          }>(
            `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM cameras)::int AS cameras,
                    (SELECT count(*) FROM camera_state_intervals)::int AS intervals, (SELECT count(*) FROM audit_log)::int AS audit`,
          )
        ).rows[0];
      const before = await counts();
      const bodies: [string, string, unknown][] = [
        ['POST', '/api/auth/login', { username: 'sec-op', password: 'demo' }],
        ['POST', '/api/incidents/search', { point: { lat: 50.1, lon: -5.5 }, radiusM: 500 }],
        [
          'POST',
          '/api/maintenance',
          {
            scope: 'camera',
            scopeId: camsA[0],
            title: 'x',
            startsAt: new Date(Date.now() + 86_400_000).toISOString(),
            endsAt: new Date(Date.now() + 90_000_000).toISOString(),
          },
        ],
        [
          'PUT',
          '/api/compliance/assignments',
          { scope: 'camera', scopeId: camsA[0], code: 'public-space-baseline' },
        ],
        ['POST', '/api/users', { username: 'inj', role: 'council', councilIds: [councilA] }],
        ['POST', '/api/api-keys', { name: 'inj', role: 'council', councilIds: [councilA] }],
        ['POST', '/api/feeds', { cameraId: camsA[0], incidentRef: 'INC-1', reason: 'test reason' }],
        [
          'PUT',
          `/api/compliance/records/${councilA}`,
          { lastReviewAt: null, dpiaAt: null, certificateIssuedAt: null },
        ],
        ['POST', '/api/auth/password', { currentPassword: 'wrong-password', newPassword: 'x' }],
      ];
      const failures: string[] = [];
      const check = (what: string, r: Result) => {
        // Feed errors are deliberate upstream answers (no camera stream here), with their own codes.
        const feedError = String((r.json as { code?: unknown } | null)?.code ?? '').startsWith('FEED_');
        if (
          (r.status >= 500 && !feedError) ||
          /syntax error at or near|unterminated quoted|relation "[^"]*" does not exist|SQLSTATE|invalid input syntax/i.test(
            r.body,
          )
        )
          failures.push(`${what} -> ${r.status} ${r.body.slice(0, 120)}`);
      };
      for (const injection of SQL_INJECTIONS) {
        for (const [method, path, body] of bodies)
          for (const [where, mutated] of mutations(body, injection))
            check(`${method} ${path} ${where}`, await call(method, path, tokens.op, mutated));
        for (const op of operations.filter((o) => o.method === 'GET'))
          check(`GET ${op.path} (path)`, await call('GET', fill(op.path, injection), tokens.op));
        for (const query of [
          'scope=camera&id=',
          'scope=fleet&window=',
          'q=',
          'kind=',
          'actor=',
          'cameraId=',
          'incidentRef=',
          'from=',
        ])
          for (const path of [
            '/api/uptime',
            '/api/summary',
            '/api/compliance',
            '/api/audit',
            '/api/places',
            '/api/cameras',
            '/api/maintenance',
          ])
            check(
              `GET ${path}?${query}`,
              await call('GET', `${path}?${query}${encodeURIComponent(injection)}`, tokens.op),
            );
      }
      expect(failures).toEqual([]);
      const after = await counts();
      expect(after?.users).toBe(before?.users);
      expect(after?.cameras).toBe(before?.cameras);
      expect(after?.intervals).toBeGreaterThanOrEqual(before?.intervals ?? 0);
      expect(after?.audit).toBeGreaterThanOrEqual(before?.audit ?? 0);
      expect(((await call('GET', '/api/audit/verify', tokens.auditor)).json as { ok: boolean }).ok).toBe(
        true,
      );
    }, 300_000);

    it('refuses path traversal in feed, report and dashboard URLs', async () => {
      const signer = new FeedUrlSigner(SECRET);
      const session = 'ab'.repeat(16);
      const expires = Date.now() + 60_000;
      const signed = `/feeds/${session}/${expires}/${signer.sign(session, expires)}`;
      const attempts = [
        `${signed}/..%2f..%2f..%2f..%2fetc%2fpasswd`,
        `${signed}/..%2F..%2Fpackage.json`,
        `${signed}/%2e%2e%2fsecret`,
        `${signed}/index.m3u8%00.ts`,
        `${signed}/../../../../etc/passwd`,
        '/feeds/../../../etc/passwd',
        '/feeds/x/1/y/..%2f..%2f..%2fetc%2fpasswd',
        '/api/reports/councils/..%2f..%2f..%2fetc/passwd',
        `/api/reports/councils/${councilA}/..%2f..%2f..%2fetc%2fpasswd`,
        `/api/reports/councils/${councilA}/%2e%2e%2f%2e%2e%2fpackage.json`,
        '/..%2f..%2f..%2f..%2fetc%2fpasswd',
        '/../../../../etc/passwd',
        '/assets/..%2f..%2f..%2fpackage.json',
      ];
      for (const path of attempts) {
        const r = await rawGet(path);
        expect(r.body, path).not.toMatch(/root:x:0:0|"devDependencies"|BEGIN (RSA |EC )?PRIVATE KEY/);
        if (path.startsWith('/feeds') || path.startsWith('/api'))
          expect([400, 401, 403, 404], path).toContain(r.status);
      }
    });

    it('refuses oversized bodies (413) and unknown fields (400, naming the field)', async () => {
      const big = JSON.stringify({ username: 'x'.repeat(2_000_000), password: 'y' });
      const r = await call('POST', '/api/auth/login', undefined, big);
      expect(r.status, r.body).toBe(413);
      expect(r.json).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
      const polygon = {
        polygon: { type: 'Polygon', coordinates: [Array.from({ length: 120_000 }, (_, i) => [i / 1e5, 50])] },
      };
      expect((await call('POST', '/api/incidents/search', tokens.control, polygon)).status).toBe(413);
      const extra = await call('POST', '/api/incidents/search', tokens.control, {
        point: { lat: 50.1, lon: -5.5 },
        admin: true,
      });
      expect(extra.status).toBe(400);
      expect((extra.json as { message: string }).message).toMatch(/unknown field "admin"/);
      // The hub is still serving.
      expect((await call('GET', '/api/cameras', tokens.op)).status).toBe(200);
    });

    it('closes a socket that sends an oversized message, and keeps serving others', async () => {
      const socket = await connect(tokens.control);
      const other = await connect(tokens.op);
      const closed = new Promise<string>((resolve) => socket.on('disconnect', (why) => resolve(why)));
      socket.emit('alert:acknowledge', { id: 'x'.repeat(200_000) });
      expect(await closed).toMatch(/transport close|transport error/);
      expect(other.connected).toBe(true);
      other.close();
    });

    it('sends security headers', async () => {
      const r = await call('GET', '/api/ui-config');
      expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(r.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(r.headers.get('x-powered-by')).toBeNull();
    });
  });

  const connect = (token: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(h.hub.url, { auth: { token }, transports: ['websocket'], reconnection: false });
      socket.once('snapshot', (snapshot: unknown) => {
        (socket as Socket & { snapshot?: unknown }).snapshot = snapshot;
        resolve(socket);
      });
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
});

describe('security suite: rate limits', () => {
  let h: HubHarness;
  /** A second hub with tighter login limits, for the shared control-room login (started beside h). */
  let shared: HubHarness;

  beforeAll(async () => {
    await startTogether(
      startHub({
        CCTV_HUB__auth__loginAttempts: '5',
        CCTV_HUB__auth__loginAttemptsPerAddress: '14',
        CCTV_HUB__auth__loginWindowMs: '60000',
        CCTV_HUB__http__rateLimitPerMinute: '40',
      }).then((x) => {
        h = x;
      }),
      startHub({
        CCTV_HUB__auth__loginAttempts: '3',
        CCTV_HUB__auth__loginAttemptsPerAddress: '6',
        CCTV_HUB__auth__loginWindowMs: '60000',
      }).then((x) => {
        shared = x;
      }),
    );
    await h.createUser('victim', 'operator', [], 'correct-horse-battery');
    await h.createUser('other', 'operator', [], 'other-password-ok');
  }, 180_000);

  afterAll(() =>
    closeAll(
      async () => h?.stop(),
      async () => shared?.stop(),
    ),
  );

  const login = async (username: string, password: string) => {
    const r = await fetch(`${h.hub.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return { status: r.status, body: (await r.json()) as { code?: string; message?: string } };
  };

  it('limits login brute force per user name and per address, and audits it once', async () => {
    for (let i = 0; i < 5; i++) expect((await login('victim', `guess-${i}`)).status).toBe(401);
    const limited = await login('victim', 'guess-5');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('LOGIN_RATE_LIMITED');
    expect(limited.body.message).toMatch(/at most 5 per 1 min/);
    // Even the right password waits out the window.
    expect((await login('victim', 'correct-horse-battery')).status).toBe(429);
    // Another user name from the same address still gets through, up to the address limit.
    expect((await login('other', 'other-password-ok')).status).toBe(200);
    const results: number[] = [];
    for (let i = 0; i < 10; i++) results.push((await login(`spray-${i}`, 'password')).status);
    // Failures count, nothing else: the address has 5 of its 14 (the refused attempts and the success
    // count none), so 9 more guesses are answered, then it waits.
    expect(results.slice(0, 9)).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401]);
    expect(results.at(-1)).toBe(429);
    const entries = await h.hub.database.pool.query<{ actor: string; detail: { limit: string } }>(
      "SELECT actor, detail FROM audit_log WHERE kind = 'login.limited' ORDER BY seq",
    );
    expect(entries.rows.filter((e) => e.actor === 'victim')).toHaveLength(1);
    expect(entries.rows.some((e) => e.detail.limit === 'address')).toBe(true);
  });

  it('never limits an account that signs in successfully, however often (a shared control-room login)', async () => {
    await shared.createUser('control-room', 'controlroom', [], 'shared-login-ok-1');
    const attempt = async (password: string) =>
      (
        await fetch(`${shared.hub.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'control-room', password }),
        })
      ).status;
    const statuses: number[] = [];
    // More successes than either limit allows attempts.
    for (let i = 0; i < 8; i++) statuses.push(await attempt('shared-login-ok-1'));
    expect(statuses).toEqual(Array(8).fill(200));
    // A mistyped password now and then, each followed by a good one, never adds up to a lock-out.
    for (let i = 0; i < 3; i++) {
      expect(await attempt('typo')).toBe(401);
      expect(await attempt('shared-login-ok-1')).toBe(200);
    }
    // Three wrong in a row still lock the name out.
    for (let i = 0; i < 3; i++) expect(await attempt(`guess-${i}`)).toBe(401);
    expect(await attempt('shared-login-ok-1')).toBe(429);
  });

  it('limits API requests per address with a clear 429', async () => {
    const statuses: number[] = [];
    let last: { code?: string; message?: string } = {};
    for (let i = 0; i < 45; i++) {
      const r = await fetch(`${h.hub.url}/api/ui-config`);
      statuses.push(r.status);
      if (r.status === 429) last = (await r.json()) as typeof last;
      else await r.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(40);
    expect(statuses.at(-1)).toBe(429);
    expect(last.code).toBe('RATE_LIMITED');
    expect(last.message).toMatch(/at most 40 per minute/);
  });
});
