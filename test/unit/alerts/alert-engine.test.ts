import { describe, expect, it } from 'vitest';
import { AlertEngine, type CameraInput, type SiteInput } from '../../../src/alerts/alert-engine.ts';
import type { CameraState } from '../../../src/schemas/camera-state.ts';

const S = 1000;
const options = { dampMs: 60 * S, groupMin: 2, groupShare: 0.5, flapCount: 4, flapWindowMs: 600 * S };

function fleet(states: Record<string, CameraState>, siteState = 'online') {
  const cameras: CameraInput[] = Object.entries(states).map(([id, state]) => ({
    id,
    name: `Camera ${id}`,
    siteId: id.startsWith('b') ? 'town-b' : 'town-a',
    councilId: 'council-1',
    state,
  }));
  const sites: SiteInput[] = [
    { id: 'town-a', name: 'Town A', councilId: 'council-1', state: siteState },
    { id: 'town-b', name: 'Town B', councilId: 'council-1', state: 'online' },
  ];
  return { cameras, sites };
}

const upAll = { a1: 'up', a2: 'up', a3: 'up', a4: 'up', b1: 'up' } as const;

describe('alert engine: grouping and damping', () => {
  it('raises one site alert when a town link fails, none per camera, and clears it when back', () => {
    const engine = new AlertEngine(options);
    expect(engine.evaluate(...(Object.values(fleet(upAll)) as [CameraInput[], SiteInput[]]), 0)).toEqual([]);
    const unknown = { a1: 'unknown', a2: 'unknown', a3: 'unknown', a4: 'unknown', b1: 'up' } as const;
    const f = fleet(unknown, 'offline');
    const opened = engine.evaluate(f.cameras, f.sites, 5 * S);
    expect(opened.map((a) => [a.id, a.kind, a.cameraIds.length])).toEqual([
      ['site_offline:town-a', 'site_offline', 4],
    ]);
    // Long after the damping time, still the one alert and nothing new.
    expect(engine.evaluate(f.cameras, f.sites, 500 * S)).toEqual([]);
    const back = fleet(upAll);
    const cleared = engine.evaluate(back.cameras, back.sites, 600 * S);
    expect(cleared.map((a) => [a.id, a.clearedAt !== null])).toEqual([['site_offline:town-a', true]]);
    expect(engine.openAlerts()).toEqual([]);
  });

  it("raises one alert per site of another hub whose link is down, none for its cameras' unknown state", () => {
    const engine = new AlertEngine(options);
    // Another hub's site, known here only through the link (no site of this hub's own).
    const linked = (state: CameraState, cut: boolean): CameraInput[] =>
      ['r1', 'r2'].map((id) => ({
        id,
        name: `Camera ${id}`,
        siteId: 'remote-town',
        councilId: 'council-9',
        state,
        reasons: cut ? [{ code: 'hub_link_down' }] : [],
      }));
    expect(engine.evaluate(linked('up', false), [], 0)).toEqual([]);
    const opened = engine.evaluate(linked('unknown', true), [], 5 * S);
    expect(opened.map((a) => [a.id, a.kind, a.severity, a.cameraIds])).toEqual([
      ['hub_link_down:remote-town', 'hub_link_down', 'major', ['r1', 'r2']],
    ]);
    // Unknown for another reason (stale data) is no link alert.
    const other = new AlertEngine(options);
    expect(other.evaluate(linked('unknown', false), [], 5 * S)).toEqual([]);
    const cleared = engine.evaluate(linked('up', false), [], 60 * S);
    expect(cleared.map((a) => [a.id, a.clearedAt !== null])).toEqual([['hub_link_down:remote-town', true]]);
  });

  it('groups cameras of one site going down together into one site alert after the damping time', () => {
    const engine = new AlertEngine(options);
    const f = fleet(upAll);
    engine.evaluate(f.cameras, f.sites, 0);
    const down = fleet({ ...upAll, a1: 'down', a2: 'down', a3: 'down' });
    expect(engine.evaluate(down.cameras, down.sites, 10 * S)).toEqual([]); // damped
    const raised = engine.evaluate(down.cameras, down.sites, 71 * S);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      id: 'site_cameras_down:town-a',
      kind: 'site_cameras_down',
      cameraIds: ['a1', 'a2', 'a3'],
      severity: 'major',
    });
    expect(raised[0]?.message).toMatch(/3 of 4 cameras down together/);
  });

  it('raises a single camera only after it stayed down, and a short blip not at all', () => {
    const engine = new AlertEngine({ ...options, flapCount: 10 });
    const f = fleet(upAll);
    engine.evaluate(f.cameras, f.sites, 0);
    const blip = fleet({ ...upAll, b1: 'down' });
    engine.evaluate(blip.cameras, blip.sites, 10 * S);
    expect(engine.evaluate(f.cameras, f.sites, 30 * S)).toEqual([]);
    engine.evaluate(blip.cameras, blip.sites, 100 * S);
    const raised = engine.evaluate(blip.cameras, blip.sites, 161 * S);
    expect(raised.map((a) => a.id)).toEqual(['camera_down:b1']);
    // Back up: the alert stays until the camera has been up for the damping time too.
    expect(engine.evaluate(f.cameras, f.sites, 170 * S)).toEqual([]);
    expect(engine.evaluate(f.cameras, f.sites, 231 * S).map((a) => [a.id, a.clearedAt !== null])).toEqual([
      ['camera_down:b1', true],
    ]);
  });

  it('turns a flapping camera into one flapping alert instead of a stream of them', () => {
    const engine = new AlertEngine(options);
    const up = fleet(upAll);
    const down = fleet({ ...upAll, b1: 'down' });
    const updates = [];
    for (let i = 0; i < 6; i++) {
      updates.push(...engine.evaluate(up.cameras, up.sites, i * 40 * S));
      updates.push(...engine.evaluate(down.cameras, down.sites, (i * 40 + 20) * S));
    }
    expect(updates.map((a) => a.id)).toEqual(['camera_flapping:b1']);
    expect(updates[0]?.message).toMatch(/keeps going down and up/);
  });

  it('keeps an acknowledgement on the alert', () => {
    const engine = new AlertEngine(options);
    const f = fleet(upAll, 'offline');
    engine.evaluate(f.cameras, f.sites, 0);
    expect(engine.acknowledge('site_offline:town-a', 'cr', 5 * S)).toMatchObject({ acknowledgedBy: 'cr' });
    expect(engine.acknowledge('site_offline:town-a', 'other', 6 * S)?.acknowledgedBy).toBe('cr');
    expect(engine.acknowledge('nope', 'cr', 6 * S)).toBeNull();
  });
});

describe('alert engine: restarts and recoveries', () => {
  const ev = (engine: AlertEngine, states: Record<string, CameraState>, at: number, site = 'online') => {
    const f = fleet(states, site);
    return engine.evaluate(f.cameras, f.sites, at);
  };

  it('carries restored alerts on with their acknowledgement, and does not reopen them', () => {
    const first = new AlertEngine(options);
    const down = { a1: 'down', a2: 'down', a3: 'down', a4: 'up', b1: 'up' } as const;
    ev(first, down, 0);
    const [site] = ev(first, down, 61 * S);
    expect(site?.id).toBe('site_cameras_down:town-a');
    first.acknowledge('site_cameras_down:town-a', 'op', 62 * S, 'engineer called');
    const restarted = new AlertEngine(options);
    restarted.restore(first.openAlerts(), 100 * S, 90 * S);
    // Same states after the restart: nothing opens, clears or changes.
    expect(ev(restarted, down, 100 * S)).toEqual([]);
    expect(ev(restarted, down, 300 * S)).toEqual([]);
    expect(restarted.openAlerts().map((a) => [a.id, a.acknowledgedBy, a.ackComment, a.openedAt])).toEqual([
      ['site_cameras_down:town-a', 'op', 'engineer called', new Date(61 * S).toISOString()],
    ]);
  });

  it('keeps a restored site-offline alert through the grace period, then clears it if still unwanted', () => {
    const first = new AlertEngine(options);
    ev(first, { a1: 'unknown', a2: 'unknown', a3: 'unknown', a4: 'unknown', b1: 'up' }, 0, 'offline');
    const restarted = new AlertEngine(options);
    restarted.restore(first.openAlerts(), 10 * S, 90 * S);
    // The site's state is not known yet after the restart: the alert stays.
    expect(
      ev(restarted, { a1: 'unknown', a2: 'unknown', a3: 'unknown', a4: 'unknown', b1: 'up' }, 20 * S),
    ).toEqual([]);
    const cleared = ev(restarted, upAll, 101 * S);
    expect(cleared.map((a) => [a.id, a.clearedAt !== null])).toEqual([['site_offline:town-a', true]]);
  });

  it('opens no camera alert for cameras coming back as their site alert dissolves', () => {
    const engine = new AlertEngine(options);
    const down = { a1: 'down', a2: 'down', a3: 'down', a4: 'down', b1: 'up' } as const;
    ev(engine, down, 0);
    expect(ev(engine, down, 61 * S).map((a) => a.id)).toEqual(['site_cameras_down:town-a']);
    // Three come back, then the last; as the site alert dissolves, the last one (back up, but
    // still counted as down within the damping time) must not open an alert of its own.
    ev(engine, { a1: 'up', a2: 'up', a3: 'up', a4: 'down', b1: 'up' }, 62 * S);
    ev(engine, upAll, 100 * S);
    const changes = ev(engine, upAll, 123 * S);
    expect(changes.map((a) => [a.id, a.clearedAt !== null])).toEqual([['site_cameras_down:town-a', true]]);
    expect(engine.openAlerts()).toEqual([]);
  });
});
