import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { fromRoot } from '../../../src/paths.ts';
import type { RenderInputs, RenderKind, RenderReply, RenderRequest } from './render-jobs.ts';
import { ReportDataError } from './report-data.ts';

const WORKER_URL = pathToFileURL(fromRoot('hub-server', 'src', 'reports', 'render-worker-boot.mjs'));

export interface RenderPoolOptions {
  /** Worker threads; 0 picks one fewer than the machine's cores (at least one). */
  workers: number;
  /** Reports admitted beyond the workers: gathering their data or waiting for a worker. */
  queueLength: number;
  /** A build running longer is stopped and its worker replaced. */
  buildTimeoutMs: number;
  /** Old-generation heap of each worker: a report that outgrows it ends its worker, not the hub. */
  workerHeapMb: number;
  log: Logger;
}

export type Render = <K extends RenderKind>(kind: K, input: RenderInputs[K]) => Promise<Buffer>;

/** The hub cannot take or finish a report now; the API answers 503 with Retry-After. */
export class ReportsUnavailableError extends Error {
  constructor(
    readonly code: 'REPORTS_BUSY' | 'REPORT_TIMEOUT' | 'REPORTS_STOPPED',
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

interface Job {
  id: number;
  kind: RenderKind;
  input: unknown;
  resolve: (body: Buffer) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  startedMs: number;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * Builds PDFs and CSV exports on worker threads, so the event loop that answers /healthz, the API
 * and live pushes never waits for one. Admission is bounded: at most `workers + queueLength`
 * reports are in hand at once (gathering data, waiting or building); one more is refused at once
 * rather than queued without limit. Workers start on first use and stay until stop().
 */
export class ReportRenderPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private admitted = 0;
  private nextId = 1;
  private running = false;
  // A running mean of build times, for the Retry-After a refused caller is given.
  private meanBuildMs = 1000;

  constructor(private readonly options: RenderPoolOptions) {
    this.size = options.workers > 0 ? options.workers : Math.max(1, availableParallelism() - 1);
  }

  start(): void {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    const stopped = () =>
      new ReportsUnavailableError('REPORTS_STOPPED', 'the hub is shutting down', this.retryAfterS());
    for (const job of this.waiting.splice(0)) job.reject(stopped());
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.job?.reject(stopped());
      slot.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  get stats(): { workers: number; busy: number; waiting: number; admitted: number } {
    return {
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.job !== null).length,
      waiting: this.waiting.length,
      admitted: this.admitted,
    };
  }

  /**
   * Runs `work` (typically: read the data, then `render` it) if the pool has room, else refuses
   * with REPORTS_BUSY before any data is read. The room is held until `work` settles.
   */
  async admit<T>(work: (render: Render) => Promise<T>): Promise<T> {
    if (!this.running)
      throw new ReportsUnavailableError('REPORTS_STOPPED', 'reports are not being built now', 5);
    if (this.admitted >= this.size + this.options.queueLength) {
      throw new ReportsUnavailableError(
        'REPORTS_BUSY',
        `the hub is already building ${this.admitted} reports (at most ${this.size} at once, ${this.options.queueLength} waiting): retry later`,
        this.retryAfterS(),
      );
    }
    this.admitted++;
    try {
      return await work((kind, input) => this.enqueue(kind, input));
    } finally {
      this.admitted--;
    }
  }

  private retryAfterS(): number {
    const ahead = this.waiting.length + this.slots.filter((s) => s.job !== null).length;
    return Math.min(60, Math.max(1, Math.ceil((this.meanBuildMs * (ahead + 1)) / this.size / 1000)));
  }

  private enqueue(kind: RenderKind, input: unknown): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, kind, input, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running && this.waiting.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      this.run(slot, this.waiting.shift() as Job);
    }
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.startedMs = performance.now();
    slot.timer = setTimeout(() => {
      this.retire(
        slot,
        new ReportsUnavailableError(
          'REPORT_TIMEOUT',
          `building ${job.kind} took longer than ${this.options.buildTimeoutMs} ms`,
          this.retryAfterS(),
        ),
      );
    }, this.options.buildTimeoutMs);
    const request: RenderRequest = { id: job.id, kind: job.kind, input: job.input };
    try {
      // The input is copied here (structured clone); it is sent only when a worker is free, so
      // copies of queued reports are spread out rather than made all at once.
      slot.worker.postMessage(request);
    } catch (error) {
      clearTimeout(slot.timer);
      slot.timer = null;
      slot.job = null;
      job.reject(error as Error);
      this.dispatch();
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, {
      // The boot file registers the TypeScript loader itself; the hub's own flags (heap sizes) are not for workers.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb },
      name: 'report-render',
    });
    // Idle workers do not keep the process alive; the HTTP server does while the hub runs.
    worker.unref();
    const slot: Slot = { worker, job: null, startedMs: 0, timer: null };
    worker.on('message', (reply: RenderReply) => this.settle(slot, reply));
    worker.on('error', (error) => this.retire(slot, error));
    worker.on('exit', (code) => this.retire(slot, new Error(`report render worker exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot, reply: RenderReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    const tookMs = performance.now() - slot.startedMs;
    this.meanBuildMs = this.meanBuildMs * 0.8 + tookMs * 0.2;
    this.options.log.debug({ kind: job.kind, tookMs: Math.round(tookMs) }, 'report built');
    if (reply.ok) job.resolve(Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength));
    else job.reject(rebuildError(reply));
    this.dispatch();
  }

  /** A worker that failed, timed out or exited is dropped (and ended); its job fails; another starts on demand. */
  private retire(slot: Slot, error: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    if (slot.timer) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = null;
    void slot.worker.terminate();
    if (job) {
      this.options.log.warn({ kind: job.kind, err: error.message }, 'report render worker failed');
      job.reject(error);
    }
    this.dispatch();
  }
}

/** The worker's error as the hub's own: the report data checks keep their class and code. */
function rebuildError(reply: Extract<RenderReply, { ok: false }>): Error {
  if (reply.code?.startsWith('REPORT_'))
    return new ReportDataError(reply.code as ReportDataError['code'], reply.message);
  const error = new Error(`report build failed: ${reply.message}`);
  error.name = reply.name;
  return error;
}
