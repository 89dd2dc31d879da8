import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadHubTls } from '../../../hub-server/src/tls.ts';
import { HUB_ENV_ALIASES, HUB_ENV_PREFIX, HubConfig } from '../../../src/config/hub-config.ts';
import { ConfigError, resolveConfig } from '../../../src/config/resolve.ts';

// Real keys made here; certificates need a CA and are made with openssl in the integration test
// (test/integration/security/tls.test.ts), which also checks matching, expired and working pairs.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const FILES: Record<string, string> = {
  '/tls/key.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  '/tls/encrypted-key.pem': privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'secret',
  }) as string,
  '/tls/public.pem': publicKey.export({ type: 'spki', format: 'pem' }) as string,
  '/tls/garbage.pem': 'this is not a certificate\n',
  '/tls/bad-cert.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
};

function read(path: string): string {
  const text = FILES[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
}

const config = (env: Record<string, string>) =>
  resolveConfig(HubConfig, {
    env: { DEMO: '0', ...env },
    envAliases: HUB_ENV_ALIASES,
    envPrefix: HUB_ENV_PREFIX,
  });

function problems(env: Record<string, string>): string[] {
  try {
    loadHubTls(config(env), { read });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const HTTP = 'CCTV_HUB__http__tls__';
const MQTT = 'CCTV_HUB__mqtt__tls__';

describe('TLS settings', () => {
  it('are all off by default and read no file', () => {
    const tls = loadHubTls(config({}), {
      read: () => {
        throw new Error('no file should be read');
      },
    });
    expect(tls).toEqual({ https: null, broker: null, mqttCa: null, warnings: [] });
  });

  it.each([
    ['a certificate without its key', { [`${HTTP}certFile`]: '/tls/cert.pem' }, 'http.tls.keyFile: missing'],
    ['a key without its certificate', { [`${HTTP}keyFile`]: '/tls/key.pem' }, 'http.tls.certFile: missing'],
    [
      'an MQTT certificate without its key',
      { [`${MQTT}certFile`]: '/tls/cert.pem' },
      'mqtt.tls.keyFile: missing',
    ],
    [
      'an MQTT key without its certificate',
      { [`${MQTT}keyFile`]: '/tls/key.pem' },
      'mqtt.tls.certFile: missing',
    ],
    [
      'an unreadable certificate file',
      { [`${HTTP}certFile`]: '/nope/cert.pem', [`${HTTP}keyFile`]: '/tls/key.pem' },
      'http.tls.certFile: cannot read /nope/cert.pem',
    ],
    [
      'an unreadable key file',
      { [`${MQTT}certFile`]: '/tls/bad-cert.pem', [`${MQTT}keyFile`]: '/nope/key.pem' },
      'mqtt.tls.keyFile: cannot read /nope/key.pem',
    ],
    [
      'a certificate file that is not PEM',
      { [`${HTTP}certFile`]: '/tls/garbage.pem', [`${HTTP}keyFile`]: '/tls/key.pem' },
      'http.tls.certFile: /tls/garbage.pem is not PEM',
    ],
    [
      'a certificate that cannot be read',
      { [`${HTTP}certFile`]: '/tls/bad-cert.pem', [`${HTTP}keyFile`]: '/tls/key.pem' },
      'http.tls.certFile: /tls/bad-cert.pem holds a certificate (number 1) that cannot be read',
    ],
    [
      'a public key as the certificate',
      { [`${HTTP}certFile`]: '/tls/public.pem', [`${HTTP}keyFile`]: '/tls/key.pem' },
      'http.tls.certFile: /tls/public.pem holds no certificate (found PUBLIC KEY)',
    ],
    [
      'a public key as the private key',
      { [`${HTTP}certFile`]: '/tls/bad-cert.pem', [`${HTTP}keyFile`]: '/tls/public.pem' },
      'http.tls.keyFile: /tls/public.pem holds no private key (found PUBLIC KEY)',
    ],
    [
      'an encrypted private key',
      { [`${HTTP}certFile`]: '/tls/bad-cert.pem', [`${HTTP}keyFile`]: '/tls/encrypted-key.pem' },
      'http.tls.keyFile: /tls/encrypted-key.pem holds an encrypted private key',
    ],
    [
      'a key file that is not PEM',
      { [`${MQTT}certFile`]: '/tls/bad-cert.pem', [`${MQTT}keyFile`]: '/tls/garbage.pem' },
      'mqtt.tls.keyFile: /tls/garbage.pem is not PEM',
    ],
    [
      'a CA file with the embedded broker',
      { CCTV_HUB__mqtt__caFile: '/tls/ca.pem' },
      'mqtt.caFile: only for an external broker at an mqtts:// mqtt.url',
    ],
    [
      'a CA file with a plain mqtt:// broker',
      { MQTT_URL: 'mqtt://user:pw@broker:1883', CCTV_HUB__mqtt__caFile: '/tls/ca.pem' },
      'mqtt.caFile: mqtt.url mqtt://broker:1883 is not mqtts://',
    ],
    [
      'an unreadable CA file',
      { MQTT_URL: 'mqtts://broker:8883', CCTV_HUB__mqtt__caFile: '/nope/ca.pem' },
      'mqtt.caFile: cannot read /nope/ca.pem',
    ],
    [
      'a CA file that is not PEM',
      { MQTT_URL: 'mqtts://broker:8883', CCTV_HUB__mqtt__caFile: '/tls/garbage.pem' },
      'mqtt.caFile: /tls/garbage.pem is not PEM',
    ],
    ['TLS only without a certificate', { [`${MQTT}only`]: 'true' }, 'mqtt.tls.only: needs mqtt.tls.certFile'],
    [
      'TLS only with the demo fleet',
      { [`${MQTT}only`]: 'true', DEMO: '1' },
      "mqtt.tls.only: the demo fleet's agents connect over plain MQTT",
    ],
    [
      'an embedded-broker certificate with an external broker',
      { MQTT_URL: 'mqtts://broker:8883', [`${MQTT}certFile`]: '/tls/cert.pem' },
      'mqtt.tls.certFile: configures the embedded broker, but mqtt.url names an external one',
    ],
    [
      'the TLS listener on the plain port',
      {
        CCTV_HUB__mqtt__port: '8883',
        [`${MQTT}certFile`]: '/tls/bad-cert.pem',
        [`${MQTT}keyFile`]: '/tls/key.pem',
      },
      'mqtt.tls.port: 8883 is also mqtt.port',
    ],
  ])('refuses %s, naming the key', (_name, env, expected) => {
    const list = problems(env);
    expect(
      list.some((p) => p.startsWith(expected)),
      list.join('\n'),
    ).toBe(true);
  });

  it('lists every problem at once', () => {
    const list = problems({
      [`${HTTP}certFile`]: '/tls/cert.pem',
      [`${MQTT}keyFile`]: '/tls/key.pem',
      CCTV_HUB__mqtt__caFile: '/tls/ca.pem',
    });
    expect(list.map((p) => p.split(':')[0])).toEqual([
      'http.tls.keyFile',
      'mqtt.tls.certFile',
      'mqtt.caFile',
    ]);
  });

  it('never puts key material in a message', () => {
    const list = problems({ [`${HTTP}certFile`]: '/tls/key.pem', [`${HTTP}keyFile`]: '/tls/key.pem' });
    expect(list.join('\n')).not.toContain((FILES['/tls/key.pem'] as string).split('\n')[1]);
  });
});
