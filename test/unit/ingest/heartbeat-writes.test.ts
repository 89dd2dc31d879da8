import { describe, expect, it } from 'vitest';
import type { CameraUpdate } from '../../../hub-server/src/ingest/batch-writer.ts';
import { planCameraWrites, UnsavedHeartbeats } from '../../../hub-server/src/ingest/heartbeat-writes.ts';
import type { CameraView } from '../../../src/schemas/api.ts';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const since = new Date(T0 - 60_000);

function view(id: string, state: CameraView['state'] = 'up'): CameraView {
  return {
    id,
    name: id,
    siteId: 's',
    councilId: 'c',
    hubId: 'h',
    state,
    stateSince: since.toISOString(),
    lastSeenAt: null,
    reasons: [],
    location: { type: 'Point', coordinates: [0, 51] },
    bearingDeg: 90,
    hfovDeg: 60,
    designDistanceM: 20,
    purpose: 'observe',
    approval: 'approved',
  };
}

function heartbeat(id: string, atMs: number, state = 'up', stateSince = since): CameraUpdate {
  return {
    id,
    state,
    stateSince,
    reasons: [],
    lastSeenAt: new Date(atMs),
    lastHealth: { seenAt: atMs },
    lastHealthAt: new Date(atMs),
    lastStream: null,
    lastStreamAt: null,
  };
}

describe('planCameraWrites', () => {
  const committed = new Map([
    ['a', view('a')],
    ['b', view('b')],
  ]);
  const plan = (
    held: UnsavedHeartbeats,
    updates: CameraUpdate[],
    nowMs: number,
    flush: 'none' | 'due' | 'all' = 'none',
    removed = new Set<string>(),
  ) => planCameraWrites({ updates, removed, committed, held, nowMs, writeEveryMs: 5000, flush });

  it('writes a camera row at its first heartbeat, then at most every writeEveryMs while the state stands', () => {
    const held = new UnsavedHeartbeats();
    const first = plan(held, [heartbeat('a', T0)], T0);
    expect(first.heartbeats.map((h) => h.id)).toEqual(['a']);
    held.apply(first, T0);
    const second = plan(held, [heartbeat('a', T0 + 1000)], T0 + 1000);
    expect(second.heartbeats).toEqual([]);
    expect(second.full).toEqual([]);
    expect(second.deferred.get('a')?.lastSeenAt).toEqual(new Date(T0 + 1000));
    held.apply(second, T0 + 1000);
    // The newest held values go out once the write is due.
    const third = plan(held, [heartbeat('a', T0 + 5000)], T0 + 5000);
    expect(third.heartbeats).toEqual([
      {
        id: 'a',
        lastSeenAt: new Date(T0 + 5000),
        lastHealth: { seenAt: T0 + 5000 },
        lastHealthAt: new Date(T0 + 5000),
      },
    ]);
    held.apply(third, T0 + 5000);
    expect(held.unsaved.size).toBe(0);
  });

  it('writes a state change at once, in full, with the heartbeat columns held back before it', () => {
    const held = new UnsavedHeartbeats();
    held.apply(plan(held, [heartbeat('a', T0)], T0), T0);
    held.apply(plan(held, [heartbeat('a', T0 + 1000)], T0 + 1000), T0 + 1000);
    const change = {
      ...heartbeat('a', T0 + 1500, 'down', new Date(T0 + 1500)),
      lastHealth: null,
      lastHealthAt: null,
    };
    const p = plan(held, [change], T0 + 1500);
    expect(p.full).toHaveLength(1);
    expect(p.full[0]).toMatchObject({ id: 'a', state: 'down', lastHealth: { seenAt: T0 + 1000 } });
    expect(p.full[0]?.lastSeenAt).toEqual(new Date(T0 + 1500));
    held.apply(p, T0 + 1500);
    expect(held.unsaved.has('a')).toBe(false);
  });

  it('keeps the newest health sample when a held one is newer than the update', () => {
    const held = new UnsavedHeartbeats();
    held.apply(plan(held, [heartbeat('a', T0)], T0), T0);
    held.apply(plan(held, [heartbeat('a', T0 + 3000)], T0 + 3000), T0 + 3000);
    // An older sample (arrived out of order) does not replace the held newer one.
    const p = plan(held, [heartbeat('a', T0 + 2000)], T0 + 3500);
    expect(p.deferred.get('a')).toMatchObject({
      lastHealth: { seenAt: T0 + 3000 },
      lastSeenAt: new Date(T0 + 3000),
    });
  });

  it('writes what is held for cameras that went quiet at a sweep once due, and everything on a full flush', () => {
    const held = new UnsavedHeartbeats();
    held.apply(plan(held, [heartbeat('a', T0), heartbeat('b', T0)], T0), T0);
    held.apply(plan(held, [heartbeat('a', T0 + 1000), heartbeat('b', T0 + 4000)], T0 + 4000), T0 + 4000);
    expect([...held.unsaved.keys()].sort()).toEqual(['a', 'b']);
    expect(plan(held, [], T0 + 4500, 'due').heartbeats).toEqual([]);
    const due = plan(held, [], T0 + 5000, 'due');
    expect(due.heartbeats.map((h) => [h.id, h.lastSeenAt?.getTime()])).toEqual([
      ['a', T0 + 1000],
      ['b', T0 + 4000],
    ]);
    const all = plan(held, [], T0 + 4100, 'all');
    expect(all.heartbeats.map((h) => h.id).sort()).toEqual(['a', 'b']);
    held.apply(all, T0 + 4100);
    expect(held.unsaved.size).toBe(0);
  });

  it('forgets removed cameras and never writes them', () => {
    const held = new UnsavedHeartbeats();
    held.apply(plan(held, [heartbeat('a', T0)], T0), T0);
    held.apply(plan(held, [heartbeat('a', T0 + 1000)], T0 + 1000), T0 + 1000);
    const p = plan(held, [heartbeat('a', T0 + 6000)], T0 + 6000, 'all', new Set(['a']));
    expect(p.full).toEqual([]);
    expect(p.heartbeats).toEqual([]);
    held.apply(p, T0 + 6000);
    expect(held.unsaved.has('a')).toBe(false);
    expect(held.savedAt('a')).toBe(Number.NEGATIVE_INFINITY);
  });
});
