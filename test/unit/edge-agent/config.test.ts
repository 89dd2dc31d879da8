import { describe, expect, it } from 'vitest';
import { configPathFrom, loadAgentConfig } from '../../../edge-agent/src/config.ts';
import { probeBatchWindowMs, probeSlots } from '../../../src/config/agent-config.ts';
import { ConfigError } from '../../../src/config/resolve.ts';

const base = (onvifExtra: string, extra = '') => `
site: { id: site-a, name: Site A, councilId: council-a, hubId: hub-a }
${extra}
cameras:
  - id: cam-1
    name: Camera 1
    onvif:
      url: http://127.0.0.1:8000/onvif/device_service
      username: admin
${onvifExtra}
    commissioning:
      location: { lat: 50.1, lon: -5.5 }
      bearingDeg: 90
      hfovDeg: 60
      designDistanceM: 20
      purpose: observe
`;

function files(map: Record<string, string>) {
  return async (path: string) => {
    const text = map[path];
    if (text === undefined)
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

async function load(
  text: string,
  env: Record<string, string | undefined> = {},
  extraFiles: Record<string, string> = {},
) {
  return loadAgentConfig({ path: 'agent.yaml', env, read: files({ 'agent.yaml': text, ...extraFiles }) });
}

async function problems(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAgentConfig', () => {
  it('resolves a password from the file itself', async () => {
    const { secrets } = await load(base('      password: inline-secret'));
    expect(secrets.cameraPasswords.get('cam-1')).toBe('inline-secret');
  });

  it('resolves a password from the environment', async () => {
    const { secrets } = await load(base('      passwordEnv: CAM1_PW'), { CAM1_PW: 'from-env' });
    expect(secrets.cameraPasswords.get('cam-1')).toBe('from-env');
  });

  it('resolves a password from a file, without its trailing newline', async () => {
    const { secrets } = await load(
      base('      passwordFile: /run/secrets/cam1'),
      {},
      { '/run/secrets/cam1': 'from-file\n' },
    );
    expect(secrets.cameraPasswords.get('cam-1')).toBe('from-file');
  });

  it('refuses a metrics listener without a token, and reads one from the environment', async () => {
    const text = base('      password: pw', 'metrics: { port: 9464 }');
    await expect(load(text)).rejects.toThrow(/metrics\.port: a \/metrics listener needs a token/);
    await expect(load(text, { CCTV_AGENT_METRICS_TOKEN: 'short' })).rejects.toThrow(/at least 16 characters/);
    const { secrets } = await load(text, { CCTV_AGENT_METRICS_TOKEN: 'a-long-metrics-token-1' });
    expect(secrets.metricsToken).toBe('a-long-metrics-token-1');
    // No listener, no token needed.
    expect((await load(base('      password: pw'))).secrets.metricsToken).toBeUndefined();
  });

  it('reads the MQTT password from a file or CCTV_AGENT_MQTT_PASSWORD', async () => {
    const viaEnv = await load(base('      password: x'), { CCTV_AGENT_MQTT_PASSWORD: 'mqtt-env' });
    expect(viaEnv.secrets.mqttPassword).toBe('mqtt-env');
    const viaFile = await load(
      base('      password: x', 'mqtt: { passwordFile: /run/mqtt }'),
      {},
      { '/run/mqtt': 'mqtt-file\n' },
    );
    expect(viaFile.secrets.mqttPassword).toBe('mqtt-file');
  });

  it('applies environment overrides (MQTT_URL and CCTV_AGENT__group__key)', async () => {
    const { config } = await load(base('      password: x'), {
      MQTT_URL: 'mqtt://127.0.0.1:1999',
      CCTV_AGENT__poll__intervalMs: '2500',
    });
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1999');
    expect(config.poll.intervalMs).toBe(2500);
  });

  it.each([
    {
      name: 'missing password source names the camera',
      text: base(''),
      env: {},
      want: /cam-1.*needs one of password, passwordEnv or passwordFile/,
    },
    {
      name: 'two password sources',
      text: base('      password: a\n      passwordEnv: B'),
      env: {},
      want: /cam-1.*more than one/,
    },
    {
      name: 'unset password variable',
      text: base('      passwordEnv: NOPE'),
      env: {},
      want: /cam-1: NOPE is not set/,
    },
    {
      name: 'unreadable password file',
      text: base('      passwordFile: /nope'),
      env: {},
      want: /cam-1: cannot read \/nope/,
    },
    {
      name: 'unknown key',
      text: base('      password: x', 'pol: { intervalMs: 5000 }'),
      env: {},
      want: /pol/,
    },
    {
      name: 'unknown nested key',
      text: base('      password: x', 'poll: { intervalMS: 5000 }'),
      env: {},
      want: /poll/,
    },
    {
      name: 'wrong type',
      text: base('      password: x', 'poll: { intervalMs: soon }'),
      env: {},
      want: /poll\.intervalMs/,
    },
    {
      name: 'out of range',
      text: base('      password: x', 'poll: { concurrency: 0 }'),
      env: {},
      want: /poll\.concurrency/,
    },
    {
      name: 'wrong type from env',
      text: base('      password: x'),
      env: { CCTV_AGENT__poll__probeTimeoutMs: 'ten' },
      want: /poll\.probeTimeoutMs/,
    },
    { name: 'missing site', text: 'cameras: []', env: {}, want: /site/ },
  ])('rejects: $name', async ({ text, env, want }) => {
    expect(await problems(load(text, env))).toMatch(want);
  });

  it.each([
    {
      name: 'a CA file with a plain mqtt:// url (it would never be used)',
      mqtt: 'mqtt: { url: "mqtt://hub.example:1883", caFile: /etc/cctv/ca.pem }',
      want: /mqtt\.caFile: mqtt\.url mqtt:\/\/hub\.example:1883 is not mqtts:\/\//,
    },
    {
      name: 'an unreadable CA file, named',
      mqtt: 'mqtt: { url: "mqtts://hub.example:8883", caFile: /nope/ca.pem }',
      want: /mqtt\.caFile: cannot read \/nope\/ca\.pem/,
    },
    {
      name: 'a CA file that is not PEM',
      mqtt: 'mqtt: { url: "mqtts://hub.example:8883", caFile: /etc/cctv/ca.pem }',
      files: { '/etc/cctv/ca.pem': 'not a certificate' },
      want: /mqtt\.caFile: \/etc\/cctv\/ca\.pem is not PEM/,
    },
    {
      name: 'a CA file holding a key instead of a certificate',
      mqtt: 'mqtt: { url: "mqtts://hub.example:8883", caFile: /etc/cctv/ca.pem }',
      files: { '/etc/cctv/ca.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
      want: /mqtt\.caFile: \/etc\/cctv\/ca\.pem holds no certificate \(found PRIVATE KEY\)/,
    },
  ])('rejects $name', async ({ mqtt, files: extra, want }) => {
    expect(await problems(load(base('      password: x', mqtt), {}, extra ?? {}))).toMatch(want);
  });

  it('has no CA without mqtt.caFile (the system CAs verify an mqtts:// broker)', async () => {
    const { secrets } = await load(base('      password: x', 'mqtt: { url: "mqtts://hub.example:8883" }'));
    expect(secrets.mqttCa).toBeUndefined();
  });

  it('rejects duplicate camera ids', async () => {
    const cam = base('      password: x').split('cameras:\n')[1] as string;
    const text = `${base('      password: x')}${cam}`;
    expect(await problems(load(text))).toMatch(/camera id cam-1 is used twice/);
  });

  it('names the file it could not read', async () => {
    expect(await problems(loadAgentConfig({ path: 'missing.yaml', env: {}, read: files({}) }))).toMatch(
      /missing\.yaml/,
    );
  });
});

describe('poll.probeConcurrency', () => {
  it("defaults to 'auto' and reads a number or 'auto' from the environment", async () => {
    expect((await load(base('      password: x'))).config.poll.probeConcurrency).toBe('auto');
    const set = async (value: string) =>
      (await load(base('      password: x'), { CCTV_AGENT__poll__probeConcurrency: value })).config.poll
        .probeConcurrency;
    expect(await set('8')).toBe(8);
    expect(await set('auto')).toBe('auto');
    await expect(set('lots')).rejects.toThrow(/poll\.probeConcurrency/);
  });

  it("'auto' gives every camera a probe each probe interval, with half as many slots again, 2 to 32", () => {
    const poll = { probeConcurrency: 'auto' as const, probeSampleMs: 2000, probeIntervalMs: 60_000 };
    // 250 cameras x 2.5 s = 625 s of probing a minute: 10.4 slots, 15.6 with the margin.
    expect(probeSlots(poll, 250)).toBe(16);
    expect(probeSlots(poll, 4)).toBe(2);
    expect(probeSlots(poll, 2000)).toBe(32);
    expect(probeSlots({ ...poll, probeIntervalMs: 300_000 }, 250)).toBe(4);
    expect(probeSlots({ ...poll, probeConcurrency: 3 }, 250)).toBe(3);
    // A probe may wait up to probeBatchMs for a batch (at most a tenth of the period): 3.5 s each.
    expect(probeSlots({ ...poll, probeBatchMs: 1000 }, 250)).toBe(22);
    expect(probeBatchWindowMs({ probeBatchMs: 5000, probeIntervalMs: 10_000 })).toBe(1000);
    // Video analyses run in the same slots: 250 cameras x 9 s (4 s decoded, 2 s opening, 3 s batch
    // window) every 5 min is 7.5 slots more, 33 with the margin, so the cap.
    const video = { enabled: true, intervalMs: 300_000, sampleMs: 4000, batchMs: 3000 };
    expect(probeSlots({ ...poll, probeBatchMs: 1000 }, 250, video)).toBe(32);
    expect(probeSlots({ ...poll, probeBatchMs: 1000 }, 100, video)).toBe(14);
    expect(probeSlots({ ...poll, probeBatchMs: 1000 }, 100, { ...video, enabled: false })).toBe(9);
  });
});

describe('configPathFrom', () => {
  it.each([
    { argv: ['--config', 'a.yaml'], env: { CCTV_AGENT_CONFIG: 'b.yaml' }, want: 'a.yaml' },
    { argv: ['--config=c.yaml'], env: {}, want: 'c.yaml' },
    { argv: [], env: { CCTV_AGENT_CONFIG: 'b.yaml' }, want: 'b.yaml' },
  ])('$argv / $env -> $want', ({ argv, env, want }) => {
    expect(configPathFrom(argv, env)).toBe(want);
  });

  it('says how to give a config when none is given', () => {
    expect(() => configPathFrom([], {})).toThrow(/--config <file> or set CCTV_AGENT_CONFIG/);
    expect(() => configPathFrom(['--config'], {})).toThrow(/--config needs a file path/);
  });
});
