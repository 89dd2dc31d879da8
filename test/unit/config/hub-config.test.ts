import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hubExampleText, withConfigReference } from '../../../src/config/examples.ts';
import { HUB_ENV_ALIASES, HUB_ENV_PREFIX, HubConfig } from '../../../src/config/hub-config.ts';
import { ConfigError, defaultsOf, redactConfig, resolveConfig } from '../../../src/config/resolve.ts';

const resolve = (fileText?: string, env: Record<string, string> = {}) =>
  resolveConfig(HubConfig, {
    fileText,
    source: 'hub.yaml',
    env,
    envAliases: HUB_ENV_ALIASES,
    envPrefix: HUB_ENV_PREFIX,
  });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('hub config', () => {
  it('the shipped example equals the defaults and is up to date with the schema', () => {
    const text = readFileSync('config/hub.example.yaml', 'utf8');
    expect(text).toBe(hubExampleText());
    expect(resolve(text)).toEqual(defaultsOf(HubConfig));
    expect(resolve()).toEqual(defaultsOf(HubConfig));
  });

  it('applies file, then environment aliases, then generic overrides', () => {
    const config = resolve('http:\n  port: 9000\ndemo:\n  enabled: true\n', {
      PORT: '9100',
      DEMO: '0',
      MQTT_URL: 'mqtt://127.0.0.1:1884',
      CCTV_HUB__ingest__batchSize: '250',
    });
    expect(config.http.port).toBe(9100);
    expect(config.demo.enabled).toBe(false);
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1884');
    expect(config.ingest.batchSize).toBe(250);
  });

  it.each([
    ['unknown key', 'http:\n  prot: 80\n', {}, 'http.prot: Unexpected property'],
    ['unknown group', 'htp: {}\n', {}, 'htp: Unexpected property'],
    ['wrong type in file', 'http:\n  port: eighty\n', {}, 'http.port: Expected integer'],
    [
      'out of range',
      'http:\n  port: 70000\n',
      {},
      'http.port: Expected integer to be less or equal to 65535',
    ],
    ['wrong type in env', undefined, { PORT: 'eighty' }, 'http.port: Expected integer'],
    ['bad enum', 'log:\n  level: loud\n', {}, 'log.level:'],
    ['unknown key from env', undefined, { CCTV_HUB__http__prot: '1' }, 'http.prot: Unexpected property'],
  ])('fails on %s naming the key', (_name, file, env, expected) => {
    const list = problems(() => resolve(file, env as Record<string, string>));
    expect(list.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('lists every problem at once', () => {
    expect(problems(() => resolve('http:\n  port: x\n  host: 5\nfoo: 1\n'))).toHaveLength(3);
  });

  it('names the file and line of a YAML syntax error', () => {
    const error = (() => {
      try {
        resolve('http:\n  port: [1,\n');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.message).toMatch(/hub\.yaml/);
    expect(error?.problems[0]).toMatch(/^line \d+:/);
  });

  it('redacts secrets in config dumps', () => {
    const dump = JSON.stringify(
      redactConfig({
        ...resolve(undefined, {
          DATABASE_URL: 'postgres://u:hunter2@db/cctv',
          CCTV_DEMO_PASSWORD: 'letmein',
        }),
      }),
    );
    expect(dump).not.toContain('hunter2');
    expect(dump).not.toContain('letmein');
    expect(dump).toContain('postgres://db/cctv');
  });
});

describe('docs/configuration.md reference', () => {
  it('is up to date with the schemas (npm run gen:config)', () => {
    const readme = readFileSync('docs/configuration.md', 'utf8');
    expect(readme).toBe(withConfigReference(readme));
    expect(readme).toContain('| `mqtt.port` | integer | `1883` |');
  });
});
