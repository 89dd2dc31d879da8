import type { LoginResponse } from '../../src/schemas/api.ts';
import { UnauthorizedError } from './api.ts';
import type { Catalog } from './catalog.ts';
import { ComplianceDetail } from './compliance-detail.ts';
import { RULE_STATUS_LABEL, RULE_STATUS_ORDER, RULE_STATUS_RANK } from './compliance-status.ts';
import type { ComplianceCamera, ComplianceChange, ComplianceOverview, CouncilApi } from './council-api.ts';
import { clear, el, setText } from './dom.ts';
import * as fmt from './format.ts';
import type { LiveStore } from './live.ts';
import { MaintenancePanel } from './maintenance-panel.ts';
import { PublicPagePanel } from './public-page-panel.ts';
import { ReportDownloads } from './report-downloads.ts';
import { UptimeChart } from './uptime-chart.ts';

/** Bursts of `compliance` events (a whole council re-evaluated) cost at most one request a second. */
const MIN_REFETCH_INTERVAL_MS = 1000;

export interface CouncilViewOptions {
  api: CouncilApi;
  store: LiveStore;
  catalog: Catalog;
  user: LoginResponse['user'];
  /** The council or the drilled-down camera changed (for the URL). */
  onChange: () => void;
}

/**
 * Compliance of one council's cameras: summary chips and a table from `GET /api/compliance`, refreshed
 * on the socket's `compliance` event; a camera's drill-down, the council's uptime chart, maintenance
 * windows and report downloads.
 */
export class CouncilView {
  readonly element: HTMLElement;
  councilId: string | null = null;
  private readonly picker = el('select', { id: 'council-picker', 'aria-label': 'Council' });
  private readonly chips = el('div', { class: 'state-chips', id: 'compliance-chips' });
  private readonly tbody = el('tbody');
  private readonly tableNote = el('p', { class: 'muted table-note', role: 'status' });
  /** Says why the council asked for in the URL is not the one shown. */
  private readonly notice = el('p', {
    class: 'council-notice',
    id: 'council-notice',
    role: 'status',
    hidden: true,
  });
  private readonly detail: ComplianceDetail;
  private readonly uptime: UptimeChart;
  private readonly maintenance: MaintenancePanel;
  private readonly downloads: ReportDownloads;
  /** Council officers and hub operators: the council's public page. */
  private readonly publicPage: PublicPagePanel | null;
  private readonly layout: HTMLElement;
  private overview: ComplianceOverview | null = null;
  private selectedId: string | null = null;
  private inFlight: AbortController | null = null;
  private refetchTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFetchAt = 0;
  private active = false;

  constructor(private readonly options: CouncilViewOptions) {
    const { api, store, catalog, user } = options;
    this.detail = new ComplianceDetail({ api, store, onClose: () => this.select(null) });
    this.uptime = new UptimeChart(api);
    this.maintenance = new MaintenancePanel({
      api,
      store,
      catalog,
      canWrite: user.role === 'operator' || user.role === 'council',
    });
    this.downloads = new ReportDownloads(api);
    this.publicPage = user.role === 'operator' || user.role === 'council' ? new PublicPagePanel(api) : null;
    this.picker.addEventListener('change', () => this.setCouncil(this.picker.value || null));
    const table = el(
      'table',
      { class: 'camera-table compliance-table', id: 'compliance-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Camera', 'Status', 'Code', 'Failing rules', 'Evaluated'].map((h) =>
            el('th', { scope: 'col' }, el('span', { class: 'th-label' }, h)),
          ),
        ),
      ),
      this.tbody,
    );
    this.layout = el(
      'div',
      { class: 'council-layout', 'data-detail': 'closed' },
      el(
        'section',
        { class: 'table-panel council-table-panel', 'aria-label': 'Camera compliance' },
        // Focusable, so a keyboard can scroll a table wider than a phone.
        el(
          'div',
          { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Camera compliance table' },
          table,
        ),
        this.tableNote,
      ),
      this.detail.element,
      this.uptime.element,
      this.maintenance.element,
      this.publicPage?.element ?? null,
    );
    this.element = el(
      'div',
      { id: 'view-compliance', class: 'council-view', hidden: true },
      el(
        'div',
        { class: 'filter-bar council-bar' },
        el('label', { class: 'field' }, el('span', { class: 'field-label' }, 'Council'), this.picker),
        el(
          'div',
          { class: 'field' },
          el('span', { class: 'field-label' }, 'Certification status'),
          this.chips,
        ),
        this.downloads.element,
      ),
      this.notice,
      this.layout,
    );
    this.renderChips();
  }

  get selectedCameraId(): string | null {
    return this.selectedId;
  }

  /** Shows the view; the first time, picks the council (from the URL, else the first one the user has). */
  activate(initial: { councilId: string | null; cameraId: string | null }): void {
    this.element.hidden = false;
    if (this.active) return;
    this.active = true;
    this.refreshCouncils();
    let councilId = initial.councilId ?? this.councilId ?? this.councilIds()[0] ?? null;
    // A council officer given another council's link sees their own council, and is told why, rather
    // than a half-loaded screen of refusals.
    const own = this.ownCouncils();
    if (own !== null && councilId !== null && !own.includes(councilId)) {
      const shown = own[0] ?? null;
      this.notice.hidden = false;
      setText(
        this.notice,
        shown === null
          ? 'That council is not one of yours, and your account has no council yet: ask a hub operator.'
          : `That council is not one of yours: showing ${this.options.catalog.councilName(shown)}.`,
      );
      councilId = shown;
    }
    this.setCouncil(councilId);
    if (initial.cameraId !== null) this.select(initial.cameraId);
  }

  deactivate(): void {
    this.element.hidden = true;
  }

  stop(): void {
    this.cancel();
    this.detail.stop();
    this.uptime.stop();
    this.maintenance.stop();
  }

  /** Councils arrived from REST: fill the picker (a council officer with one council sees just it). */
  refreshCouncils(): void {
    const ids = this.councilIds();
    const current = this.councilId;
    clear(this.picker);
    const own = this.ownCouncils();
    if (current !== null && !ids.includes(current) && (own === null || own.includes(current)))
      ids.unshift(current);
    for (const id of ids) {
      this.picker.append(el('option', { value: id }, this.options.catalog.councilName(id)));
    }
    if (current !== null) this.picker.value = current;
    this.picker.disabled = ids.length <= 1;
    if (this.councilId === null && ids[0] !== undefined && this.active) this.setCouncil(ids[0]);
  }

  /** The first live snapshot: camera names for the table, sites and cameras for maintenance. */
  applySnapshot(): void {
    if (!this.active) return;
    this.renderTable();
    this.maintenance.applySnapshot();
  }

  applyCompliance(changes: ComplianceChange[]): void {
    if (this.councilId === null) return;
    const mine = changes.filter((c) => c.councilId === this.councilId);
    if (mine.length === 0) return;
    this.scheduleFetch();
    if (this.selectedId !== null && mine.some((c) => c.cameraId === this.selectedId))
      this.detail.refreshHistory();
  }

  setCouncil(councilId: string | null): void {
    if (councilId === this.councilId) return;
    // The notice is about the link the view was opened with: a council chosen here replaces it.
    if (this.councilId !== null) this.notice.hidden = true;
    this.councilId = councilId;
    if (councilId !== null) this.picker.value = councilId;
    this.element.dataset.councilId = councilId ?? '';
    this.overview = null;
    this.select(null);
    this.renderTable();
    this.uptime.setCouncil(councilId);
    this.maintenance.setCouncil(councilId);
    this.publicPage?.setCouncil(councilId);
    this.downloads.setCouncil(councilId);
    this.cancel();
    this.lastFetchAt = 0;
    if (councilId !== null) void this.fetch();
    this.options.onChange();
  }

  select(cameraId: string | null): void {
    this.selectedId = cameraId;
    this.layout.dataset.detail = cameraId === null ? 'closed' : 'open';
    for (const row of this.tbody.querySelectorAll<HTMLElement>('tr.compliance-row')) {
      row.setAttribute('aria-selected', String(row.dataset.cameraId === cameraId));
    }
    this.detail.show(cameraId, this.rowOf(cameraId));
    this.options.onChange();
  }

  /** The councils a council officer may see; null for roles that see every council. */
  private ownCouncils(): string[] | null {
    return this.options.user.role === 'council' ? [...this.options.user.councilIds] : null;
  }

  private councilIds(): string[] {
    const { user, catalog } = this.options;
    if (user.role === 'council') return [...user.councilIds];
    return [...catalog.councils.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((council) => council.id);
  }

  private rowOf(cameraId: string | null): ComplianceCamera | null {
    if (cameraId === null) return null;
    return this.overview?.cameras.find((c) => c.cameraId === cameraId) ?? null;
  }

  private cancel(): void {
    this.inFlight?.abort();
    this.inFlight = null;
    if (this.refetchTimer !== null) clearTimeout(this.refetchTimer);
    this.refetchTimer = null;
  }

  private scheduleFetch(): void {
    if (this.refetchTimer !== null) return;
    const waitMs = Math.max(0, this.lastFetchAt + MIN_REFETCH_INTERVAL_MS - Date.now());
    this.refetchTimer = setTimeout(() => {
      this.refetchTimer = null;
      void this.fetch();
    }, waitMs);
  }

  private async fetch(): Promise<void> {
    const councilId = this.councilId;
    if (councilId === null) return;
    if (this.inFlight !== null) {
      // One request at a time: the one in flight may predate the change, so fetch again after it.
      this.scheduleFetch();
      return;
    }
    const controller = new AbortController();
    this.inFlight = controller;
    this.lastFetchAt = Date.now();
    try {
      const overview = await this.options.api.compliance(councilId, controller.signal);
      if (this.councilId !== councilId) return;
      this.overview = overview;
      this.renderChips();
      this.renderTable();
      this.detail.setRow(this.rowOf(this.selectedId));
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError) return;
      setText(this.tableNote, `Could not load compliance: ${(error as Error).message}`);
      this.tableNote.classList.add('error');
    } finally {
      if (this.inFlight === controller) this.inFlight = null;
    }
  }

  private renderChips(): void {
    const counts = this.overview?.counts;
    clear(this.chips);
    for (const status of RULE_STATUS_ORDER) {
      const count = counts?.[status] ?? 0;
      this.chips.append(
        el(
          'span',
          { class: 'state-chip compliance-chip', 'data-status': status, 'data-count': count },
          el('span', { class: 'swatch', 'aria-hidden': 'true' }),
          RULE_STATUS_LABEL[status],
          el('span', { class: 'count' }, count),
        ),
      );
    }
  }

  private renderTable(): void {
    clear(this.tbody);
    this.tableNote.classList.remove('error');
    const overview = this.overview;
    if (this.councilId === null) {
      setText(this.tableNote, 'No council to show.');
      return;
    }
    if (overview === null) {
      setText(this.tableNote, 'Loading compliance…');
      return;
    }
    const notEvaluated = overview.cameraCount - overview.evaluated;
    setText(
      this.tableNote,
      `${overview.evaluated} of ${overview.cameraCount} cameras evaluated` +
        (notEvaluated > 0 ? ` · ${notEvaluated} not evaluated yet` : ''),
    );
    const rows = [...overview.cameras].sort(
      (a, b) =>
        RULE_STATUS_RANK[a.status] - RULE_STATUS_RANK[b.status] || a.cameraId.localeCompare(b.cameraId),
    );
    const nowMs = Date.now();
    for (const row of rows) {
      const failing = row.result.results.filter((r) => r.status === 'fail' || r.status === 'warn');
      const name = this.options.store.cameras.get(row.cameraId)?.name;
      const tr = el(
        'tr',
        {
          class: 'cam-row compliance-row',
          'data-camera-id': row.cameraId,
          'data-status': row.status,
          tabindex: 0,
          'aria-selected': String(row.cameraId === this.selectedId),
        },
        el(
          'td',
          {},
          el('div', { class: 'cam-name' }, name ?? row.cameraId),
          name ? el('div', { class: 'cam-id muted' }, row.cameraId) : null,
        ),
        el(
          'td',
          {},
          el('span', { class: 'badge', 'data-status': row.status }, RULE_STATUS_LABEL[row.status]),
        ),
        el('td', { class: 'mono' }, row.packRef),
        el(
          'td',
          { class: 'failing-rules' },
          failing.length === 0
            ? el('span', { class: 'muted' }, '–')
            : failing.map((r) => `${r.ruleId}${r.status === 'warn' ? ' (warn)' : ''}`).join(', '),
        ),
        el('td', { title: fmt.dateTime(row.evaluatedAt) }, fmt.relativeTime(row.evaluatedAt, nowMs)),
      );
      const open = () => this.select(row.cameraId);
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open();
        }
      });
      this.tbody.append(tr);
    }
    if (rows.length === 0) {
      this.tbody.append(
        el(
          'tr',
          {},
          el('td', { colspan: 5, class: 'muted' }, 'No camera of this council has been evaluated yet.'),
        ),
      );
    }
  }
}
