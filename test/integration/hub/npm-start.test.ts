import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/mosquitto.ts';

// `npm start` as a user runs it: the package script itself (build step, then the start bundle), on
// the embedded pair, without the demo. It must serve /healthz and the dashboard from the bundle
// (paths to the migrations, the dashboard build and the child processes are found from the project
// root, not from where the bundle sits), and stop cleanly on Ctrl-C.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-npm-start-'));
  let child: ChildProcess | null = null;
  const output: string[] = [];

  afterAll(() => {
    if (child?.pid && child.exitCode === null && child.signalCode === null)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the hub and the dashboard from the start bundle, and stops on Ctrl-C', async () => {
    const port = await freePort();
    const mqttPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DEMO: '0',
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      CCTV_AUTH_SECRET: 'npm-start-test-secret-not-for-production',
      CCTV_HUB__database__dataDir: join(dir, 'data'),
    };
    child = spawn('npm', ['start'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 150_000;
    let health: unknown = null;
    while (Date.now() < deadline && child.exitCode === null) {
      health = await fetch(`${url}/healthz`).then(
        async (r) => (r.status === 200 ? r.json() : null),
        () => null,
      );
      if (health) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(health, output.join('').slice(-3000)).toEqual({ status: 'ok' });
    // The command npm ran is the bundle, not the TypeScript source.
    expect(output.join('')).toContain('build/hub.mjs');
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    // Ctrl-C in the terminal: the whole process group gets SIGINT; the hub drains and closes.
    const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
    process.kill(-(child.pid as number), 'SIGINT');
    await exited;
    await new Promise((r) => setTimeout(r, 500));
    const all = output.join('');
    expect(all).toContain('"msg":"shutting down"');
    // The signal reached the embedded database's process too: it waits for the hub's ordered stop
    // (ingest drained, the database last), so the stop logs no error and ends with "stopped".
    expect(all).toContain('"msg":"stopped"');
    const troubled = all.split('\n').filter((line) => /"level":(50|60)/.test(line));
    expect(troubled, troubled.join('\n').slice(0, 3000)).toEqual([]);
    expect(
      await fetch(`${url}/healthz`).then(
        () => 'still serving',
        () => 'closed',
      ),
    ).toBe('closed');
  }, 180_000);
});
