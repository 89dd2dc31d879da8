import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../hub-server/src/audit/audit-log.ts';
import type { AuditEntry, AuditPage, AuditVerifyResult } from '../../../src/schemas/audit-api.ts';
import type { MaintenanceWindowView } from '../../../src/schemas/maintenance.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { inventory, SitePublisher } from '../../support/site-publisher.ts';

// The audit log through the API on a real hub and database: logins, exports and configuration
// changes are recorded with the right actor; council officers see their councils' entries only;
// control rooms see nothing; the database refuses changes; concurrent appends stay one chain.

const H = 3_600_000;

describe('audit log', () => {
  let h: HubHarness;
  let op: string;
  let officerA: string;
  const councilA = uniqueId('council-a');
  const councilB = uniqueId('council-b');
  const siteA = `${councilA}-site`;
  const siteB = `${councilB}-site`;
  const camA = `${siteA}-cam`;
  const sites: SitePublisher[] = [];

  const call = async <T>(method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.startsWith('application/json');
    return { status: response.status, text, body: (json && text ? JSON.parse(text) : null) as T };
  };
  const entries = async (query: string, token = op) => {
    const r = await call<AuditPage>('GET', `/api/audit?${query}`, token);
    expect(r.status).toBe(200);
    return r.body.entries;
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    await h.createUser('aud', 'auditor');
    await h.createUser('control', 'controlroom');
    await h.createUser('officer-a', 'council', [councilA]);
    await h.createUser('officer-b', 'council', [councilB]);
    for (const [council, site] of [
      [councilA, siteA],
      [councilB, siteB],
    ] as const) {
      await h.registerSite(site, council, { cameraIds: [`${site}-cam`] });
      const publisher = new SitePublisher(site, h.hub.mqttUrl);
      await publisher.connect(false);
      await publisher.publish('inventory', inventory(council, [`${site}-cam`]));
      sites.push(publisher);
    }
    op = await h.login('op');
    for (let i = 0; i < 200; i++) {
      const r = await call<{ id: string }[]>('GET', '/api/sites', op);
      if (r.body.filter((s) => s.id === siteA || s.id === siteB).length === 2) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    officerA = await h.login('officer-a');
  }, 180_000);

  afterAll(async () => {
    for (const s of sites) await s.close();
    await h?.stop();
  });

  it('records successful and refused logins with the user name, never the password', async () => {
    const refused = await fetch(`${h.hub.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'op', password: 'not-the-password-x9' }),
    });
    expect(refused.status).toBe(401);
    const logins = await entries('kind=login');
    const success = logins.find((e) => e.kind === 'login.success' && e.actor === 'officer-a');
    expect(success).toMatchObject({ role: 'council', councilId: null });
    const failed = logins.find((e) => e.kind === 'login.refused' && e.actor === 'op');
    expect(failed).toMatchObject({ role: null, detail: { cause: 'wrong password' } });
    const raw = await h.hub.database.pool.query(
      'SELECT count(*)::int AS n FROM audit_log WHERE detail::text LIKE $1',
      ['%not-the-password-x9%'],
    );
    expect(raw.rows[0].n).toBe(0);
    expect(JSON.stringify(logins)).not.toContain('not-the-password-x9');
  });

  it('records a report download with the officer, the council and the file', async () => {
    const r = await call('GET', `/api/reports/councils/${councilA}/uptime.csv?month=2026-01`, officerA);
    expect(r.status).toBe(200);
    const [latest] = await entries('kind=export');
    expect(latest).toMatchObject({
      kind: 'export.report',
      actor: 'officer-a',
      role: 'council',
      councilId: councilA,
      subject: `council:${councilA}`,
      detail: { file: 'uptime.csv', month: '2026-01' },
    });
  });

  it('records maintenance window create, edit, end and delete with the actor and council', async () => {
    const now = Date.now();
    const created = await call<MaintenanceWindowView>('POST', '/api/maintenance', officerA, {
      scope: 'site',
      scopeId: siteA,
      title: 'Mast repair',
      reason: 'storm damage',
      startsAt: iso(now + 2 * H),
      endsAt: iso(now + 3 * H),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      (await call('PATCH', `/api/maintenance/${id}`, officerA, { title: 'Mast repair, day 2' })).status,
    ).toBe(200);
    expect((await call('DELETE', `/api/maintenance/${id}`, op)).status).toBe(204);
    const running = await call<MaintenanceWindowView>('POST', '/api/maintenance', op, {
      scope: 'camera',
      scopeId: camA,
      title: 'Lens',
      startsAt: iso(Date.now()),
      endsAt: iso(Date.now() + H),
    });
    expect(running.status).toBe(201);
    expect((await call('POST', `/api/maintenance/${running.body.id}/end`, op)).status).toBe(200);

    const changes = (await entries('kind=config.maintenance')).reverse();
    expect(changes.map((e) => [e.kind, e.actor, e.subject])).toEqual([
      ['config.maintenance.create', 'officer-a', `maintenance-window:${id}`],
      ['config.maintenance.update', 'officer-a', `maintenance-window:${id}`],
      ['config.maintenance.delete', 'op', `maintenance-window:${id}`],
      ['config.maintenance.create', 'op', `maintenance-window:${running.body.id}`],
      ['config.maintenance.end', 'op', `maintenance-window:${running.body.id}`],
    ]);
    expect(changes.every((e) => e.councilId === councilA)).toBe(true);
    expect(changes[0]).toMatchObject({ role: 'council', reason: 'storm damage', detail: { scopeId: siteA } });
    expect(changes[1]?.detail).toMatchObject({ changes: { title: 'Mast repair, day 2' } });
    // A refused change is not a change: nothing is recorded for it.
    const before = (await entries('limit=1'))[0]?.seq;
    const past = await call('POST', '/api/maintenance', op, {
      scope: 'site',
      scopeId: siteA,
      title: 'x',
      startsAt: iso(Date.now() - 2 * H),
      endsAt: iso(Date.now() + H),
    });
    expect(past.status).toBe(400);
    expect((await entries('limit=1'))[0]?.seq).toBe(before);
  });

  it('records certification assignments and scheme records', async () => {
    const assign = await call('PUT', '/api/compliance/assignments', op, {
      scope: 'site',
      scopeId: siteB,
      code: 'public-space-baseline',
    });
    expect(assign.status).toBe(200);
    const records = await call('PUT', `/api/compliance/records/${councilA}`, officerA, {
      lastReviewAt: iso(Date.now() - 30 * 24 * H),
      dpiaAt: null,
      certificateIssuedAt: null,
    });
    expect(records.status).toBe(200);
    const [rec, asg] = await entries('kind=config.compliance');
    expect(asg).toMatchObject({
      kind: 'config.compliance.assign',
      actor: 'op',
      councilId: councilB,
      subject: `site:${siteB}`,
      detail: { code: 'public-space-baseline', version: null },
    });
    expect(rec).toMatchObject({
      kind: 'config.compliance.records',
      actor: 'officer-a',
      councilId: councilA,
      detail: { dpiaAt: null },
    });
  });

  it('shows council officers only their councils entries, in search and export', async () => {
    await call('POST', '/api/maintenance', op, {
      scope: 'site',
      scopeId: siteB,
      title: 'B only',
      startsAt: iso(Date.now() + 5 * H),
      endsAt: iso(Date.now() + 6 * H),
    });
    const all = await entries('limit=1000', await h.login('aud'));
    expect(all.some((e) => e.councilId === councilB)).toBe(true);
    expect(all.some((e) => e.councilId === null)).toBe(true);
    const mine = await entries('limit=1000', officerA);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBe(all.filter((e) => e.councilId === councilA).length);
    expect(mine.every((e) => e.councilId === councilA)).toBe(true);
    const officerB = await h.login('officer-b');
    const theirs = await entries('kind=config', officerB);
    // Their site's registration by the operator is theirs to see too.
    expect(theirs.map((e) => e.kind).sort()).toEqual([
      'config.compliance.assign',
      'config.maintenance.create',
      'config.site.register',
    ]);
    expect(theirs.find((e) => e.kind === 'config.site.register')).toMatchObject({
      actor: 'test-operator',
      councilId: councilB,
      subject: `site:${siteB}`,
    });

    const csv = await call('GET', '/api/audit/export.csv', officerA);
    expect(csv.status).toBe(200);
    const rows = parse(csv.text, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.length).toBe(mine.length);
    expect(new Set(rows.map((r) => r.council_id))).toEqual(new Set([councilA]));
  });

  it('refuses control rooms everything, and verification to council officers', async () => {
    const control = await h.login('control');
    for (const path of ['/api/audit', '/api/audit/export.csv', '/api/audit/verify']) {
      const r = await call<{ code: string }>('GET', path, control);
      expect(r.status, path).toBe(403);
      expect(r.body.code).toBe('FORBIDDEN');
    }
    expect((await call('GET', '/api/audit/verify', officerA)).status).toBe(403);
    expect((await fetch(`${h.hub.url}/api/audit`)).status).toBe(401);
  });

  it('filters by kind, actor, period, camera and incident, and pages newest first', async () => {
    const audit = new AuditLog(h.hub.database.pool);
    for (const incidentRef of ['INC-7', 'INC-8']) {
      await audit.append({
        kind: 'feed.start',
        actor: 'control',
        role: 'controlroom',
        councilId: councilA,
        cameraId: camA,
        incidentRef,
        reason: 'assault reported',
        detail: { sessionId: `s-${incidentRef}` },
      });
    }
    const feed = await entries(`cameraId=${camA}`);
    expect(feed.map((e) => e.incidentRef)).toEqual(['INC-8', 'INC-7']);
    expect(feed[0]).toMatchObject({
      subject: `camera:${camA}`,
      reason: 'assault reported',
      actor: 'control',
    });
    expect((await entries('incidentRef=INC-7')).map((e) => e.detail)).toEqual([{ sessionId: 's-INC-7' }]);
    expect((await entries('actor=officer-a')).every((e) => e.actor === 'officer-a')).toBe(true);
    expect((await entries(`to=${encodeURIComponent(iso(Date.now() - 24 * H))}`)).length).toBe(0);
    expect((await entries(`from=${encodeURIComponent(iso(Date.now() - H))}`)).length).toBeGreaterThan(10);

    const first = await call<AuditPage>('GET', '/api/audit?limit=3', op);
    expect(first.body.entries).toHaveLength(3);
    const seqs = first.body.entries.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(first.body.nextBefore).toBe(seqs[2]);
    const second = await call<AuditPage>('GET', `/api/audit?limit=3&before=${first.body.nextBefore}`, op);
    expect(second.body.entries[0]?.seq).toBe((seqs[2] as number) - 1);
    const last = await call<AuditPage>('GET', '/api/audit?limit=1000', op);
    expect(last.body.nextBefore).toBeNull();
    expect((await call('GET', '/api/audit?kind=DROP%20TABLE', op)).status).toBe(400);
  });

  it('exports RFC 4180 CSV with the formula guard and records the export', async () => {
    const audit = new AuditLog(h.hub.database.pool);
    await audit.append({ kind: 'login.refused', actor: '=HYPERLINK("x","y")', role: null, detail: {} });
    const r = await call('GET', '/api/audit/export.csv?kind=login.refused', op);
    expect(r.status).toBe(200);
    const rows = parse(r.text, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.at(-1)?.actor).toBe('\'=HYPERLINK("x","y")');
    expect(rows.every((row) => row.kind === 'login.refused')).toBe(true);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.hash ?? ''))).toBe(true);
    const [exported] = await entries('kind=export.audit');
    expect(exported).toMatchObject({
      actor: 'op',
      detail: { entries: rows.length, filter: { kind: 'login.refused' } },
    });
  });

  it('keeps one gapless chain under concurrent appends from several connections', async () => {
    const pools = [h.hub.database.pool];
    // Real PostgreSQL: a second pool stands for a second hub process.
    if (h.services.databaseUrl) pools.push(new pg.Pool({ connectionString: h.services.databaseUrl, max: 4 }));
    try {
      const logs = pools.map((p) => new AuditLog(p));
      await Promise.all([
        ...Array.from({ length: 40 }, (_, i) =>
          (logs[i % logs.length] as AuditLog).append({
            kind: 'feed.end',
            actor: `c${i}`,
            role: 'controlroom',
            cameraId: camA,
            detail: { i },
          }),
        ),
        ...Array.from({ length: 5 }, () => h.login('op')),
      ]);
    } finally {
      for (const p of pools.slice(1)) await p.end();
    }
    const seqs = await h.hub.database.pool.query<{ seq: number }>('SELECT seq FROM audit_log ORDER BY seq');
    expect(seqs.rows.map((r) => r.seq)).toEqual(seqs.rows.map((_, i) => i + 1));
    const verify = await call<AuditVerifyResult>('GET', '/api/audit/verify', op);
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, problem: null, checked: seqs.rows.length });
    expect(verify.body.head?.seq).toBe(seqs.rows.length);
  });

  it('is refused UPDATE, DELETE and TRUNCATE by the database, and the chain head cannot be moved', async () => {
    const db = h.hub.database.pool;
    const head = await db.query<{ seq: number }>('SELECT seq FROM audit_chain_head');
    const n = head.rows[0]?.seq as number;
    for (const sql of [
      "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2",
      'DELETE FROM audit_log WHERE seq = 2',
      `DELETE FROM audit_log WHERE seq = ${n}`,
      'TRUNCATE audit_log',
      'TRUNCATE audit_chain_head',
      'DELETE FROM audit_chain_head',
    ]) {
      await expect(db.query(sql), sql).rejects.toThrow(
        /is append-only: (UPDATE|DELETE|TRUNCATE) is not allowed/,
      );
    }
    await expect(db.query('UPDATE audit_chain_head SET seq = seq - 1')).rejects.toThrow(
      'audit_chain_head can only advance to the entry just appended',
    );
    const count = await db.query<{ n: number; actors: number }>(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE actor = 'nobody')::int AS actors FROM audit_log",
    );
    expect(count.rows[0]).toEqual({ n, actors: 0 });
    const verify = await call<AuditVerifyResult>('GET', '/api/audit/verify', await h.login('aud'));
    expect(verify.body.ok).toBe(true);
  });

  it('lists the audit routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${h.hub.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/audit', '/api/audit/export.csv', '/api/audit/verify']),
    );
    const entry: AuditEntry | undefined = (await entries('limit=1'))[0];
    expect(entry?.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
