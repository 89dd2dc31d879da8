import { describe, expect, it } from 'vitest';
import { BatchClocks } from '../../../hub-server/src/ingest/agent-clocks.ts';
import { Working } from '../../../hub-server/src/ingest/working-state.ts';
import { FleetState } from '../../../hub-server/src/state/fleet-state.ts';
import type { DecodedMessage } from '../../../src/messages.ts';
import type { SiteView } from '../../../src/schemas/api.ts';

const T0 = Date.parse('2026-11-24T07:00:00Z');
const site: SiteView = {
  id: 'site-a',
  name: 'Site A',
  councilId: 'council-a',
  hubId: 'hub',
  state: 'online',
  stateSince: new Date(T0).toISOString(),
  lastSeenAt: null,
  cameraCount: 0,
  location: null,
  clockSuspect: false,
  clockReason: null,
  agentClockOffsetMs: null,
  agentClock: null,
  monitor: null,
};
const options = { agentClockMaxOffsetMs: 2000, agentClockWindowMs: 900_000 };

let seq = 0;
function siteState(state: 'online' | 'offline', observedAtMs: number): DecodedMessage {
  return {
    kind: 'siteState',
    siteId: 'site-a',
    cameraId: null,
    envelope: {
      v: 1,
      msgId: `m${seq}`,
      siteId: 'site-a',
      seq: seq++,
      observedAt: new Date(observedAtMs).toISOString(),
      payload: { state },
    },
  } as DecodedMessage;
}

function run(messages: [DecodedMessage, number, boolean][]) {
  const fleet = new FleetState();
  fleet.sites.set(site.id, site);
  const work = new Working(fleet);
  const clocks = new BatchClocks(fleet, options);
  for (const [m, receivedAtMs, retained] of messages) clocks.observe(m, new Date(receivedAtMs), retained);
  clocks.apply(work);
  clocks.commit();
  return { view: work.site(site.id) as SiteView, rows: clocks.rows, fleet };
}

describe('BatchClocks', () => {
  it('flags an agent whose online state arrives 10 s before it was observed', () => {
    const { view, rows } = run([[siteState('online', T0 + 10_000), T0, false]]);
    expect(view.clockSuspect).toBe(true);
    expect(view.agentClockOffsetMs).toBe(10_000);
    expect(rows).toHaveLength(1);
  });

  it('ignores a retained state the broker replays and a last will composed at connect', () => {
    const { view, rows, fleet } = run([
      [siteState('online', T0 - 3_600_000), T0, true],
      [siteState('offline', T0 - 3_600_000), T0, false],
    ]);
    expect(view.clockSuspect).toBe(false);
    expect(view.agentClockOffsetMs).toBeNull();
    expect(rows).toHaveLength(0);
    expect(fleet.siteClocks.get(site.id)?.window.candidates ?? []).toHaveLength(0);
  });

  it('keeps an unchanged verdict out of the database and live pushes', () => {
    const fleet = new FleetState();
    fleet.sites.set(site.id, { ...site, agentClockOffsetMs: -20 });
    const clocks = new BatchClocks(fleet, options);
    clocks.observe(siteState('online', T0 - 50), new Date(T0), false);
    const work = new Working(fleet);
    clocks.apply(work);
    expect(clocks.rows).toHaveLength(0);
    expect(work.sites.size).toBe(0);
  });
});
