import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { loadAgentConfig } from '../../../edge-agent/src/config.ts';
import type { AuditPage } from '../../../src/schemas/audit-api.ts';
import type { EnrolmentCodeIssued, EnrolmentState } from '../../../src/schemas/enrolment-api.ts';
import type { SiteRecord } from '../../../src/schemas/registry-api.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';

// From a registered site to a connected site box with a one-time code: the operator issues the
// code, `npm run agent -- enrol` on a fresh directory writes the config and the password file, and
// the agent started from them is accepted by the broker (credentials enforced). Wrong, used and
// expired codes each get their own error; every attempt is audited; an address is rate-limited.

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** The agent's environment without the suite's MQTT_URL (which would override the written config). */
function agentEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MQTT_URL;
  delete env.CCTV_AGENT_CONFIG;
  return env;
}

function runAgent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'edge-agent/src/main.ts', ...args],
      { cwd: REPO, env: agentEnv(), timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function connack(url: string, username: string, password: string): Promise<number> {
  try {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clientId: `site-${username}.check-${Math.random().toString(36).slice(2, 8)}`,
      username,
      password,
    });
    await client.endAsync();
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}

describe('site enrolment with a one-time code', () => {
  let h: HubHarness;
  let token: string;
  const siteId = uniqueId('enrol');
  const council = uniqueId('enrol-council');
  const dir = mkdtempSync(join(tmpdir(), 'cctv-enrol-'));
  const children: ChildProcess[] = [];
  let usedCode = '';

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const issue = async (body: unknown = {}) => {
    const issued = await api<EnrolmentCodeIssued>(
      'POST',
      `/api/registry/sites/${siteId}/enrolment-code`,
      body,
    );
    expect(issued.status).toBe(201);
    return issued.body;
  };

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__mqtt__siteAuth: 'enforce',
        CCTV_HUB__enrolment__attemptsPerAddress: '6',
      },
      { embeddedBroker: true },
    );
    await h.createUser('op', 'operator');
    await h.createUser('clerk', 'council', [council]);
    token = await h.login('op');
    await h.registerSite(siteId, council, { name: 'Hayle harbour', location: { lat: 50.186, lon: -5.42 } });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols a fresh site box: config and secret written safely, and the agent connects', async () => {
    const before = await api<EnrolmentState>('GET', `/api/registry/sites/${siteId}/enrolment`);
    expect(before.body.state).toBe('none');
    const { code, expiresAt } = await issue();
    usedCode = code;
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect((await api<EnrolmentState>('GET', `/api/registry/sites/${siteId}/enrolment`)).body.state).toBe(
      'code-issued',
    );

    // Typed as an installer might: lower case, spaces instead of dashes.
    const typed = code.toLowerCase().replace(/-/g, ' ');
    const run = await runAgent(['enrol', '--hub', h.hub.url, '--code', typed, '--dir', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Enrolled as site ${siteId} (Hayle harbour), council ${council}`);

    const configPath = join(dir, 'agent.yaml');
    const written = parse(readFileSync(configPath, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(written.site).toEqual({
      id: siteId,
      name: 'Hayle harbour',
      councilId: council,
      hubId: 'test-hub',
      location: { lat: 50.186, lon: -5.42 },
    });
    expect(written.mqtt?.url).toBe(h.hub.mqttUrl);
    expect(written.mqtt?.username).toBe(siteId);
    expect(JSON.stringify(written)).not.toMatch(/password"?:\s*"[^/]/);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'secrets', 'mqtt-password')).mode & 0o777).toBe(0o600);
    // The written config is one the agent accepts as it is.
    const loaded = await loadAgentConfig({ path: configPath, env: {} });
    expect(loaded.config.site.id).toBe(siteId);
    expect(loaded.secrets.mqttPassword?.length).toBeGreaterThan(20);

    expect(h.hub.fleet.sites.get(siteId)?.state).not.toBe('online');
    const agent = spawn(
      process.execPath,
      ['--import', 'tsx', 'edge-agent/src/main.ts', '--config', configPath],
      {
        cwd: REPO,
        env: agentEnv(),
        stdio: 'ignore',
      },
    );
    children.push(agent);
    await eventually(
      'the enrolled site online at the hub',
      async () => (h.hub.fleet.sites.get(siteId)?.state === 'online' ? true : undefined),
      30_000,
    );
    // The registry's site list tells the onboarding story: enrolled, online, which agent.
    // With what its box holds for the hub (its outbox) and how far its clock is off the hub's.
    const listed = await eventually('the site online in the registry, with its outbox', async () => {
      const sites = await api<SiteRecord[]>('GET', '/api/registry/sites');
      const mine = sites.body.find((x) => x.id === siteId);
      return mine?.link === 'online' && mine.outbox !== null && mine.agentClockOffsetMs !== null
        ? mine
        : undefined;
    });
    expect(listed.outbox).toMatchObject({ dropped: 0 });
    expect(listed.outbox?.maxBytes).toBeGreaterThan(0);
    expect(listed.outbox?.records).toBeGreaterThanOrEqual(0);
    expect(Math.abs(listed.agentClockOffsetMs ?? Number.NaN)).toBeLessThan(5_000);
    expect(listed).toMatchObject({ enrolment: 'enrolled', agentVersion: expect.stringMatching(/^\d+\.\d+/) });
    expect(listed.enrolledAt).not.toBeNull();
    agent.kill('SIGTERM');
    const state = (await api<EnrolmentState>('GET', `/api/registry/sites/${siteId}/enrolment`)).body;
    expect(state.state).toBe('enrolled');
    expect(state.enrolledFrom).toBe('127.0.0.1');
  }, 90_000);

  it('refuses a used, a wrong, an expired and a replaced code, each with its own error', async () => {
    const wrong = await runAgent([
      'enrol',
      '--hub',
      h.hub.url,
      '--code',
      'ZZZZ-ZZZZ-ZZZZ',
      '--dir',
      dir,
      '--json',
    ]);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, code: 'ENROL_CODE_UNKNOWN' });
    expect(JSON.parse(wrong.stdout).error).toContain('the hub does not know this enrolment code');

    const reused = await runAgent(['enrol', '--hub', h.hub.url, '--code', usedCode, '--dir', dir]);
    expect(reused.code).toBe(1);
    expect(reused.stderr).toContain(
      'the hub refused the enrolment (ENROL_CODE_USED): this enrolment code has been used already',
    );

    const { code: first } = await issue();
    const { code: second } = await issue({ validForMinutes: 10 });
    const replaced = await runAgent(['enrol', '--hub', h.hub.url, '--code', first, '--dir', dir]);
    expect(replaced.code).toBe(1);
    expect(replaced.stderr).toContain('ENROL_CODE_EXPIRED');
    expect(replaced.stderr).toContain('or a newer one was issued');

    await h.hub.database.pool.query(
      "UPDATE enrolment_codes SET expires_at = now() - interval '1 second' WHERE site_id = $1 AND used_at IS NULL AND retired_at IS NULL",
      [siteId],
    );
    const expired = await runAgent(['enrol', '--hub', h.hub.url, '--code', second, '--dir', dir]);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain(
      'the hub refused the enrolment (ENROL_CODE_EXPIRED): this enrolment code has expired',
    );

    const audit = await api<AuditPage>('GET', `/api/audit?kind=site.enrol&limit=50`);
    const mine = audit.body.entries.filter((e) => e.subject === `site:${siteId}` || e.subject === null);
    expect(mine.map((e) => [e.kind, e.reason])).toEqual([
      ['site.enrol.refused', 'ENROL_CODE_EXPIRED'],
      ['site.enrol.refused', 'ENROL_CODE_EXPIRED'],
      ['site.enrol.refused', 'ENROL_CODE_USED'],
      ['site.enrol.refused', 'ENROL_CODE_UNKNOWN'],
      ['site.enrol', null],
    ]);
  }, 90_000);

  it('re-enrols a replacement box: the old password stops working, cameras in the config are kept', async () => {
    const oldPassword = readFileSync(join(dir, 'secrets', 'mqtt-password'), 'utf8').trim();
    expect(await connack(h.hub.mqttUrl, siteId, oldPassword)).toBe(0);
    // The installer has listed a camera meanwhile.
    const configPath = join(dir, 'agent.yaml');
    const camera = {
      id: `${siteId}-1`,
      name: 'Harbour',
      onvif: { url: 'http://127.0.0.1:8000/onvif/device_service' },
    };
    const doc = parseDocument(readFileSync(configPath, 'utf8'));
    doc.set('cameras', doc.createNode([camera]));
    writeFileSync(configPath, doc.toString());
    const { code } = await issue();
    const run = await runAgent(['enrol', '--hub', h.hub.url, '--code', code, '--dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('it has been replaced');
    const newPassword = readFileSync(join(dir, 'secrets', 'mqtt-password'), 'utf8').trim();
    expect(newPassword).not.toBe(oldPassword);
    expect(await connack(h.hub.mqttUrl, siteId, oldPassword)).toBeGreaterThan(0);
    expect(await connack(h.hub.mqttUrl, siteId, newPassword)).toBe(0);
    expect((parse(readFileSync(configPath, 'utf8')) as { cameras: unknown[] }).cameras).toEqual([camera]);
  }, 60_000);

  it('registers many sites from a CSV: errors named by line and column, all or nothing, codes issued', async () => {
    const post = async (csv: string, query: string) => {
      const response = await fetch(`${h.hub.url}/api/registry/sites/import${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: csv,
      });
      return {
        status: response.status,
        body: (await response.json()) as {
          rows: number;
          errors: { line: number; column: string | null; message: string }[];
          created: { id: string; code: string | null }[];
        },
      };
    };
    const a = uniqueId('import-a');
    const b = uniqueId('import-b');
    const header = 'id,name,councilId,hubId,lat,lon,cameraNetworks';
    const bad = [
      header,
      `${a},Porthleven harbour,${council},test-hub,50.08,-5.31,10.20.0.0/24`,
      `${b},St Just square,no-such-council,test-hub,fifty,-5.67,10.21.0.0/24`,
      `${a},Again,${council},test-hub,,,10.22.0.0/24`,
      `${uniqueId('import-c')},Bad net,${council},test-hub,,,not/a/network`,
    ].join('\n');
    const refused = await post(bad, '');
    expect(refused.status).toBe(400);
    expect(refused.body.rows).toBe(4);
    expect(refused.body.errors.map((e) => [e.line, e.column])).toEqual(
      [
        [3, 'lat'],
        [4, 'id'],
        [5, 'cameraNetworks'],
        [3, 'councilId'],
      ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
    expect(refused.body.errors.find((e) => e.column === 'lat')?.message).toBe('"fifty" is not a number');
    expect(refused.body.errors.find((e) => e.line === 4)?.message).toBe(`site ${a} is also on line 2`);
    // Nothing was registered, not even the good row.
    expect((await api('GET', `/api/registry/sites/${a}/enrolment`)).status).toBe(404);
    const unknownColumn = await post('id,name,town\nx,y,z', '');
    expect(unknownColumn.body.errors[0]).toMatchObject({ line: 1, column: 'town' });

    const good = [
      header,
      `${a},Porthleven harbour,${council},test-hub,50.08,-5.31,10.20.0.0/24`,
      `${b},St Just square,${council},test-hub,50.12,-5.68,"10.21.0.0/24; 10.21.1.0/24"`,
    ].join('\n');
    const dry = await post(good, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ rows: 2, errors: [], created: [] });
    expect((await api('GET', `/api/registry/sites/${a}/enrolment`)).status).toBe(404);
    const done = await post(good, '?codes=true');
    expect(done.status).toBe(200);
    expect(done.body.created.map((c) => c.id)).toEqual([a, b]);
    const sites = await api<{ id: string; cameraNetworks: string[] }[]>('GET', '/api/registry/sites');
    expect(sites.body.find((x) => x.id === b)?.cameraNetworks).toEqual(['10.21.0.0/24', '10.21.1.0/24']);
    // Each code enrols its own site.
    const enrolled = await fetch(`${h.hub.url}/api/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: done.body.created[1]?.code }),
    });
    expect(enrolled.status).toBe(200);
    expect(((await enrolled.json()) as { site: { id: string } }).site.id).toBe(b);
  }, 60_000);

  it('only operators issue codes, and an address that keeps guessing is held off', async () => {
    const clerk = await fetch(`${h.hub.url}/api/registry/sites/${siteId}/enrolment-code`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await h.login('clerk')}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(clerk.status).toBe(403);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${h.hub.url}/api/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: `WXYZ-WXYZ-WXY${i}` }),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(((await response.json()) as { code: string }).code).toBe('ENROL_RATE_LIMITED');
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      }
    }
    // Four refusals before (unknown, used, replaced, expired), two more here: the sixth failure is the last.
    expect(statuses).toEqual([404, 404, 429, 429]);
  }, 30_000);
});
