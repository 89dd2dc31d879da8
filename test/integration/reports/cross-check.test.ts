import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentText } from '../../../hub-server/src/reports/format.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { pdfPages } from '../../support/pdf-text.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// An auditor's cross-check: the evidence pack, the CSV exports, the pack's JSON and the uptime and
// compliance APIs for the same council and month, at the same hub time, give the same figure for
// every shared fact: availability per camera (table and rule alike), clock readings and the worst
// one, maintenance time, retention, the evaluation time. One camera is approved 20 minutes after it
// was first seen, so time before its approval must count nowhere: neither in the table nor in the
// availability rule. Driven by a fake hub clock so every figure is exact.

/**
 * poppler-utils' pdftoppm renders the pages: CI installs it (and with CI=true the step fails without
 * it); a machine with only Node and npm leaves the PNG step out, saying so.
 */
const RENDER_PNG =
  spawnSync('pdftoppm', ['-v'], { stdio: 'ignore' }).error === undefined || process.env.CI === 'true';
if (!RENDER_PNG)
  console.warn(
    'pdftoppm not found: evidence pack pages are not rendered to PNG (apt-get install -y poppler-utils)',
  );

const MIN = 60_000;
const T0 = Date.parse('2026-03-10T09:00:00Z');
const MONTH = '2026-03';

interface JsonRule {
  ruleId: string;
  kind: string;
  status: string;
  reason: string;
  value?: string;
  evidence: { values: Record<string, unknown>; observedAtMs?: number };
}
interface JsonCamera {
  id: string;
  uptime: {
    availability: number | null;
    observed: number | null;
    durationsMs: Record<'up' | 'degraded' | 'down' | 'unknown' | 'maintenance', number>;
  };
  compliance: { ref: string; evaluatedAt: string; results: JsonRule[] } | null;
  clock: {
    readings: number;
    worstMs: number | null;
    worstAt: string | null;
    minMs: number | null;
    maxMs: number | null;
  };
  retentionDays: number | null;
}
interface EvidenceJson {
  evaluatedAt: string;
  measuredTo: string;
  period: { from: string; to: string };
  cameras: JsonCamera[];
  maintenance: { id: number; inPeriodMs: number }[];
  principles: { number: number; standing: string }[];
}

const hours3 = (ms: number) => (ms / 3_600_000).toFixed(3);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const norm = (s: string) => s.replace(/\s+/g, ' ');

describe('cross-check: evidence pack, CSVs and API agree for one council and month', () => {
  let h: HubHarness;
  let clock = T0;
  let token = '';
  let site: SitePublisher;
  const council = uniqueId('xcheck');
  const siteId = uniqueId('xsite');
  const camA = `${siteId}-a`;
  const camB = `${siteId}-b`;
  const late = `${siteId}-late`;
  // Camera A's clock readings, one per 10-minute poll (null: it was down and gave none). The worst
  // is -1.904 s; the latest, which the clock rule judges, is 0.421 s.
  const offsetsA = [150, 800, null, -1904, 300, -80, 421];
  const offsetsB = [20, 25, -30, 15, 10, 12, 18];
  const files: Record<string, Buffer> = {};
  let json: EvidenceJson;
  let pdfText = '';

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  };
  const apiJson = async <T>(method: string, path: string, body?: unknown) => {
    const r = await api(method, path, body);
    expect(r.status, `${method} ${path}: ${r.body.toString('utf8')}`).toBeLessThan(300);
    return JSON.parse(r.body.toString('utf8')) as T;
  };
  const clockReading = (offsetMs: number) => ({
    offsetMs,
    roundTripMs: 4,
    dateTimeType: 'NTP' as const,
    timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
    daylightSavings: false,
  });
  /** One poll of every camera at the hub's current time, stored before it returns. */
  const poll = async (k: number) => {
    const before = h.hub.pipeline.stats.received;
    const a = offsetsA[k] ?? null;
    const b = offsetsB[k] ?? null;
    const at = new Date(clock);
    await site.publish(
      'health',
      {
        ...health(
          camA,
          a === null ? 'down' : 'up',
          a === null ? [{ code: 'unreachable', message: 'no answer' }] : [],
        ),
        clock: a === null ? null : clockReading(a),
      },
      camA,
      at,
    );
    await site.publish(
      'health',
      { ...health(camB, 'up'), clock: b === null ? null : clockReading(b) },
      camB,
      at,
    );
    await site.publish(
      'health',
      health(late, k < 2 ? 'down' : 'up', k < 2 ? [{ code: 'unreachable', message: 'no answer' }] : []),
      late,
      at,
    );
    // Retention as the agent reads it from the recorder: 40 days for A, 14 for B, none for the late one.
    for (const [cameraId, days] of [
      [camA, 40],
      [camB, 14],
    ] as const)
      await site.publish(
        'recording',
        {
          cameraId,
          source: 'recorder',
          recorderId: 'nvr-1',
          recordingToken: `REC_${cameraId}`,
          daysRetained: days,
          earliestAt: new Date(at.getTime() - (days + 0.5) * 86_400_000).toISOString(),
          latestAt: at.toISOString(),
        },
        cameraId,
        at,
      );
    for (let i = 0; i < 500 && h.hub.pipeline.stats.received < before + 5; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
    // Let the state sweep (every 500 ms) see the new time: maintenance windows start and end on it.
    await new Promise((r) => setTimeout(r, 1_200));
  };

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__state__staleAfterMs: String(60 * MIN),
        CCTV_HUB__compliance__evaluateIntervalMs: '1000',
      },
      { now: () => clock },
    );
    await h.createUser('xcheck-op', 'operator');
    token = await h.login('xcheck-op');
    await h.registerSite(siteId, council, { cameraIds: [camA, camB] });
    await apiJson('PUT', '/api/compliance/assignments', {
      scope: 'council',
      scopeId: council,
      code: 'police-evidential',
    });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    const before = h.hub.pipeline.stats.received;
    await site.publish('inventory', inventory(council, [camA, camB, late]), undefined, new Date(clock));
    await site.publish('siteState', { state: 'online' }, undefined, new Date(clock));
    for (let i = 0; i < 500 && h.hub.pipeline.stats.received < before + 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
    for (let k = 0; k < offsetsA.length; k++) {
      clock = T0 + k * 10 * MIN;
      await poll(k);
      // The late camera is approved at 20 minutes: it counts from then on, never before.
      if (k === 2) {
        await apiJson('POST', `/api/registry/cameras/${late}/approval`, {
          decision: 'approve',
          note: 'commissioned',
        });
      }
      if (k === 3) {
        await apiJson('POST', '/api/maintenance', {
          scope: 'camera',
          scopeId: camB,
          title: 'Lens cleaning',
          reason: 'annual',
          startsAt: new Date(T0 + 35 * MIN).toISOString(),
          endsAt: new Date(T0 + 45 * MIN).toISOString(),
        });
      }
    }
    // The live compliance status, evaluated by the periodic job at this same hub time.
    const evaluatedAt = new Date(clock).toISOString();
    for (let i = 0; i < 100; i++) {
      const live = await apiJson<{ cameras: { evaluatedAt: string }[] }>(
        'GET',
        `/api/compliance?scope=council&id=${council}`,
      );
      if (live.cameras.length === 3 && live.cameras.every((c) => c.evaluatedAt === evaluatedAt)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const file of [
      'evidence.pdf',
      'evidence.json',
      'uptime.csv',
      'compliance.csv',
      'clock.csv',
      'maintenance.csv',
    ]) {
      const r = await api('GET', `/api/reports/councils/${council}/${file}?month=${MONTH}`);
      expect(r.status, `${file}: ${r.body.toString('utf8').slice(0, 300)}`).toBe(200);
      files[file] = r.body;
    }
    json = JSON.parse(files['evidence.json']!.toString('utf8')) as EvidenceJson;
    pdfText = norm((await pdfPages(files['evidence.pdf']!)).join(' '));
  }, 300_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  const csv = (file: string) =>
    parse(files[file]!, { bom: true, columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
  const jsonCamera = (id: string) => {
    const camera = json.cameras.find((c) => c.id === id);
    if (!camera) throw new Error(`camera ${id} is not in the evidence JSON`);
    return camera;
  };
  const rule = (id: string, ruleId: string) => {
    const r = jsonCamera(id).compliance?.results.find((x) => x.ruleId === ruleId);
    if (!r) throw new Error(`camera ${id} has no ${ruleId} result`);
    return r;
  };

  it('states one evaluation time and the window in every file', () => {
    const evaluatedAt = new Date(clock).toISOString();
    expect(json.evaluatedAt).toBe(evaluatedAt);
    expect(json.measuredTo).toBe(evaluatedAt);
    for (const c of json.cameras) expect(c.compliance?.evaluatedAt).toBe(evaluatedAt);
    for (const file of ['uptime.csv', 'compliance.csv', 'clock.csv']) {
      for (const row of csv(file)) {
        expect(row.evaluated_at).toBe(evaluatedAt);
        expect(row.period_from).toBe(json.period.from);
        expect(row.period_to).toBe(json.period.to);
      }
    }
    expect(pdfText).toContain(`Evaluated at: 2026-03-10 10:00 GMT (${evaluatedAt})`);
  });

  it('gives each camera one availability: the uptime table, the rule, the CSVs and the APIs', async () => {
    // Known figures: A was down 10 of 60 minutes; the late camera counts only its 40 approved minutes.
    expect(jsonCamera(camA).uptime.availability).toBeCloseTo(50 / 60, 9);
    expect(jsonCamera(late).uptime.durationsMs.up).toBe(40 * MIN);
    expect(jsonCamera(late).uptime.availability).toBe(1);

    const uptimeCsv = new Map(csv('uptime.csv').map((r) => [r.camera_id, r]));
    const complianceCsv = csv('compliance.csv');
    const api = await apiJson<{
      evaluatedAt: string;
      cameras: { cameraId: string; availability: number | null; durationsMs: unknown }[];
    }>('GET', `/api/uptime?scope=council&id=${council}&window=month&month=${MONTH}&perCamera=true`);
    const live = await apiJson<{ cameras: { cameraId: string; result: { results: JsonRule[] } }[] }>(
      'GET',
      `/api/compliance?scope=council&id=${council}`,
    );
    expect(api.evaluatedAt).toBe(json.evaluatedAt);
    for (const id of [camA, camB, late]) {
      const c = jsonCamera(id);
      const share = c.uptime.availability;
      const availabilityRule = rule(id, 'availability');
      // The rule judged the table's figure.
      expect(availabilityRule.evidence.values.availabilityShare).toBe(share);
      expect(availabilityRule.value).toContain(`availability ${percentText(share)}`);
      // CSVs.
      expect(Number(uptimeCsv.get(id)?.availability)).toBeCloseTo(share ?? Number.NaN, 6);
      const csvRule = complianceCsv.find((r) => r.camera_id === id && r.rule_id === 'availability');
      expect(JSON.parse(csvRule?.values_json ?? '{}').availabilityShare).toBe(share);
      expect(csvRule?.value).toBe(availabilityRule.value);
      // The uptime API and the live compliance status (the periodic job at the same hub time).
      const apiRow = api.cameras.find((r) => r.cameraId === id);
      expect(apiRow?.availability).toBe(share);
      expect(apiRow?.durationsMs).toEqual(c.uptime.durationsMs);
      const liveRule = live.cameras
        .find((r) => r.cameraId === id)
        ?.result.results.find((r) => r.ruleId === 'availability');
      expect(liveRule?.evidence.values.availabilityShare).toBe(share);
      // The PDF: the uptime table's row and the rule's evidence print the same percentage.
      const d = c.uptime.durationsMs;
      const tail = [
        percentText(share),
        percentText(c.uptime.observed),
        ...['up', 'degraded', 'down', 'unknown', 'maintenance'].map((k) => hours3(d[k as keyof typeof d])),
      ].join(' ');
      expect(pdfText).toMatch(new RegExp(`${escapeRe(id)} [^%]*? ${escapeRe(tail)}`));
      expect(pdfText).toContain(availabilityRule.value);
    }
  });

  it('counts every clock reading once, with the same worst reading everywhere', () => {
    const a = jsonCamera(camA).clock;
    expect(a).toMatchObject({ readings: 6, worstMs: -1904, minMs: -1904, maxMs: 800 });
    expect(a.worstAt).toBe(new Date(T0 + 30 * MIN).toISOString());
    expect(jsonCamera(camB).clock).toMatchObject({ readings: 7, worstMs: -30 });
    // The clock rule judged the latest reading, 0.421 s: the clock table shows that very reading.
    const clockRule = rule(camA, 'clock-offset');
    expect(clockRule.evidence.values.offsetMs).toBe(421);
    expect(clockRule.status).toBe('pass');
    const rows = new Map(csv('clock.csv').map((r) => [r.camera_id, r]));
    for (const id of [camA, camB]) {
      const k = jsonCamera(id).clock;
      const row = rows.get(id);
      expect(Number(row?.readings)).toBe(k.readings);
      expect(row?.worst_offset_s).toBe(((k.worstMs ?? 0) / 1000).toFixed(3));
      expect(row?.worst_at).toBe(k.worstAt);
      expect(Number(row?.rule_reading_offset_s)).toBe(
        (rule(id, 'clock-offset').evidence.values.offsetMs as number) / 1000,
      );
      const worst = `${(k.worstMs ?? 0) < 0 ? '-' : '+'}${(Math.abs(k.worstMs ?? 0) / 1000).toFixed(3)}`;
      expect(pdfText).toMatch(new RegExp(`${escapeRe(id)} .*? ${k.readings} \\S+ \\S+ ${escapeRe(worst)} `));
    }
    expect(pdfText).toContain('+0.421 s pass');
    expect(pdfText).toContain('clock offset +0.421 s');
    expect(rows.get(late)?.readings).toBe('0');
  });

  it('gives the same maintenance time in the table, the log, the CSVs and the API', async () => {
    const b = jsonCamera(camB).uptime.durationsMs.maintenance;
    expect(b).toBeGreaterThan(0);
    expect(json.maintenance).toHaveLength(1);
    const window = json.maintenance[0]!;
    expect(window.inPeriodMs).toBe(10 * MIN);
    const log = csv('maintenance.csv');
    expect(log.map((r) => r.hours_in_period)).toEqual([hours3(window.inPeriodMs)]);
    expect(pdfText).toContain(`${hours3(window.inPeriodMs)} (1x)`);
    const uptimeCsv = new Map(csv('uptime.csv').map((r) => [r.camera_id, r]));
    for (const c of json.cameras) {
      expect(uptimeCsv.get(c.id)?.maintenance_hours).toBe(hours3(c.uptime.durationsMs.maintenance));
    }
    // The camera was in maintenance for the window's time it covered: the table and the log agree.
    expect(b).toBe(window.inPeriodMs);
  });

  it('gives the same retention evidence in the pack, the CSV and the API', () => {
    // The figures compared are real readings, not two empty fields agreeing.
    expect(rule(camA, 'retention').evidence.values.retentionDays).toBe(40);
    expect(rule(camB, 'retention')).toMatchObject({
      status: 'fail',
      evidence: { values: { retentionDays: 14 } },
    });
    expect(rule(late, 'retention').status).toBe('not_evaluable');
    const rows = csv('compliance.csv');
    for (const id of [camA, camB, late]) {
      const retention = rule(id, 'retention');
      const row = rows.find((r) => r.camera_id === id && r.rule_id === 'retention');
      expect(row?.rule_status).toBe(retention.status);
      expect(JSON.parse(row?.values_json ?? '{}')).toEqual(retention.evidence.values);
      expect(jsonCamera(id).retentionDays ?? null).toBe(retention.evidence.values.retentionDays ?? null);
      expect(pdfText).toContain(norm(retention.value ?? retention.reason));
    }
  });

  it('prints evidence for people: no internal keys, and a summary per Code principle', () => {
    expect(pdfText).not.toMatch(/\b[a-z]+(?:Ms|Share|Days|Kbps)\b/);
    expect(pdfText).toContain('Summary by Code principle');
    expect(json.principles.map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(json.principles.find((p) => p.number === 7)?.standing).toBe('evidenced');
  });

  it.skipIf(!RENDER_PNG)('renders every page of the pack to PNG for a person to look at', () => {
    // One folder per service pair: CI runs both pairs side by side.
    const dir = join(
      process.cwd(),
      'test-results',
      'evidence-pack',
      h.services.databaseUrl ? 'services' : 'embedded',
    );
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'evidence.pdf'), files['evidence.pdf']!);
    execFileSync('pdftoppm', ['-r', '80', '-png', join(dir, 'evidence.pdf'), join(dir, 'page')]);
    const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'));
    const pageCount = Number(/Page 1 of (\d+)/.exec(pdfText)?.[1]);
    expect(pngs.length).toBe(pageCount);
    // A blank page compresses to almost nothing; every page here carries text.
    for (const png of pngs) expect(statSync(join(dir, png)).size).toBeGreaterThan(5_000);
  });
});
