import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DISCOVER_HELP,
  DiscoverUsageError,
  discoverCommand,
  parseDiscoverArgs,
} from '../../../../edge-agent/src/discover-command.ts';
import type {
  InspectedDevice,
  InspectedProfile,
} from '../../../../edge-agent/src/discovery/inspect-device.ts';
import { inspectDevice } from '../../../../edge-agent/src/discovery/inspect-device.ts';
import { channelsOf, proposeCameras, slug } from '../../../../edge-agent/src/discovery/propose.ts';

const dir = mkdtempSync(join(tmpdir(), 'cctv-discover-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = ['--site', 'town', '--user', 'admin', '--password-env', 'PW'];

describe('discover arguments', () => {
  it('pairs each --user with the password source after it, in order', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'from-file\n');
    const options = await parseDiscoverArgs([...base, '--user', 'root', '--password-file', file], {
      PW: 'from-env',
    });
    expect(options).not.toBe('help');
    if (options === 'help') return;
    expect(options.credentials).toEqual([
      { username: 'admin', password: 'from-env', source: 'env PW' },
      { username: 'root', password: 'from-file', source: `file ${file}` },
    ]);
    expect([options.multicast, options.port, options.timeoutMs, options.targets]).toEqual([
      true,
      3702,
      3000,
      [],
    ]);
  });

  it.each([
    [['--site', 'town', '--user', 'admin'], /--user admin needs --password-env or --password-file/],
    [['--site', 'town', '--password-env', 'PW', '--user', 'admin'], /must follow the --user/],
    [['--site', 'town'], /give --user/],
    [['--user', 'admin', '--password-env', 'PW'], /give --config <file> \(with site.id\) or --site <id>/],
    [[...base, '--password-env', 'PW'], /must follow the --user/],
    [['--site', 'town', '--user', 'admin', '--password-env', 'UNSET'], /UNSET: the variable is not set/],
    [[...base, '--range', '10.0.0.0/22'], /holds 1024 addresses; at most 256/],
    [[...base, '--no-multicast'], /needs --address or --range/],
    [[...base, '--write'], /--write needs --config/],
    [[...base, '--timeout', '0'], /--timeout must be/],
    [[...base, '--interface', 'eth0'], /IPv4 address of the interface/],
    [[...base, '--bogus'], /Unknown option '--bogus'/],
    [
      ['--site', 'Town Centre', '--user', 'a', '--password-env', 'PW'],
      /lowercase letters, digits and dashes/,
    ],
  ])('refuses %j', async (argv, message) => {
    await expect(parseDiscoverArgs(argv, { PW: 'x' })).rejects.toThrow(DiscoverUsageError);
    await expect(parseDiscoverArgs(argv, { PW: 'x' })).rejects.toThrow(message);
  });

  it('--help wins', async () => {
    expect(await parseDiscoverArgs(['--help'], {})).toBe('help');
  });

  it('the command prints help with 0 and wrong usage with 2', async () => {
    const run = async (argv: string[]) => {
      const out = new PassThrough();
      const err = new PassThrough();
      const code = await discoverCommand(argv, {}, out, err);
      return { code, out: String(out.read() ?? ''), err: String(err.read() ?? '') };
    };
    expect(await run(['--help'])).toEqual({ code: 0, out: `${DISCOVER_HELP}\n`, err: '' });
    const wrong = await run(['--site', 'town']);
    expect([wrong.code, wrong.out]).toEqual([2, '']);
    expect(wrong.err).toContain('give --user');
  });
});

const profile = (token: string, sourceToken: string | null, width = 1920): InspectedProfile => ({
  token,
  name: token,
  encoding: 'H264',
  width,
  height: 1080,
  fps: 25,
  bitrateKbps: 4096,
  streamUri: `rtsp://10.0.0.2/${token}`,
  snapshotUri: null,
  sourceToken,
});

const device = (over: Partial<InspectedDevice>): InspectedDevice => ({
  endpoint: 'urn:uuid:4c4c4544-0041-3010-8059-b1c04f4d4e31',
  xaddrs: ['http://10.0.0.2/onvif/device_service'],
  scopes: [],
  url: 'http://10.0.0.2/onvif/device_service',
  status: 'ok',
  detail: '',
  credentialIndex: 0,
  device: { manufacturer: 'Acme', model: 'X1', firmwareVersion: '1', serialNumber: 'SN-77' },
  profiles: [profile('main', 'vsc1'), profile('sub', 'vsc1', 640)],
  ...over,
});

describe('proposed cameras', () => {
  const at = { lat: 50, lon: -5 };

  it('one camera for main and sub of one source, named from the announced name', () => {
    const proposed = proposeCameras(
      device({ scopes: ['onvif://www.onvif.org/name/Fore%20Street%20%231'] }),
      'town',
      'admin',
      at,
    );
    expect(proposed.map((p) => [p.id, p.name, p.channel, p.profile.token])).toEqual([
      ['town-fore-street-1', 'Fore Street #1', null, 'main'],
    ]);
    expect(proposed[0]?.commissioning).toEqual({
      location: at,
      bearingDeg: 0,
      hfovDeg: 90,
      designDistanceM: 10,
      purpose: 'observe',
      bitrateKbps: 4096,
    });
    expect(proposed[0]?.placeholders).toHaveLength(5);
  });

  it('one camera per channel of a recorder, named from the serial without a name scope', () => {
    const nvr = device({
      profiles: [profile('c1', 'vs1'), profile('c1s', 'vs1'), profile('c2', 'vs2'), profile('c3', 'vs3')],
    });
    expect(channelsOf(nvr.profiles).map((g) => g.map((p) => p.token))).toEqual([
      ['c1', 'c1s'],
      ['c2'],
      ['c3'],
    ]);
    expect(proposeCameras(nvr, 'town', 'admin', at).map((p) => [p.id, p.name])).toEqual([
      ['town-sn-77-ch1', 'Acme X1 SN-77 channel 1'],
      ['town-sn-77-ch2', 'Acme X1 SN-77 channel 2'],
      ['town-sn-77-ch3', 'Acme X1 SN-77 channel 3'],
    ]);
  });

  it('nothing for a device that did not open', () => {
    for (const status of ['auth_failed', 'no_media', 'unreachable', 'error'] as const)
      expect(proposeCameras(device({ status }), 'town', 'admin', at)).toEqual([]);
  });

  it('ids stay valid: accents folded, at most 63 characters with the channel kept', () => {
    expect(slug('Café  Row / Nº 5')).toBe('cafe-row-no-5');
    const long = device({
      scopes: [`onvif://www.onvif.org/name/${'x'.repeat(80)}`],
      profiles: [profile('a', 'v1'), profile('b', 'v2')],
    });
    for (const p of proposeCameras(long, 'a-rather-long-site-id', 'admin', at)) {
      expect(p.id).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
      expect(p.id).toMatch(/-ch[12]$/);
    }
  });
});

describe('reading a device', () => {
  it('one whose ONVIF address refuses connections is unreachable', async () => {
    const found = {
      endpoint: 'urn:uuid:x',
      xaddrs: ['http://127.0.0.1:1/onvif/device_service'],
      scopes: [],
      types: [],
      from: '127.0.0.1',
    };
    const result = await inspectDevice(found, [{ username: 'admin', password: 'x', source: 'env PW' }], 2000);
    expect([result.status, result.credentialIndex]).toEqual(['unreachable', null]);
  });
});
