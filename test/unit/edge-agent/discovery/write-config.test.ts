import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../../edge-agent/src/config.ts';
import type { ProposedCamera } from '../../../../edge-agent/src/discovery/propose.ts';
import { appendCameras, WriteConfigError } from '../../../../edge-agent/src/discovery/write-config.ts';

const CAMERA_URL = 'http://10.0.0.2/onvif/device_service';
const NVR_URL = 'http://10.0.0.9/onvif/device_service';
const credentials = [{ username: 'admin', password: 'Secret-1', source: 'env PW' }];

const proposal = (id: string, url: string, channel: number | null): ProposedCamera => ({
  id,
  name: id,
  channel,
  profile: {
    token: 'p',
    name: 'p',
    encoding: 'H264',
    width: 1920,
    height: 1080,
    fps: 25,
    bitrateKbps: 4096,
    streamUri: null,
    snapshotUri: null,
    sourceToken: null,
  },
  onvif: { url, username: 'admin' },
  credentialIndex: 0,
  commissioning: {
    location: { lat: 50, lon: -5 },
    bearingDeg: 0,
    hfovDeg: 90,
    designDistanceM: 10,
    purpose: 'observe',
  },
  placeholders: [],
});

const CONFIG = `# Written by enrol; the installer's notes stay.
site:
  id: town
  name: Town
  councilId: town-tc
  hubId: hub-1
mqtt:
  url: mqtt://127.0.0.1:1883 # the hub's broker
cameras: []
`;

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cctv-discover-write-'));
  path = join(dir, 'agent.yaml');
  writeFileSync(path, CONFIG);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writing discovered cameras', () => {
  it('appends them in block style, keeps comments, and puts passwords in 0600 files', async () => {
    const outcome = await appendCameras(path, [proposal('town-a', CAMERA_URL, null)], credentials, {});
    expect(outcome.added.map((a) => a.id)).toEqual(['town-a']);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain("# Written by enrol; the installer's notes stay.");
    expect(text).toContain('# the hub');
    expect(text).toMatch(/^cameras:\n {2}#.*PLACEHOLDERS/m);
    expect(text).not.toContain('Secret-1');
    const file = join(dir, 'secrets', 'camera-town-a.password');
    expect(readFileSync(file, 'utf8')).toBe('Secret-1\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    const loaded = await loadAgentConfig({ path, env: {} });
    expect(loaded.secrets.cameraPasswords.get('town-a')).toBe('Secret-1');
  });

  it('keeps out what is listed: same URL, a recorder listed by hand, a taken id', async () => {
    await appendCameras(
      path,
      [proposal('town-a', CAMERA_URL, null), proposal('town-nvr-ch1', NVR_URL, 1)],
      credentials,
      {},
    );
    const outcome = await appendCameras(
      path,
      [
        proposal('town-a-renamed', CAMERA_URL, null),
        proposal('town-nvr-ch1', NVR_URL, 1),
        proposal('town-nvr-ch2', NVR_URL, 2),
      ],
      credentials,
      {},
    );
    // Channel 2 is new; channel 1 came from an earlier discover under its own id.
    expect(outcome.added.map((a) => a.id)).toEqual(['town-nvr-ch2']);
    expect(outcome.skipped).toEqual([
      { id: 'town-a-renamed', why: 'already listed as town-a (same ONVIF URL)' },
      { id: 'town-nvr-ch1', why: 'a camera with this id is listed' },
    ]);
    // A recorder someone listed by hand: no channel of it is added.
    writeFileSync(
      path,
      CONFIG.replace(
        'cameras: []',
        `cameras:\n  - id: quay-nvr\n    name: Quay\n    onvif: { url: "${NVR_URL}", username: admin, passwordEnv: X }\n    commissioning: { location: { lat: 50, lon: -5 }, bearingDeg: 1, hfovDeg: 60, designDistanceM: 20, purpose: observe }\n`,
      ),
    );
    const byHand = await appendCameras(
      path,
      [proposal('town-nvr-ch1', NVR_URL, 1), proposal('town-nvr-ch2', NVR_URL, 2)],
      credentials,
      { X: 'x' },
    );
    expect(byHand.added).toEqual([]);
    expect(byHand.skipped.map((s) => s.why)).toEqual([
      'already listed as quay-nvr (same ONVIF URL)',
      'already listed as quay-nvr (same ONVIF URL)',
    ]);
  });

  it('leaves the config and secrets as they were when the result would not load', async () => {
    const broken = CONFIG.replace('  hubId: hub-1\n', '');
    writeFileSync(path, broken);
    await expect(
      appendCameras(path, [proposal('town-a', CAMERA_URL, null)], credentials, {}),
    ).rejects.toThrow(WriteConfigError);
    expect(readFileSync(path, 'utf8')).toBe(broken);
    expect(existsSync(join(dir, 'secrets', 'camera-town-a.password'))).toBe(false);
  });

  it('refuses a config that is not YAML, or whose cameras: is not a list', async () => {
    writeFileSync(path, 'site: [\n');
    await expect(appendCameras(path, [proposal('a', CAMERA_URL, null)], credentials, {})).rejects.toThrow(
      /not valid YAML/,
    );
    writeFileSync(path, CONFIG.replace('cameras: []', 'cameras: 3'));
    await expect(appendCameras(path, [proposal('a', CAMERA_URL, null)], credentials, {})).rejects.toThrow(
      /not a list/,
    );
  });
});
