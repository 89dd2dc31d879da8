import type { LoginResponse, UiConfig } from '../../src/schemas/api.ts';
import type { PasswordChange } from '../../src/schemas/auth-api.ts';
import { AccountView } from './account-view.ts';
import { AlertsApi } from './alerts/alerts-api.ts';
import { AlertsView } from './alerts/alerts-view.ts';
import { ApiClient, SESSION_ENDED_NOTICE, UnauthorizedError } from './api.ts';
import { AuditApi } from './audit/audit-api.ts';
import { AuditView } from './audit/audit-view.ts';
import { AccountApi, AdminApi } from './auth-api.ts';
import { Catalog } from './catalog.ts';
import { type ComplianceChange, CouncilApi } from './council-api.ts';
import { CouncilView } from './council-view.ts';
import { DetailPanel } from './detail-panel.ts';
import { el } from './dom.ts';
import { FilterBar, type Filters, readViewState, writeViewState } from './filters.ts';
import { mayEditGeometry } from './geometry-editor.ts';
import { type DashboardView, Header } from './header.ts';
import { HeldUpdates } from './held-updates.ts';
import { IncidentApi } from './incident-api.ts';
import { IncidentView } from './incident-view.ts';
import { LinksStrip } from './links-strip.ts';
import { LiveStore, type LiveUpdate } from './live.ts';
import { MapView } from './map-view.ts';
import { RegistryApi } from './registry/registry-api.ts';
import { RegistryView } from './registry/registry-view.ts';
import { TableView } from './table-view.ts';
import { UsersView } from './users-view.ts';
import { WallApi } from './wall/wall-api.ts';
import { type WallCamera, WallView } from './wall/wall-view.ts';

const RELATIVE_TIME_REFRESH_MS = 15_000;

type Role = LoginResponse['user']['role'];

/**
 * The views each role gets, in switch order. Council officers come for certification but may also
 * search for an incident (without feeds); control rooms watch the live map and search incidents;
 * auditors read the live and compliance views. Hub operators keep the site registry, which council
 * officers and auditors may read (control rooms have no use for it). Auditors and hub operators read
 * and verify the audit log, council officers read their councils' entries; control rooms are refused
 * it. Only hub operators manage users and API keys; everybody has their own account. Alerts are for
 * those who act on them (hub operators and control rooms, early in the switch) and council officers,
 * who read their councils' alerts; auditors have none.
 */
const VIEWS: Record<Role, readonly DashboardView[]> = {
  operator: ['live', 'alerts', 'compliance', 'incident', 'wall', 'registry', 'audit', 'users', 'account'],
  council: ['live', 'compliance', 'alerts', 'incident', 'registry', 'audit', 'account'],
  controlroom: ['live', 'alerts', 'incident', 'wall', 'account'],
  auditor: ['live', 'compliance', 'registry', 'audit', 'account'],
};
const DEFAULT_VIEW: Record<Role, DashboardView> = {
  operator: 'live',
  council: 'compliance',
  controlroom: 'incident',
  auditor: 'live',
};

export interface DashboardOptions {
  root: HTMLElement;
  session: LoginResponse;
  uiConfig: UiConfig;
  /**
   * The hub ended the session (a 401, the socket refused as 'unauthorized', or the user's own password
   * change): back to the login screen with `notice`. The app has stopped itself.
   */
  onSessionEnded: (notice: string) => void;
  /** Sign out was pressed; the app has stopped itself. */
  onLogout: () => void;
}

/** The logged-in dashboard: wires the live store to header, filters, map, table and detail panel. */
export class DashboardApp {
  private readonly store: LiveStore;
  private readonly api: ApiClient;
  private readonly catalog: Catalog;
  private readonly header: Header;
  private readonly filterBar: FilterBar;
  private readonly mapView: MapView;
  private readonly table: TableView;
  /** The live view's map and table take changes only while on screen (held and merged meanwhile). */
  private readonly liveHeld = new HeldUpdates((update) => {
    this.mapView.applyUpdate(update);
    this.table.applyUpdate(update);
  });
  /** At a hub that receives other hubs' cameras: how each link stands (hidden elsewhere). */
  private readonly links: LinksStrip;
  private readonly detail: DetailPanel;
  private readonly layout: HTMLElement;
  private readonly liveView: HTMLElement;
  private readonly councilView: CouncilView | null;
  private readonly incidentView: IncidentView | null;
  private readonly registryView: RegistryView | null;
  private readonly auditView: AuditView | null;
  private readonly alertsView: AlertsView | null;
  private readonly wallView: WallView | null;
  private readonly usersView: UsersView | null;
  private readonly accountView: AccountView;
  private readonly accountApi: AccountApi;
  private readonly views: readonly DashboardView[];
  private readonly defaultView: DashboardView;
  private view: DashboardView;
  private readonly initialCompliance: { councilId: string | null; cameraId: string | null };
  private selectedId: string | null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  /** While the user's own password change is in flight, the hub's refusals are expected (see changePassword). */
  private passwordChanging = false;
  private refusedWhileChanging = false;

  constructor(private readonly options: DashboardOptions) {
    const unauthorized = () => {
      if (this.stopped) return;
      if (this.passwordChanging) this.refusedWhileChanging = true;
      else this.endSession(SESSION_ENDED_NOTICE);
    };
    const { token, user } = options.session;
    this.api = new ApiClient(token, unauthorized);
    // Only views that show alerts ask the socket for them (and must acknowledge each message).
    this.store = new LiveStore(token, unauthorized, {
      alerts: VIEWS[user.role].includes('alerts'),
      sourceTrackMinutes: options.uiConfig.sourceTrackMinutes,
    });
    this.catalog = new Catalog(this.store);
    this.views = VIEWS[user.role];
    this.defaultView = DEFAULT_VIEW[user.role];
    const params = new URLSearchParams(window.location.search);
    const requested = this.views.find((view) => view === params.get('view'));
    this.view = requested ?? this.defaultView;
    // In the compliance view ?council= and ?camera= belong to it, so the live view starts unfiltered.
    this.initialCompliance = {
      councilId: this.view === 'compliance' ? params.get('council') || null : null,
      cameraId: this.view === 'compliance' ? params.get('camera') || null : null,
    };
    const initial = readViewState(this.view === 'live' ? window.location.search : '');
    this.selectedId = initial.selectedId;
    const select = (id: string) => this.select(id, 'pan-map');
    this.header = new Header(
      user,
      () => {
        this.stop();
        options.onLogout();
      },
      this.views,
      (view) => this.setView(view),
    );
    this.filterBar = new FilterBar(initial.filters, this.store, this.catalog, (filters) =>
      this.onFilters(filters),
    );
    this.mapView = new MapView(
      {
        store: this.store,
        catalog: this.catalog,
        uiConfig: options.uiConfig,
        onSelect: (id) => this.select(id, 'scroll-table'),
      },
      initial.filters,
    );
    this.table = new TableView(
      { store: this.store, catalog: this.catalog, onSelect: select },
      initial.filters,
    );
    this.detail = new DetailPanel({
      api: this.api,
      store: this.store,
      catalog: this.catalog,
      onClose: () => this.select(null, 'none'),
      onEditGeometry:
        mayEditGeometry(user.role) && this.views.includes('incident') ? (id) => this.editGeometry(id) : null,
      onAddToWall: this.views.includes('wall')
        ? (id) => this.wallView?.add({ id, name: this.store.cameras.get(id)?.name ?? id })
        : null,
      maySnapshot: user.role === 'operator' || user.role === 'controlroom',
      mayMaintain: user.role === 'operator' || user.role === 'council',
    });
    this.links = new LinksStrip(this.api);
    this.layout = el('div', { class: 'layout', 'data-detail': 'closed' });
    this.liveView = el('div', { id: 'view-live', class: 'live-view' });
    this.councilView = this.views.includes('compliance')
      ? new CouncilView({
          api: new CouncilApi(this.api),
          store: this.store,
          catalog: this.catalog,
          user,
          onChange: () => this.writeUrl(),
        })
      : null;
    this.wallView = this.views.includes('wall')
      ? new WallView({
          feeds: new IncidentApi(this.api),
          layouts: new WallApi(this.api),
          cameraName: (id) => this.store.cameras.get(id)?.name ?? id,
        })
      : null;
    const addToWall = this.wallView ? (camera: WallCamera) => this.wallView?.add(camera) : null;
    this.incidentView = this.views.includes('incident')
      ? new IncidentView({
          api: new IncidentApi(this.api),
          store: this.store,
          catalog: this.catalog,
          uiConfig: options.uiConfig,
          user,
          addToWall,
        })
      : null;
    this.registryView = this.views.includes('registry')
      ? new RegistryView({
          api: new RegistryApi(this.api),
          store: this.store,
          mayEdit: user.role === 'operator',
        })
      : null;
    this.auditView = this.views.includes('audit')
      ? new AuditView({
          api: new AuditApi(this.api),
          store: this.store,
          mayVerify: user.role === 'auditor' || user.role === 'operator',
        })
      : null;
    this.alertsView =
      this.views.includes('alerts') && user.role !== 'auditor'
        ? new AlertsView({
            api: new AlertsApi(this.api),
            store: this.store,
            catalog: this.catalog,
            role: user.role,
          })
        : null;
    this.usersView = this.views.includes('users')
      ? new UsersView(new AdminApi(this.api), user.username)
      : null;
    this.accountApi = new AccountApi(this.api);
    this.accountView = new AccountView({
      api: this.accountApi,
      user,
      changePassword: (body) => this.changePassword(body),
    });
  }

  start(): void {
    const { root } = this.options;
    const mapElement = el('div', { id: 'map', class: 'map', role: 'region', 'aria-label': 'Map of cameras' });
    this.layout.append(
      el('section', { class: 'map-panel', 'aria-label': 'Map' }, mapElement),
      this.table.element,
      this.detail.element,
    );
    document.body.dataset.view = 'dashboard';
    this.liveView.append(this.filterBar.element, this.links.element, this.layout);
    root.replaceChildren(
      el(
        'div',
        { id: 'app', class: 'app', 'data-ready': 'false' },
        this.header.element,
        this.liveView,
        this.alertsView?.element,
        this.councilView?.element,
        this.incidentView?.element,
        this.wallView?.element,
        this.registryView?.element,
        this.auditView?.element,
        this.usersView?.element,
        this.accountView.element,
      ),
    );
    this.mapView.start(mapElement);
    this.table.start();
    // Council officers see only their own council's cameras: links between hubs are not theirs.
    if (this.options.session.user.role !== 'council') this.links.start();
    this.store.onStatus((status, at) => {
      this.header.setStatus(status, at);
      // Lets the styles mark shown data as possibly stale while the socket is down.
      document.getElementById('app')?.setAttribute('data-connection', status);
    });
    this.store.onUpdate((update) => this.onUpdate(update));
    this.store.onAlerts((update) => {
      this.header.setCount(
        'alerts',
        this.store.alertBook.unacknowledgedCount(),
        'open alerts not acknowledged',
      );
      this.alertsView?.applyAlerts(update);
    });
    // The hub validates what it emits; the array shape is checked by the store.
    this.store.onCompliance((changes) => this.councilView?.applyCompliance(changes as ComplianceChange[]));
    this.store.start();
    void this.loadCatalog();
    if (this.selectedId !== null) this.select(this.selectedId, 'none');
    this.showView(this.view);
    this.ticker = setInterval(() => {
      this.table.refreshVisible();
      this.detail.refresh();
    }, RELATIVE_TIME_REFRESH_MS);
  }

  /** Idempotent: ending the session stops the app before main.ts shows the login screen (and stops it). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.store.stop();
    this.detail.stop();
    this.table.stop();
    this.links.stop();
    this.filterBar.stop();
    this.mapView.stop();
    this.councilView?.stop();
    this.incidentView?.stop();
    this.registryView?.stop();
    this.auditView?.stop();
    this.alertsView?.stop();
    this.wallView?.stop();
    this.usersView?.stop();
  }

  private endSession(notice: string): void {
    this.stop();
    this.options.onSessionEnded(notice);
  }

  /**
   * The hub ends every session of the user on a password change, this one included, and closes its
   * socket; the socket's reconnect is then refused, possibly before the answer arrives. Refusals are
   * held until the answer: on success the login screen says the password changed; on failure a held
   * refusal (the session really ended meanwhile) takes its usual course.
   */
  private async changePassword(body: PasswordChange): Promise<void> {
    this.passwordChanging = true;
    this.refusedWhileChanging = false;
    let sessionsEnded: number;
    try {
      ({ sessionsEnded } = await this.accountApi.changePassword(body));
    } catch (error) {
      this.passwordChanging = false;
      if (this.refusedWhileChanging || error instanceof UnauthorizedError)
        this.endSession(SESSION_ENDED_NOTICE);
      throw error;
    }
    this.passwordChanging = false;
    this.endSession(
      `Your password was changed and your ${sessionsEnded === 1 ? 'session has' : `${sessionsEnded} sessions have`} ended: sign in with the new password.`,
    );
  }

  private setView(view: DashboardView): void {
    if (view === this.view) return;
    this.showView(view);
    this.writeUrl();
  }

  private showView(view: DashboardView): void {
    this.view = view;
    this.header.setView(view);
    document.getElementById('app')?.setAttribute('data-active-view', view);
    this.liveView.hidden = view !== 'live';
    if (view === 'compliance') this.councilView?.activate(this.initialCompliance);
    else this.councilView?.deactivate();
    if (view === 'incident') this.incidentView?.activate();
    else this.incidentView?.deactivate();
    if (view === 'registry') this.registryView?.activate();
    else this.registryView?.deactivate();
    if (view === 'wall') this.wallView?.activate();
    else this.wallView?.deactivate();
    if (view === 'alerts') this.alertsView?.activate();
    else this.alertsView?.deactivate();
    if (view === 'audit') this.auditView?.activate();
    else this.auditView?.deactivate();
    if (view === 'users') this.usersView?.activate();
    else this.usersView?.deactivate();
    if (view === 'account') this.accountView.activate();
    else this.accountView.deactivate();
    // Leaflet measured a hidden container; let it measure again.
    if (view === 'live') this.mapView.invalidateSize();
    // Changes that came while the live view was hidden, drawn now; after a held full resync the
    // markers and rows are new, so the selection is drawn on them again.
    if (view === 'live' && this.liveHeld.release()?.full && this.selectedId !== null) {
      this.mapView.setSelected(this.selectedId, false);
      this.table.setSelected(this.selectedId, true);
    }
  }

  /** From the live view's detail panel to the incident map, where cones are drawn and edited. */
  private editGeometry(cameraId: string): void {
    this.setView('incident');
    void this.incidentView?.editGeometry(cameraId);
  }

  private async loadCatalog(): Promise<void> {
    try {
      const [hubs, councils, sites] = await Promise.all([
        this.api.hubs(),
        this.api.councils(),
        this.api.sites(),
      ]);
      if (this.stopped) return;
      this.catalog.setHubs(hubs);
      this.catalog.setCouncils(councils);
      this.councilView?.refreshCouncils();
      this.store.seedSites(sites);
      this.filterBar.refreshOptions();
      this.alertsView?.refreshOptions();
      this.table.refreshVisible();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      // Names fall back to ids; the live view still works.
      console.warn('Could not load hubs, councils or sites:', error);
    }
  }

  private onUpdate(update: LiveUpdate): void {
    this.filterBar.applyUpdate(update);
    this.liveHeld.offer(update, this.view === 'live');
    this.detail.applyUpdate(update);
    this.incidentView?.applyUpdate(update);
    this.registryView?.applyUpdate(update);
    if (update.full) {
      this.councilView?.applySnapshot();
      this.alertsView?.refreshOptions();
      // Markers exist now: re-apply a selection restored from the URL.
      if (this.selectedId !== null) {
        this.mapView.setSelected(this.selectedId, false);
        this.table.setSelected(this.selectedId, true);
      }
      document.getElementById('app')?.setAttribute('data-ready', 'true');
    }
  }

  private onFilters(filters: Filters): void {
    this.mapView.setFilters(filters);
    this.table.setFilters(filters);
    this.writeUrl();
  }

  private select(cameraId: string | null, follow: 'pan-map' | 'scroll-table' | 'none'): void {
    this.selectedId = cameraId;
    this.layout.dataset.detail = cameraId === null ? 'closed' : 'open';
    this.detail.show(cameraId);
    this.mapView.setSelected(cameraId, follow === 'pan-map');
    this.table.setSelected(cameraId, follow === 'scroll-table');
    // The detail column changes the map's size.
    this.mapView.invalidateSize();
    this.writeUrl();
  }

  private writeUrl(): void {
    let query: string;
    if (this.view === 'compliance' && this.councilView !== null) {
      const params = new URLSearchParams({ view: 'compliance' });
      if (this.councilView.councilId) params.set('council', this.councilView.councilId);
      if (this.councilView.selectedCameraId) params.set('camera', this.councilView.selectedCameraId);
      query = `?${params.toString()}`;
    } else if (['alerts', 'incident', 'registry', 'audit', 'users', 'account'].includes(this.view)) {
      query = this.view === this.defaultView ? '' : `?view=${this.view}`;
    } else {
      query = writeViewState({ filters: this.filterBar.current, selectedId: this.selectedId });
      if (this.view !== this.defaultView) query = query ? `?view=live&${query.slice(1)}` : '?view=live';
    }
    if (query !== window.location.search)
      window.history.replaceState(null, '', `${window.location.pathname}${query}`);
  }
}
