import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEmbeddedDatabase } from '../../support/pglite-template.ts';

// The hub as a user starts it: a real process, its exit code and what it prints.

interface Outcome {
  code: number | null;
  output: string;
}

function runHub(env: Record<string, string>, args: string[] = [], timeoutMs = 60_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub-server/src/main.ts', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DEMO: '0',
        PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not exit within ${timeoutMs} ms:\n${output.slice(-2000)}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('hub start-up errors', () => {
  let taken: Server;
  let takenPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'cctv-startup-'));

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    takenPort = (taken.address() as { port: number }).port;
    // The hubs that get as far as opening their database open a migrated copy: a new one costs
    // 12-24 s each to create, and what is tested here is how each stops (the first start on an empty
    // directory is covered by the npm-start test).
    for (const name of ['db1', 'db2', 'db3']) await seedEmbeddedDatabase(join(dir, name));
  }, 180_000);

  afterAll(async () => {
    await new Promise<void>((r) => taken.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('names MQTT_PORT and MQTT_URL when the broker port is taken', async () => {
    const { code, output } = await runHub({
      MQTT_PORT: String(takenPort),
      CCTV_HUB__database__dataDir: join(dir, 'db1'),
    });
    expect(code).toBe(1);
    expect(output).toContain(`127.0.0.1:${takenPort} is already in use`);
    expect(output).toContain('MQTT_PORT');
    expect(output).toContain('MQTT_URL');
  });

  it('names PORT when the HTTP port is taken', async () => {
    const { code, output } = await runHub({
      PORT: String(takenPort),
      MQTT_PORT: '0',
      CCTV_HUB__database__dataDir: join(dir, 'db2'),
    });
    expect(code).toBe(1);
    expect(output).toContain('set PORT to a free port');
  });

  it.each([
    ['unknown key in the environment', { CCTV_HUB__http__prot: '80' }, [], 'http.prot: Unexpected property'],
    ['wrong type in the environment', { MQTT_PORT: 'many' }, [], 'mqtt.port: Expected integer'],
    [
      'a missing config file',
      {},
      ['--config', 'no-such-file.yaml'],
      'config file no-such-file.yaml does not exist',
    ],
  ])('fails fast on %s, naming it', async (_name, env, args, expected) => {
    const { code, output } = await runHub(env as Record<string, string>, args as string[]);
    expect(code).toBe(2);
    expect(output).toContain(expected);
  });

  it('stops on a broken certification pack, naming the file, the rule and the field', async () => {
    const { code, output } = await runHub({
      MQTT_PORT: '0',
      CCTV_HUB__compliance__packsDir: 'test/fixtures/certification',
      CCTV_HUB__database__dataDir: join(dir, 'db3'),
    });
    expect(code).toBe(1);
    expect(output).toContain('invalid certification rule pack');
    expect(output).toMatch(
      /test\/fixtures\/certification\/[a-z-]+\.yaml: rules\[\d+\] \([a-z-]+\) params\.[A-Za-z]+/,
    );
  });

  it('names the file and every bad key of a config file', async () => {
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, 'http:\n  bodyLimitBytes: lots\ningest:\n  batchSize: 0\nlogs: {}\n');
    const { code, output } = await runHub({}, ['--config', file]);
    expect(code).toBe(2);
    expect(output).toContain(file);
    expect(output).toContain('http.bodyLimitBytes: Expected integer');
    expect(output).toContain('ingest.batchSize: Expected integer to be greater or equal to 1');
    expect(output).toContain('logs: Unexpected property');
  });
});
