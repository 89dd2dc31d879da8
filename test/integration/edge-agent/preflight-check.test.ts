import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CheckReport } from '../../../edge-agent/src/check-command.ts';
import type { CommissioningRecord } from '../../../src/schemas/commissioning-api.ts';
import type { SiteMqttCredentialIssued } from '../../../src/schemas/site-credential-api.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';

// Pre-flight before a site goes live: `npm run agent -- check` runs one cycle against real ONVIF
// cameras (the simulator: real SOAP with digest and WS-Security, real RTSP) and the hub's broker
// with credentials enforced, prints a table, and says pass or fail in its exit code.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function runAgent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.MQTT_URL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'edge-agent/src/main.ts', ...args],
      { cwd: REPO, env, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('pre-flight check of a site box', () => {
  let h: HubHarness;
  const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  const dir = mkdtempSync(join(tmpdir(), 'cctv-check-'));
  const siteId = uniqueId('check');
  const council = uniqueId('council');
  const cams = [`${siteId}-1`, `${siteId}-2`, `${siteId}-3`];
  const passwordOf = (id: string) => `Pw-${id}-check`;
  const configPath = join(dir, 'agent.yaml');
  let mqttPassword = '';

  const writeConfig = (endpoints: { id: string; onvifUrl: string }[], mqttPasswordText: string) => {
    writeFileSync(join(dir, 'mqtt-password'), mqttPasswordText, { mode: 0o600 });
    writeFileSync(
      configPath,
      stringify({
        site: { id: siteId, name: 'Check site', councilId: council, hubId: 'test-hub' },
        mqtt: { url: h.hub.mqttUrl, username: siteId, passwordFile: join(dir, 'mqtt-password') },
        poll: { onvifTimeoutMs: 3000, probeTimeoutMs: 10_000, probeSampleMs: 1000 },
        outbox: { dir: join(dir, 'outbox') },
        video: { enabled: false, referenceDir: join(dir, 'reference') },
        cameras: endpoints.map((e, i) => ({
          id: e.id,
          name: `Camera ${i + 1}`,
          // The third is configured with the wrong password, as an installer might.
          onvif: {
            url: e.onvifUrl,
            username: 'admin',
            password: i === 2 ? 'not-the-password' : passwordOf(e.id),
          },
          commissioning: {
            location: { lat: 50.1, lon: -5.4 + i * 0.001 },
            bearingDeg: 90,
            hfovDeg: 60,
            // Camera 2 is meant to see a doorway close up: 320 px over 2.3 m is enough to observe.
            designDistanceM: i === 1 ? 2 : 20,
            purpose: 'observe',
          },
        })),
      }),
    );
  };
  let endpoints: { id: string; onvifUrl: string }[] = [];

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__mqtt__siteAuth: 'enforce' }, { embeddedBroker: true });
    await h.createUser('op', 'operator');
    // Cameras not listed at registration: they arrive pending, as from a new site.
    await h.registerSite(siteId, council);
    const issued = await fetch(`${h.hub.url}/api/sites/${siteId}/mqtt-credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await h.login('op')}` },
    });
    mqttPassword = ((await issued.json()) as SiteMqttCredentialIssued).password;
    await fleet.start();
    endpoints = await Promise.all(
      cams.map((id) =>
        fleet.addCamera({
          id,
          username: 'admin',
          password: passwordOf(id),
          profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
        }),
      ),
    );
    writeConfig(endpoints, mqttPassword);
  }, 120_000);

  afterAll(async () => {
    await fleet.stop();
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a table and fails on the camera with the wrong password', async () => {
    const run = await runAgent(['check', '--config', configPath]);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^Camera\s+Reachable\s+Login\s+Clock\s+Stream\s+Snapshot$/);
    const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))?.split(/\s+/);
    expect(row(cams[0] as string)).toEqual([cams[0], 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(row(cams[1] as string)).toEqual([cams[1], 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(row(cams[2] as string)).toEqual([cams[2], 'ok', 'FAIL', '-', '-', '-']);
    expect(run.stdout).toMatch(new RegExp(`${cams[2]} \\(Camera 3\\):\\n  login: .*`));
    expect(run.stdout).toContain(`MQTT: ok - connected to`);
    expect(run.stdout).toContain('Failed: 1 of 3 cameras.');
    // Not a TTY here: progress as plain lines.
    expect(run.stderr.trim().split('\n')).toHaveLength(3);
  }, 120_000);

  it('passes the good cameras, with a JSON report for scripts', async () => {
    const run = await runAgent([
      'check',
      '--config',
      configPath,
      '--camera',
      cams[0] as string,
      '--camera',
      cams[1] as string,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report.ok).toBe(true);
    expect(report.cameras.map((c) => [c.cameraId, c.state])).toEqual([
      [cams[0], 'up'],
      [cams[1], 'up'],
    ]);
    expect(report.cameras[0]?.stream.detail).toMatch(/^h264 320x240 10 fps/);
    expect(report.cameras[0]?.login.detail).not.toBe('');
  }, 120_000);

  it('records commissioning at the hub, judges the purpose, and approves a commissioned camera in one action', async () => {
    const run = await runAgent([
      'commission',
      '--config',
      configPath,
      '--by',
      'J. Installer',
      '--camera',
      cams[0] as string,
      '--camera',
      cams[1] as string,
      '--camera',
      cams[2] as string,
      '--json',
    ]);
    // Camera 1 is too wide for its purpose and camera 3 cannot be opened: the command fails.
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as {
      cameras: {
        cameraId: string;
        sent: boolean;
        error: string | null;
        referenceFrame: string | null;
        judgement: { metPurpose: boolean | null; pixelDensityPxPerM: number | null } | null;
      }[];
    };
    expect(result.cameras.map((c) => [c.cameraId, c.sent, c.judgement?.metPurpose ?? null])).toEqual([
      [cams[0], true, false],
      [cams[1], true, true],
      [cams[2], false, null],
    ]);
    expect(result.cameras[2]?.error).toMatch(/password|auth|refused/i);
    expect(result.cameras[0]?.referenceFrame).toMatch(/\.png$/);
    const token = await h.login('op');
    const get = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${h.hub.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown> & unknown[],
      };
    };
    const records = await eventually('the commissioning records at the hub', async () => {
      const one = await get(`/api/cameras/${cams[0]}/commissioning`);
      const two = await get(`/api/cameras/${cams[1]}/commissioning`);
      return one.status === 200 && one.body.length === 1 && two.body.length === 1
        ? { one: one.body, two: two.body }
        : undefined;
    });
    const first = records.one[0] as unknown as CommissioningRecord;
    expect(first.recordedBy).toBe('J. Installer');
    expect(first.measured.stream).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(first.measured.referenceFrameSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.judgement.pixelDensityPxPerM).toBeCloseTo(13.9, 1);
    expect(first.judgement.summary).toBe('13.9 px/m at 20 m; observe needs 62.5 px/m: NOT met');
    expect((records.two[0] as unknown as CommissioningRecord).judgement.metPurpose).toBe(true);

    // The registry's camera list says which were commissioned on site, and when (the record's time).
    const listed = (await get('/api/registry/cameras')).body as unknown as {
      id: string;
      commissionedAt: string | null;
    }[];
    const commissionedAt = (id: string) => listed.find((c) => c.id === id)?.commissionedAt;
    expect(commissionedAt(cams[0] as string)).toBe(first.recordedAt);
    expect(commissionedAt(cams[2] as string)).toBeNull();

    const approved = await get(`/api/registry/cameras/${cams[1]}/approve-commissioned`, {
      method: 'POST',
      body: '{}',
    });
    expect(approved.status).toBe(200);
    expect((approved.body as unknown as { approval: { approval: string } }).approval.approval).toBe(
      'approved',
    );
    const audit = await get(`/api/audit?kind=config.camera&cameraId=${cams[1]}`);
    const kinds = (
      (audit.body as unknown as { entries: { kind: string; detail: { from?: string } }[] }).entries ?? []
    ).map((e) => [e.kind, e.detail.from ?? null]);
    expect(kinds).toContainEqual(['config.camera.approve', 'pending']);
    expect(kinds.find(([k]) => k === 'config.camera.geometry')?.[1]).toMatch(
      /^commissioning record \d+ by J\. Installer at /,
    );
    // The council's evidence pack carries the record of the camera approved as commissioned.
    const pack = (await get(`/api/reports/councils/${council}/evidence.json`)).body as unknown as {
      cameras: { id: string; commissioned: { recordedBy: string; metPurpose: boolean | null } | null }[];
    };
    expect(pack.cameras.find((c) => c.id === cams[1])?.commissioned).toMatchObject({
      recordedBy: 'J. Installer',
      metPurpose: true,
    });
    const never = await get(`/api/registry/cameras/${cams[2]}/approve-commissioned`, {
      method: 'POST',
      body: '{}',
    });
    expect(never.status).toBe(409);
    expect(never.body.code).toBe('NOT_COMMISSIONED');
  }, 180_000);

  it('fails on a site credential the broker refuses, and on wrong usage', async () => {
    writeConfig(endpoints, 'wrong-mqtt-password');
    const run = await runAgent(['check', '--config', configPath, '--camera', cams[0] as string]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('MQTT: FAIL - the broker refused the site credential');
    writeConfig(endpoints, mqttPassword);
    const usage = await runAgent(['check', '--config', configPath, '--camera', 'nope']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain(`no camera nope in ${configPath}`);
    const help = await runAgent(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Pre-flight: runs one full cycle');
  }, 120_000);
});
