import type pg from 'pg';
import type { DecodedMessage } from '../../../src/messages.ts';
import type { SiteView } from '../../../src/schemas/api.ts';
import type { AgentClockHealth } from '../../../src/schemas/payloads.ts';
import {
  addClockSamples,
  type ClockSample,
  emptyClockWindow,
  estimateClockOffset,
  judgeAgentClock,
} from '../../../src/state/agent-clock.ts';
import type { FleetState, SiteClock } from '../state/fleet-state.ts';
import type { Working } from './working-state.ts';

export interface AgentClockOptions {
  agentClockMaxOffsetMs: number;
  agentClockWindowMs: number;
}

/** An offset moving less than this is not worth a database write or a live push. */
const OFFSET_CHANGE_MS = 100;

export interface SiteClockRow {
  id: string;
  agentClock: AgentClockHealth | null;
  offsetMs: number | null;
  suspect: boolean;
  reason: string | null;
}

/**
 * One batch's view of the agents' clocks: receive delays of the messages it holds and what the
 * agents said of their own clocks. Applied to the batch's site views after the messages, and kept
 * in FleetState only once the batch has committed.
 */
export class BatchClocks {
  private readonly samples = new Map<string, ClockSample[]>();
  private readonly reported = new Map<string, AgentClockHealth | null>();
  private readonly next = new Map<string, SiteClock>();
  readonly rows: SiteClockRow[] = [];

  constructor(
    private readonly fleet: FleetState,
    private readonly options: AgentClockOptions,
  ) {}

  /**
   * A message counts unless the broker replayed it as retained (sent long ago), or it is the last
   * will (composed at connect time, sent when the link broke).
   */
  observe(message: DecodedMessage, receivedAt: Date, retained: boolean): void {
    if (retained) return;
    const online = message.kind === 'siteState' && message.envelope.payload.state === 'online';
    if (message.kind === 'siteState' && !online) return;
    const list = this.samples.get(message.siteId) ?? [];
    list.push({
      receivedAtMs: receivedAt.getTime(),
      delayMs: receivedAt.getTime() - Date.parse(message.envelope.observedAt),
      anchor: online,
    });
    this.samples.set(message.siteId, list);
    if (online) this.reported.set(message.siteId, message.envelope.payload.agentClock ?? null);
  }

  /** Judges every site this batch heard from and updates the views whose clock status changed. */
  apply(work: Working): void {
    const ids = new Set([...this.samples.keys(), ...this.reported.keys()]);
    for (const id of ids) {
      const prior = this.fleet.siteClocks.get(id);
      const window = addClockSamples(
        prior?.window ?? emptyClockWindow(),
        this.samples.get(id) ?? [],
        this.options.agentClockWindowMs,
      );
      const reported = this.reported.has(id) ? (this.reported.get(id) ?? null) : (prior?.reported ?? null);
      this.next.set(id, { window, reported });
      const site = work.site(id);
      if (!site) continue;
      const estimate = estimateClockOffset(window);
      const judged = judgeAgentClock(estimate, reported, this.options.agentClockMaxOffsetMs);
      const offsetMs = estimate.offsetMs === null ? null : Math.round(estimate.offsetMs);
      const view: SiteView = {
        ...site,
        clockSuspect: judged.suspect,
        clockReason: judged.reason,
        agentClockOffsetMs: offsetMs,
        agentClock: reported,
      };
      if (!clockChanged(site, view)) continue;
      work.sites.set(id, view);
      this.rows.push({ id, agentClock: reported, offsetMs, suspect: judged.suspect, reason: judged.reason });
    }
  }

  /** After commit. */
  commit(): void {
    for (const [id, clock] of this.next) this.fleet.siteClocks.set(id, clock);
  }
}

function clockChanged(before: SiteView, after: SiteView): boolean {
  if (before.clockSuspect !== after.clockSuspect || before.clockReason !== after.clockReason) return true;
  if (JSON.stringify(before.agentClock) !== JSON.stringify(after.agentClock)) return true;
  const a = before.agentClockOffsetMs;
  const b = after.agentClockOffsetMs;
  if (a === null || b === null) return a !== b;
  return Math.abs(a - b) >= OFFSET_CHANGE_MS;
}

export async function updateSiteClocks(client: pg.PoolClient, rows: readonly SiteClockRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE sites s SET agent_clock = t.agent_clock, agent_clock_offset_ms = t.offset_ms,
       clock_suspect = t.suspect, clock_reason = t.reason
     FROM unnest($1::text[], $2::jsonb[], $3::float8[], $4::boolean[], $5::text[])
       AS t(id, agent_clock, offset_ms, suspect, reason)
     WHERE s.id = t.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => (r.agentClock === null ? null : JSON.stringify(r.agentClock))),
      rows.map((r) => r.offsetMs),
      rows.map((r) => r.suspect),
      rows.map((r) => r.reason),
    ],
  );
}
