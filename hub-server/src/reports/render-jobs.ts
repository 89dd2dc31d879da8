import type { AuditEntry } from '../../../src/schemas/audit-api.ts';
import { auditCsv } from './audit-csv.ts';
import { clockCsv, complianceCsv, maintenanceCsv, uptimeCsv } from './csv.ts';
import { evidenceJson } from './evidence-json.ts';
import { councilEvidencePdf } from './pdf.ts';
import type { CouncilReportData } from './report-data.ts';

/*
 * The report and export builders that run in the render workers: what each takes and the function
 * that makes its bytes. Inputs cross a thread boundary by structured clone, so they are plain data
 * (strings, numbers, arrays, objects); the builders are the same ones the unit tests call directly.
 */

export interface RenderInputs {
  'uptime.csv': CouncilReportData;
  'compliance.csv': CouncilReportData;
  'maintenance.csv': CouncilReportData;
  'clock.csv': CouncilReportData;
  'evidence.pdf': CouncilReportData;
  'evidence.json': CouncilReportData;
  'audit.csv': readonly AuditEntry[];
}
export type RenderKind = keyof RenderInputs;

export const RENDERERS: { [K in RenderKind]: (input: RenderInputs[K]) => Buffer | Promise<Buffer> } = {
  'uptime.csv': uptimeCsv,
  'compliance.csv': complianceCsv,
  'maintenance.csv': maintenanceCsv,
  'clock.csv': clockCsv,
  'evidence.pdf': councilEvidencePdf,
  'evidence.json': evidenceJson,
  'audit.csv': auditCsv,
};

/** Main thread to worker: one job at a time per worker. */
export interface RenderRequest {
  id: number;
  kind: RenderKind;
  input: unknown;
}

/** Worker to main thread: the file's bytes (transferred, not copied), or why it failed. */
export type RenderReply =
  | { id: number; ok: true; body: Uint8Array }
  | { id: number; ok: false; name: string; code: string | null; message: string };
