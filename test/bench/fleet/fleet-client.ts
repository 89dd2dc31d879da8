import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetCommand, FleetReport, FleetSpec } from './protocol.ts';

type Done = Extract<FleetReport, { type: 'done' }>;
type Progress = Extract<FleetReport, { type: 'progress' }>;

/** The parent's handle on a fleet generator process (generator.ts). */
export class FleetClient {
  private readonly child: ChildProcess;
  private waiters: {
    type: FleetReport['type'];
    resolve: (r: FleetReport) => void;
    reject: (e: Error) => void;
  }[] = [];
  readonly progress: Progress[] = [];

  constructor() {
    this.child = fork(fileURLToPath(new URL('./generator.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (report: FleetReport) => {
      if (report.type === 'progress') this.progress.push(report);
      if (report.type === 'error') {
        for (const w of this.waiters.splice(0)) w.reject(new Error(`fleet generator: ${report.message}`));
        return;
      }
      const i = this.waiters.findIndex((w) => w.type === report.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(report);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`fleet generator exited (${code})`));
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  private request<T extends FleetReport>(command: FleetCommand, answer: T['type']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ type: answer, resolve: resolve as (r: FleetReport) => void, reject });
      this.child.send(command);
    });
  }

  /** Connects, then publishes every site's inventory and online state (acknowledged). */
  async setup(spec: FleetSpec): Promise<void> {
    await this.request({ type: 'setup', spec }, 'ready');
  }

  /** Heartbeats at `rate` per second (0: as fast as acknowledged) for durationS; waits for the last acks. */
  run(rate: number, durationS: number): Promise<Done> {
    this.progress.length = 0;
    return this.request<Done>({ type: 'run', rate, durationS }, 'done');
  }

  /** clearRetained: empty the sites' retained inventory and state first (see Fleet.clearRetained). */
  async close(options: { clearRetained?: boolean } = {}): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'close', ...options } satisfies FleetCommand);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
