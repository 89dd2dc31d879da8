import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';
import type { HubConfig } from '../../../src/config/hub-config.ts';
import { fromRoot } from '../../../src/paths.ts';
import type { DemoProcessConfig } from './fleet-process.ts';

const PROCESS_SCRIPT = fromRoot('hub-server', 'src', 'demo', 'fleet-process.ts');

export interface DemoFleetOptions {
  mqttUrl: string;
  config: HubConfig['demo'];
  logLevel: string;
  /** MQTT password per demo site id; sent to the child over IPC only, never in argv or logs. */
  sitePasswords: ReadonlyMap<string, string>;
  /** Telemetry key per demo mobile source; over IPC only, like the site passwords. */
  sourceKeys?: ReadonlyMap<string, string>;
  log: Logger;
  startTimeoutMs?: number;
}

/** Runs the simulated town sites (cameras + edge agents) in a child process that publishes to the hub. */
export class DemoFleet {
  private child: ChildProcess | null = null;

  constructor(private readonly options: DemoFleetOptions) {}

  /** Starts the fleet; resolves to where the demo's mobile sources stream (source id -> RTSP URL). */
  async start(): Promise<Record<string, string>> {
    const { config, log } = this.options;
    const child = fork(PROCESS_SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    const request: DemoProcessConfig = {
      mqttUrl: this.options.mqttUrl,
      towns: config.towns,
      maxCamerasPerSite: config.maxCamerasPerSite,
      pollIntervalMs: config.pollIntervalMs,
      probeIntervalMs: config.probeIntervalMs,
      faultIntervalMs: config.faultIntervalMs,
      logLevel: this.options.logLevel,
      sitePasswords: Object.fromEntries(this.options.sitePasswords),
      sourceKeys: Object.fromEntries(this.options.sourceKeys ?? []),
    };
    const timeoutMs = this.options.startTimeoutMs ?? 180_000;
    const ready = await new Promise<{
      sites: number;
      cameras: number;
      sources?: number;
      sourceStreams?: Record<string, string>;
    }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`demo fleet did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.once(
        'message',
        (message: {
          ready?: { sites: number; cameras: number; sourceStreams?: Record<string, string> };
          error?: string;
        }) => {
          clearTimeout(timer);
          if (message.ready) resolve(message.ready);
          else reject(new Error(`demo fleet failed: ${message.error ?? 'unknown error'}`));
        },
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo fleet exited during start (code ${code})`));
      });
      child.send({ start: request });
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) log.error({ code, signal }, 'demo fleet process exited');
    });
    const { sourceStreams = {}, ...counts } = ready;
    log.info({ ...counts, sources: Object.keys(sourceStreams).length }, 'demo fleet running');
    return sourceStreams;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.send({ stop: true });
    });
  }
}
