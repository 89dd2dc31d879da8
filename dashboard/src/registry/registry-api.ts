import type { CouncilView, HubView } from '../../../src/schemas/api.ts';
import type { EnrolmentCodeIssued } from '../../../src/schemas/enrolment-api.ts';
import type {
  CameraApprovalState,
  CameraApprovalView,
  CameraDecision,
  SiteRecord,
  SiteRegistration,
  SiteRegistryUpdate,
  SiteUpdateResult,
} from '../../../src/schemas/registry-api.ts';
import type { ApiClient } from '../api.ts';

// Shapes come from the contract in src/schemas (type-only imports keep TypeBox out of the bundle).
export type {
  CameraApprovalState,
  CameraApprovalView,
  CameraDecision,
  SiteRecord,
  SiteRegistration,
  SiteRegistryUpdate,
  SiteUpdateResult,
};

const enc = encodeURIComponent;

/**
 * The hub's site registry. Everybody with the view reads it (council officers only their councils);
 * only hub operators write, and the hub answers 403 to anybody else.
 */
export class RegistryApi {
  constructor(private readonly api: ApiClient) {}

  councils(): Promise<CouncilView[]> {
    return this.api.councils();
  }

  hubs(): Promise<HubView[]> {
    return this.api.hubs();
  }

  sites(): Promise<SiteRecord[]> {
    return this.api.get('/api/registry/sites');
  }

  registerSite(body: SiteRegistration): Promise<SiteRecord> {
    return this.api.send('POST', '/api/registry/sites', body);
  }

  /** A change of council or hub is a move: it needs `reason`, and the answer says what it does to reports. */
  updateSite(id: string, body: SiteRegistryUpdate): Promise<SiteUpdateResult> {
    return this.api.send('PATCH', `/api/registry/sites/${enc(id)}`, body);
  }

  /**
   * Approval in one action for a camera commissioned on site: its latest commissioning record's
   * geometry becomes the registry's and the camera is approved (both audited).
   */
  approveCommissioned(id: string, note: string | undefined): Promise<{ approval: CameraApprovalView }> {
    return this.api.send(
      'POST',
      `/api/registry/cameras/${enc(id)}/approve-commissioned`,
      note ? { note } : {},
    );
  }

  cameras(approval: CameraApprovalState | null): Promise<CameraApprovalView[]> {
    return this.api.get(`/api/registry/cameras${approval ? `?approval=${enc(approval)}` : ''}`);
  }

  /** A one-time code for the site's box (shown once; a new one retires the unused). */
  enrolmentCode(siteId: string): Promise<EnrolmentCodeIssued> {
    return this.api.send('POST', `/api/registry/sites/${enc(siteId)}/enrolment-code`, {});
  }

  decide(cameraId: string, body: CameraDecision): Promise<CameraApprovalView> {
    return this.api.send('POST', `/api/registry/cameras/${enc(cameraId)}/approval`, body);
  }
}
