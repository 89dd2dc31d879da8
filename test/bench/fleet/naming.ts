import type { SiteToRegister } from '../../support/register-site.ts';
import type { FleetSpec } from './protocol.ts';

/** How a benchmark fleet names its sites, councils, hub and cameras: the generator and the registration agree. */
export const fleetSiteId = (prefix: string, site: number) => `${prefix}-s${site}`;
export const fleetCouncilId = (spec: Pick<FleetSpec, 'prefix' | 'councils'>, site: number) =>
  `${spec.prefix}-c${site % spec.councils}`;
export const fleetHubId = (prefix: string) => `${prefix}-hub`;
export const fleetCameraId = (siteId: string, camera: number) => `${siteId}-cam${camera}`;

/** Every site of the fleet as an operator registers it, its cameras listed (they count from first sight). */
export function fleetSites(
  spec: Pick<FleetSpec, 'prefix' | 'sites' | 'camerasPerSite' | 'councils'>,
): SiteToRegister[] {
  return Array.from({ length: spec.sites }, (_, s) => {
    const siteId = fleetSiteId(spec.prefix, s);
    return {
      siteId,
      councilId: fleetCouncilId(spec, s),
      hubId: fleetHubId(spec.prefix),
      cameraIds: Array.from({ length: spec.camerasPerSite }, (_, c) => fleetCameraId(siteId, c)),
    };
  });
}
