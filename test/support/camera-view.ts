import type { CameraView } from '../../src/schemas/api.ts';

/** A camera as the live view shows it, for tests that push views without a database. */
export function cameraView(
  id: string,
  state: CameraView['state'],
  overrides: Partial<CameraView> = {},
): CameraView {
  return {
    id,
    name: `Camera ${id}`,
    siteId: 'site-1',
    councilId: 'council-a',
    hubId: 'hub-1',
    state,
    stateSince: new Date().toISOString(),
    lastSeenAt: null,
    reasons: [],
    location: { type: 'Point', coordinates: [1.2, 52.1] },
    bearingDeg: 90,
    hfovDeg: 60,
    designDistanceM: 30,
    purpose: 'observe',
    approval: 'approved',
    ...overrides,
  };
}
