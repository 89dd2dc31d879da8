import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import {
  type MosquittoBridge,
  type MosquittoSiteUser,
  writeMosquittoConfig,
} from '../../hub-server/src/broker/mosquitto-config.ts';

/** Debian's broker; MOSQUITTO names another binary. */
const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
}

export interface TestMosquittoOptions {
  /**
   * Keep sessions and queued messages on disk in the test's directory, so they survive stop() and
   * start() again (restart()), as a production broker does. Off by default.
   */
  persistence?: boolean;
  /** Linked hubs whose bridges sign in here (user bridge.<hub>), with their passwords. */
  peers?: readonly { hub: string; password: string }[];
  /** Bridges from here to peer hubs' brokers. */
  bridges?: () => readonly MosquittoBridge[];
}

/**
 * A Mosquitto the test starts itself, on a free port, with the configuration the hub generates
 * (writeMosquittoConfig) and nothing else but test settings (no persistence unless asked; stay root
 * if root).
 */
export class TestMosquitto {
  private child: ChildProcess | null = null;
  readonly output: string[] = [];
  port = 0;
  /** The TLS listener's port, when started with a certificate. */
  tlsPort = 0;

  constructor(
    private readonly dir: string,
    private readonly hub: { username: string; password: string },
    private readonly tls: { certFile: string; keyFile: string } | null = null,
    private readonly options: TestMosquittoOptions = {},
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get tlsUrl(): string {
    return `mqtts://127.0.0.1:${this.tlsPort}`;
  }

  /** Rewrites password file and ACL from these site users; call reload() to apply. */
  async configure(sites: readonly MosquittoSiteUser[]): Promise<string> {
    const written = await writeMosquittoConfig(this.dir, {
      hub: this.hub,
      sites,
      peers: this.options.peers ?? [],
      bridges: this.options.bridges?.() ?? [],
      listener: { host: '127.0.0.1', port: this.port },
      tls: this.tls ? { listener: { host: '127.0.0.1', port: this.tlsPort }, ...this.tls } : null,
    });
    const testConf = join(this.dir, 'test.conf');
    // As root Mosquitto would switch to its own user, which cannot read the owner-only password file.
    const asRoot = process.getuid?.() === 0 ? 'user root\n' : '';
    const persistence = this.options.persistence
      ? `persistence true\npersistence_location ${join(this.dir, 'persistence')}/\n`
      : 'persistence false\n';
    // Test settings first: after a bridge's `connection` line, Mosquitto reads settings as the bridge's.
    writeFileSync(testConf, `${persistence}${asRoot}${readFileSync(written.confPath, 'utf8')}`);
    return testConf;
  }

  async start(sites: readonly MosquittoSiteUser[]): Promise<void> {
    if (!existsSync(MOSQUITTO))
      throw new Error(
        `Mosquitto not found at ${MOSQUITTO}: install it (apt-get install -y mosquitto) or set MOSQUITTO`,
      );
    this.port = await freePort();
    if (this.tls) this.tlsPort = await freePort();
    if (this.options.persistence) mkdirSync(join(this.dir, 'persistence'), { recursive: true });
    const conf = await this.configure(sites);
    await this.spawn(conf);
  }

  /** Starts it again on the same ports and configuration after stop() (or kill()). */
  async restart(): Promise<void> {
    if (this.child) throw new Error('mosquitto is still running');
    await this.spawn(join(this.dir, 'test.conf'));
  }

  private async spawn(conf: string): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    await waitForPort(this.port, 10_000);
    if (this.tls) await waitForPort(this.tlsPort, 10_000);
  }

  /** Mosquitto re-reads its password file and ACL on SIGHUP. */
  reload(): void {
    this.child?.kill('SIGHUP');
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM: Mosquitto closes its connections and, with persistence, saves its sessions and queues. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
