import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadAgentConfig } from '../../../edge-agent/src/config.ts';
import type { DiscoverReport } from '../../../edge-agent/src/discover-command.ts';
import { endpointUuid } from '../../simulators/camera/ws-discovery.ts';

// Discovery on a site's network, without touching a real one: the simulator and `discover` run inside a
// network namespace this test makes (its own loopback, multicast enabled on it and routed to it), so
// multicast WS-Discovery is real (239.255.255.250:3702) and reaches nothing outside.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const NS = `cctv-discovery-${process.pid}`;
const GOOD = 'Installer-Pw-1';
const profile = { width: 320, height: 240, fps: 10, bitrateKbps: 300 };

interface SimOutput {
  discoveryPort: number;
  cameras: { id: string; onvifUrl: string }[];
}

const dir = mkdtempSync(join(tmpdir(), 'cctv-discovery-'));
const children: ChildProcess[] = [];

/** Starts a simulator fleet inside the namespace and waits for the endpoints it prints. */
function startFleet(name: string, fleet: Record<string, unknown>): Promise<SimOutput> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(fleet));
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS,
      process.execPath,
      '--import',
      'tsx',
      'test/simulators/camera/cli.ts',
      '--config',
      file,
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as SimOutput);
      } catch {
        // not all of it yet
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`simulator ${name} exited ${code}: ${err}`)));
  });
}

function discover(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      [
        'netns',
        'exec',
        NS,
        process.execPath,
        '--import',
        'tsx',
        'edge-agent/src/main.ts',
        'discover',
        ...args,
      ],
      { cwd: REPO, env: { ...process.env, CAM_PW: GOOD, OTHER_PW: 'Other-Pw-2' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = (run: { stdout: string }) => JSON.parse(run.stdout) as DiscoverReport;

describe('discover in a network namespace', () => {
  let site: SimOutput;
  let solo: SimOutput;
  const configPath = join(dir, 'agent.yaml');

  beforeAll(async () => {
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', NS, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    // The site: two cameras, one the installer's password will not open, a device without the media
    // service, and a three-channel recorder. All answer multicast probes on the standard port.
    site = await startFleet('site', {
      controlPort: null,
      discovery: { multicast: true },
      cameras: [
        {
          id: 'market',
          name: 'Market Square',
          username: 'admin',
          password: GOOD,
          profile,
          subProfile: { ...profile, width: 160, height: 120 },
        },
        { id: 'harbour', name: 'Harbour Wall', username: 'admin', password: 'someone-elses', profile },
        {
          id: 'door-io',
          name: 'Door controller',
          username: 'admin',
          password: GOOD,
          profile,
          mediaService: false,
        },
        {
          id: 'nvr',
          name: 'Quay Recorder',
          username: 'admin',
          password: GOOD,
          profile,
          channels: 3,
          serialNumber: 'NVR-0042',
        },
      ],
    });
    // A camera on a network without multicast: it only answers probes sent to it.
    solo = await startFleet('solo', {
      controlPort: null,
      discovery: { port: 13702, multicast: false },
      cameras: [{ id: 'church', name: 'Church Lane', username: 'admin', password: GOOD, profile }],
    });
    writeFileSync(
      configPath,
      stringify({
        site: {
          id: 'porthleven',
          name: 'Porthleven',
          councilId: 'porthleven-tc',
          hubId: 'hub-1',
          location: { lat: 50.08, lon: -5.31 },
        },
        mqtt: { url: 'mqtt://127.0.0.1:1883' },
        cameras: [],
      }),
    );
  }, 180_000);

  afterAll(() => {
    for (const child of children) child.kill('SIGTERM');
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds every device by multicast and says what each is', async () => {
    const run = await discover([
      '--site',
      'porthleven',
      '--user',
      'admin',
      '--password-env',
      'CAM_PW',
      '--json',
    ]);
    // One device would not open with the installer's credentials: that fails the run.
    expect(run.code).toBe(1);
    const report = json(run);
    const byId = new Map(site.cameras.map((c) => [c.onvifUrl, c.id]));
    const status = Object.fromEntries(report.devices.map((d) => [byId.get(d.url) ?? d.url, d.status]));
    expect(status).toEqual({ market: 'ok', harbour: 'auth_failed', 'door-io': 'no_media', nvr: 'ok' });
    expect(report.devices.map((d) => d.endpoint).sort()).toEqual(
      ['market', 'harbour', 'door-io', 'nvr'].map(endpointUuid).sort(),
    );
    const market = report.devices.find((d) => byId.get(d.url) === 'market');
    expect(market?.device).toEqual({
      manufacturer: 'CCTV Sim',
      model: 'SIM-IPC-1',
      firmwareVersion: '1.0.0',
      serialNumber: 'SIM-market',
    });
    expect(market?.profiles.map((p) => [p.token, p.width, p.height, p.fps, p.bitrateKbps])).toEqual([
      ['profile_main', 320, 240, 10, 300],
      ['profile_sub', 160, 120, 10, 300],
    ]);
    expect(market?.profiles[0]?.streamUri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/cam\/market\/main$/);
    expect(market?.profiles[0]?.snapshotUri).toMatch(/\/onvif\/snapshot\.jpg$/);
    // The camera and the recorder's channels are proposed; main and sub of one camera are one camera.
    expect(report.proposed.map((p) => `${p.id} | ${p.name} | ${p.channel}`).sort()).toEqual([
      'porthleven-market-square | Market Square | null',
      'porthleven-quay-recorder-ch1 | Quay Recorder channel 1 | 1',
      'porthleven-quay-recorder-ch2 | Quay Recorder channel 2 | 2',
      'porthleven-quay-recorder-ch3 | Quay Recorder channel 3 | 3',
    ]);
    expect(report.proposed).toHaveLength(4);
    for (const p of report.proposed) expect(p.placeholders).toContain('commissioning.location');
    expect(run.stdout).not.toContain(GOOD);
  });

  it('prints a table for people', async () => {
    const run = await discover(['--site', 'porthleven', '--user', 'admin', '--password-env', 'CAM_PW']);
    expect(run.stdout).toMatch(/^Status\s+Name\s+Make\s+Model\s+Firmware\s+Serial\s+Address$/m);
    expect(run.stdout).toMatch(/^WRONG CREDENTIALS\s+Harbour Wall\s+http:/m);
    expect(run.stdout).toMatch(/^NO MEDIA SERVICE\s+Door controller\s+CCTV Sim/m);
    expect(run.stdout).toContain('Found 4 devices: 2 opened, 1 wrong credentials, 1 without media service');
    expect(run.stderr).toContain('probing by multicast for 3 s');
  });

  it('a second credential opens the camera the first could not', async () => {
    const run = await discover(
      [
        '--site',
        'porthleven',
        '--user',
        'admin',
        '--password-env',
        'CAM_PW',
        '--user',
        'admin',
        '--password-env',
        'HARBOUR_PW',
        '--json',
      ].map((a) => a),
    );
    // HARBOUR_PW is not set: refused before probing, as wrong usage.
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--password-env HARBOUR_PW: the variable is not set');
    const pwFile = join(dir, 'harbour-pw');
    writeFileSync(pwFile, 'someone-elses\n', { mode: 0o600 });
    const both = await discover([
      '--site',
      'porthleven',
      '--user',
      'admin',
      '--password-env',
      'CAM_PW',
      '--user',
      'admin',
      '--password-file',
      pwFile,
      '--json',
    ]);
    expect(both.code).toBe(0);
    expect(json(both).devices.every((d) => d.status === 'ok' || d.status === 'no_media')).toBe(true);
  });

  it('finds a device by unicast where multicast does not reach it', async () => {
    const multicast = json(
      await discover(['--site', 'porthleven', '--user', 'admin', '--password-env', 'CAM_PW', '--json']),
    );
    const church = solo.cameras[0]?.onvifUrl as string;
    expect(multicast.devices.map((d) => d.url)).not.toContain(church);
    const run = await discover([
      '--site',
      'porthleven',
      '--user',
      'admin',
      '--password-env',
      'CAM_PW',
      '--no-multicast',
      '--address',
      `127.0.0.1:${solo.discoveryPort}`,
      '--timeout',
      '1',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const report = json(run);
    expect(report.devices.map((d) => [d.url, d.status])).toEqual([[church, 'ok']]);
    expect(report.proposed.map((p) => p.id)).toEqual(['porthleven-church-lane']);
  });

  it('--write adds the cameras that opened to a config the agent loads, passwords only in 0600 files', async () => {
    const run = await discover([
      '--config',
      configPath,
      '--user',
      'admin',
      '--password-env',
      'CAM_PW',
      '--write',
    ]);
    expect(run.stdout).toContain('Added porthleven-market-square (password in ');
    const text = readFileSync(configPath, 'utf8');
    expect(text).not.toContain(GOOD);
    expect(text).toContain('PLACEHOLDERS');
    const { config, secrets } = await loadAgentConfig({ path: configPath, env: {} });
    expect(config.site.id).toBe('porthleven');
    expect(config.cameras.map((c) => c.id).sort()).toEqual([
      'porthleven-market-square',
      'porthleven-quay-recorder-ch1',
      'porthleven-quay-recorder-ch2',
      'porthleven-quay-recorder-ch3',
    ]);
    for (const camera of config.cameras) {
      expect(camera.onvif.password).toBeUndefined();
      expect(camera.onvif.passwordFile?.startsWith(join(dir, 'secrets'))).toBe(true);
      expect(statSync(camera.onvif.passwordFile as string).mode & 0o777).toBe(0o600);
      expect(secrets.cameraPasswords.get(camera.id)).toBe(GOOD);
      expect(camera.commissioning.location).toEqual({ lat: 50.08, lon: -5.31 });
    }
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    // Each recorder channel is judged by its own profile; a camera with one picture by its first.
    const tokens = Object.fromEntries(config.cameras.map((c) => [c.id, c.onvif.profileToken ?? null]));
    expect(tokens).toEqual({
      'porthleven-market-square': null,
      'porthleven-quay-recorder-ch1': 'profile_main',
      'porthleven-quay-recorder-ch2': 'profile_ch2',
      'porthleven-quay-recorder-ch3': 'profile_ch3',
    });
    // Run again: nothing is listed twice.
    const again = await discover([
      '--config',
      configPath,
      '--user',
      'admin',
      '--password-env',
      'CAM_PW',
      '--write',
    ]);
    expect(again.stdout).toContain(
      'Kept porthleven-market-square out: already listed as porthleven-market-square (same ONVIF URL)',
    );
    expect((await loadAgentConfig({ path: configPath, env: {} })).config.cameras).toHaveLength(4);
  });
});
