import type { Logger } from 'pino';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import type { PackResult, RuleStatus } from '../../../src/compliance/result.ts';
import type { StateDurations } from '../../../src/uptime/durations.ts';
import { londonDay, londonMonthWindow } from '../../../src/uptime/london-time.ts';
import { TimeSlice } from '../time-slice.ts';
import type { ComplianceRepository } from './compliance-repository.ts';
import { assignmentMap, evaluateCamera } from './evaluate-camera.ts';

/** Cameras recorded in one statement. */
const RECORD_CHUNK = 250;

/**
 * The longest the cycle holds the event loop between two turns. Live pushes wait behind it, so it
 * is kept well under the region's 10 ms target: 500 cameras at a time held it for 30-70 ms
 * (2,000 cameras, the region bench).
 */
const SLICE_MS = 4;

/** Cameras whose evidence is held at once (see ComplianceRepository.countedFactsPages). */
const FACTS_PAGE = 2_000;

export interface ComplianceChange {
  cameraId: string;
  councilId: string;
  packRef: string;
  previous: RuleStatus | null;
  status: RuleStatus;
  failing: string[];
}

export interface ComplianceJobOptions {
  packs: RulePackRegistry;
  defaultCode: string;
  intervalMs: number;
  repository: ComplianceRepository;
  /**
   * Each counted camera's durations over [fromMs, toMs), counted as the uptime API and the reports
   * count them (only while approved and assigned), so the live rule and the reports agree.
   */
  countedDurations: (fromMs: number, toMs: number, nowMs: number) => Promise<Map<string, StateDurations>>;
  log: Logger;
  now: () => number;
  onChange: (changes: ComplianceChange[]) => void;
  /** Cameras whose evidence is read and held at once; FACTS_PAGE unless a test asks for fewer. */
  pageSize?: number;
  /** The clock that times the cycle's slices (performance.now unless a test counts its turns). */
  sliceClock?: () => number;
  /** Verifies the audit log's hash chain (for the access-audit rule); run at most every VERIFY_EVERY_MS. */
  verifyAudit?: () => Promise<{ ok: boolean; message: string }>;
}

/** Walking the whole audit chain is not free: once every 15 minutes is enough for a monthly rule. */
const VERIFY_EVERY_MS = 15 * 60_000;

/**
 * Evaluates every camera against its certification code each cycle, over the current Europe/London
 * calendar month (availability is per calendar month in the evidential code), keeps the status and
 * the day's history, and reports status changes for the live socket.
 */
export class ComplianceJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly last = new Map<string, RuleStatus>();

  constructor(private readonly options: ComplianceJobOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((error: Error) => this.options.log.error({ err: error }, 'compliance evaluation failed'))
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  private chain: { ok: boolean; message: string; atMs: number } | null = null;

  private async auditChain(nowMs: number): Promise<{ ok: boolean; message: string; atMs: number } | null> {
    const verify = this.options.verifyAudit;
    if (!verify) return null;
    if (!this.chain || nowMs - this.chain.atMs >= VERIFY_EVERY_MS || !this.chain.ok) {
      try {
        this.chain = { ...(await verify()), atMs: nowMs };
      } catch (error) {
        this.options.log.error({ err: error }, 'audit log verification could not run');
        return null;
      }
    }
    return this.chain;
  }

  /** One evaluation cycle; returns the status changes (also given to onChange, a recorded chunk at a time). */
  async runOnce(): Promise<ComplianceChange[]> {
    const { repository, packs, now } = this.options;
    const nowMs = now();
    const month = londonMonthWindow(londonDay(nowMs).slice(0, 7));
    const assignments = assignmentMap(await repository.assignments());
    const durations = await this.options.countedDurations(month.fromMs, month.toMs, nowMs);
    const views = await repository.feedViews(month.fromMs, month.toMs);
    const chain = await this.auditChain(nowMs);
    const context = {
      packs,
      defaultCode: this.options.defaultCode,
      assignments,
      period: month,
      durations,
      views,
      chain,
      nowMs,
    };
    // A camera's new status is taken as known (for the next cycle's comparison and for the live
    // change) only once its row is recorded: a cycle that fails part-way, a page read or a record
    // failing, pushes what it recorded and leaves the rest to report as changes next cycle.
    let rows: { cameraId: string; result: PackResult }[] = [];
    let pending: ComplianceChange[] = [];
    const changes: ComplianceChange[] = [];
    // Each chunk's changes go live once recorded, in a message of at most RECORD_CHUNK changes: a
    // first cycle over 2,000 cameras as one message held the event loop for 14 ms writing it.
    const flush = async () => {
      await repository.record(rows, londonDay(nowMs), nowMs);
      for (const row of rows) this.last.set(row.cameraId, row.result.status);
      if (pending.length > 0) this.options.onChange(pending);
      changes.push(...pending);
      rows = [];
      pending = [];
    };
    // A whole fleet at once held the event loop for seconds (20,000 cameras: ~4 s, mostly
    // serialising results), stalling ingest and live pushes: evaluate in slices of at most SLICE_MS,
    // yielding between them, and record in chunks.
    const slice = new TimeSlice(SLICE_MS, this.options.sliceClock);
    for await (const page of repository.countedFactsPages(nowMs, this.options.pageSize ?? FACTS_PAGE)) {
      slice.restart();
      for (const camera of page) {
        if (rows.length >= RECORD_CHUNK) {
          await flush();
          slice.restart();
        } else {
          const turn = slice.due();
          if (turn) await turn;
        }
        const evaluation = evaluateCamera(camera, context);
        if (!evaluation.ok) {
          this.options.log.error(
            {
              cameraId: camera.id,
              code: evaluation.assignment.code,
              version: evaluation.assignment.version,
            },
            'assigned certification code is not loaded',
          );
          continue;
        }
        const { result } = evaluation;
        const previous = this.last.get(camera.id) ?? null;
        const changed = previous !== result.status;
        rows.push({ cameraId: camera.id, result });
        if (changed) {
          pending.push({
            cameraId: camera.id,
            councilId: camera.councilId,
            packRef: result.ref,
            previous,
            status: result.status,
            failing: result.results.filter((r) => r.status === 'fail').map((r) => r.ruleId),
          });
        }
      }
    }
    await flush();
    return changes;
  }
}
