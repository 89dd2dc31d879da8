import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type ComplianceChange, ComplianceJob } from '../../../hub-server/src/compliance/compliance-job.ts';
import {
  type CameraFacts,
  ComplianceRepository,
} from '../../../hub-server/src/compliance/compliance-repository.ts';
import { loadPackDir } from '../../../hub-server/src/compliance/pack-store.ts';
import type { PackResult } from '../../../src/compliance/result.ts';

// The certification cycle over a large fleet shares the event loop with ingest and live pushes: it
// records and publishes a chunk of cameras at a time, and lets other work run between its slices.

const packs = loadPackDir(fileURLToPath(new URL('../../../config/certification', import.meta.url)));
const NOW = Date.parse('2026-03-15T12:00:00Z');

/** A fleet of `count` cameras with no readings, in pages of `pageSize`; records kept in memory. */
class FakeFleet extends ComplianceRepository {
  readonly recorded: number[] = [];
  constructor(
    private readonly count: number,
    private readonly pageSize: number,
  ) {
    super(null as never);
  }
  override async assignments() {
    return [];
  }
  override async feedViews() {
    return new Map();
  }
  override async *countedFactsPages(): AsyncGenerator<CameraFacts[]> {
    for (let from = 0; from < this.count; from += this.pageSize) {
      const page: CameraFacts[] = [];
      for (let i = from; i < Math.min(this.count, from + this.pageSize); i++) {
        const id = `cam-${String(i).padStart(5, '0')}`;
        page.push({ id, siteId: 'site-1', councilId: `council-${i % 3}`, evidence: { camera: { id } } });
      }
      yield page;
    }
  }
  override async record(rows: { cameraId: string; result: PackResult }[]): Promise<void> {
    this.recorded.push(rows.length);
  }
}

const jobOver = (
  fleet: FakeFleet,
  onChange: (changes: ComplianceChange[]) => void,
  sliceClock?: () => number,
) =>
  new ComplianceJob({
    sliceClock,
    packs,
    defaultCode: 'public-space-baseline',
    intervalMs: 60_000,
    repository: fleet,
    countedDurations: async () => new Map(),
    log: pino({ level: 'silent' }),
    now: () => NOW,
    onChange,
  });

describe('compliance job over a large fleet', () => {
  it('records and publishes at most 250 cameras at a time, every camera once', async () => {
    const fleet = new FakeFleet(1_100, 400);
    const published: ComplianceChange[][] = [];
    const job = jobOver(fleet, (c) => published.push(c));
    const changes = await job.runOnce();
    expect(fleet.recorded).toEqual([250, 250, 250, 250, 100]);
    // A first cycle: every camera's status is new, so each chunk is published as it is recorded.
    expect(published.map((p) => p.length)).toEqual([250, 250, 250, 250, 100]);
    expect(new Set(published.flat().map((c) => c.cameraId)).size).toBe(1_100);
    expect(changes).toHaveLength(1_100);
    // The next cycle finds nothing changed: it records every camera again and publishes nothing.
    published.length = 0;
    expect(await job.runOnce()).toEqual([]);
    expect(fleet.recorded.slice(5)).toEqual([250, 250, 250, 250, 100]);
    expect(published).toEqual([]);
  });

  it('gives the event loop a turn each time a slice has run 4 ms', async () => {
    const fleet = new FakeFleet(1_000, 1_000);
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    // A clock that moves 1 ms each time it is read: about one read per camera.
    let clockMs = 0;
    await jobOver(
      fleet,
      () => undefined,
      () => clockMs++,
    ).runOnce();
    running = false;
    // Every few cameras, not only when a chunk of 250 is recorded (which gave 4 turns).
    expect(turns).toBeGreaterThan(150);
  });
});
