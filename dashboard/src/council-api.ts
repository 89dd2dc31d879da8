import type { UptimeReport } from '../../src/schemas/api.ts';
import type { ComplianceHistory, ComplianceOverview, PackSummary } from '../../src/schemas/compliance-api.ts';
import type { MaintenanceCreate, MaintenanceWindowView } from '../../src/schemas/maintenance.ts';
import type { PublicPageSettings, PublicPageSettingsView } from '../../src/schemas/public-page.ts';
import type { ApiClient } from './api.ts';

// Shapes come from the contract in src/schemas (type-only imports keep TypeBox out of the bundle).
export type {
  ComplianceCamera,
  ComplianceChange,
  ComplianceHistory,
  ComplianceOverview,
  PackSummary,
} from '../../src/schemas/compliance-api.ts';
export type PackRule = PackSummary['rules'][number];
export type HistoryDay = ComplianceHistory['days'][number];

export const REPORT_FILES = [
  'uptime.csv',
  'compliance.csv',
  'clock.csv',
  'maintenance.csv',
  'evidence.pdf',
  'evidence.json',
] as const;
export type ReportFile = (typeof REPORT_FILES)[number];

const enc = encodeURIComponent;

/** Typed calls of the council view on top of the shared REST client. */
export class CouncilApi {
  constructor(private readonly api: ApiClient) {}

  compliance(councilId: string, signal?: AbortSignal): Promise<ComplianceOverview> {
    return this.api.get(`/api/compliance?scope=council&id=${enc(councilId)}`, signal);
  }

  packs(): Promise<PackSummary[]> {
    return this.api.get('/api/compliance/packs');
  }

  history(cameraId: string, signal?: AbortSignal): Promise<ComplianceHistory> {
    return this.api.get(`/api/compliance/cameras/${enc(cameraId)}/history`, signal);
  }

  uptime30d(councilId: string, signal?: AbortSignal): Promise<UptimeReport> {
    return this.api.get(`/api/uptime?scope=council&id=${enc(councilId)}&window=30d&daily=true`, signal);
  }

  uptimeMonth(councilId: string, month: string, signal?: AbortSignal): Promise<UptimeReport> {
    return this.api.get(
      `/api/uptime?scope=council&id=${enc(councilId)}&window=month&month=${enc(month)}`,
      signal,
    );
  }

  publicPage(councilId: string): Promise<PublicPageSettingsView | null> {
    return this.api.get(`/api/councils/${enc(councilId)}/public-page`);
  }

  savePublicPage(councilId: string, body: PublicPageSettings): Promise<PublicPageSettingsView> {
    return this.api.send('PUT', `/api/councils/${enc(councilId)}/public-page`, body);
  }

  maintenance(): Promise<MaintenanceWindowView[]> {
    return this.api.get('/api/maintenance');
  }

  createMaintenance(body: MaintenanceCreate): Promise<MaintenanceWindowView> {
    return this.api.send('POST', '/api/maintenance', body);
  }

  endMaintenance(id: number): Promise<MaintenanceWindowView> {
    return this.api.send('POST', `/api/maintenance/${id}/end`);
  }

  deleteMaintenance(id: number): Promise<void> {
    return this.api.send('DELETE', `/api/maintenance/${id}`);
  }

  report(
    councilId: string,
    file: ReportFile,
    month: string,
  ): Promise<{ blob: Blob; fileName: string | null }> {
    return this.api.download(`/api/reports/councils/${enc(councilId)}/${file}?month=${enc(month)}`);
  }
}
