import type { LoginResponse, UiConfig } from '../../src/schemas/api.ts';
import { ApiClient, UnauthorizedError } from './api.ts';
import { Catalog } from './catalog.ts';
import { DetailPanel } from './detail-panel.ts';
import { el } from './dom.ts';
import { FilterBar, type Filters, readViewState, writeViewState } from './filters.ts';
import { Header } from './header.ts';
import { LiveStore, type LiveUpdate } from './live.ts';
import { MapView } from './map-view.ts';
import { TableView } from './table-view.ts';

const RELATIVE_TIME_REFRESH_MS = 15_000;

export interface DashboardOptions {
  root: HTMLElement;
  session: LoginResponse;
  uiConfig: UiConfig;
  /** The session is no longer valid (401 or socket 'unauthorized'). */
  onUnauthorized: () => void;
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
  private readonly detail: DetailPanel;
  private readonly layout: HTMLElement;
  private selectedId: string | null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(private readonly options: DashboardOptions) {
    const unauthorized = () => {
      if (!this.stopped) options.onUnauthorized();
    };
    const { token, user } = options.session;
    this.api = new ApiClient(token, unauthorized);
    this.store = new LiveStore(token, unauthorized);
    this.catalog = new Catalog(this.store);
    const initial = readViewState(window.location.search);
    this.selectedId = initial.selectedId;
    const select = (id: string) => this.select(id, 'pan-map');
    this.header = new Header(user, options.onLogout);
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
    });
    this.layout = el('div', { class: 'layout', 'data-detail': 'closed' });
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
    root.replaceChildren(
      el(
        'div',
        { id: 'app', class: 'app', 'data-ready': 'false' },
        this.header.element,
        this.filterBar.element,
        this.layout,
      ),
    );
    this.mapView.start(mapElement);
    this.table.start();
    this.store.onStatus((status, at) => {
      this.header.setStatus(status, at);
      // Lets the styles mark shown data as possibly stale while the socket is down.
      document.getElementById('app')?.setAttribute('data-connection', status);
    });
    this.store.onUpdate((update) => this.onUpdate(update));
    this.store.start();
    void this.loadCatalog();
    if (this.selectedId !== null) this.select(this.selectedId, 'none');
    this.ticker = setInterval(() => {
      this.table.refreshVisible();
      this.detail.refresh();
    }, RELATIVE_TIME_REFRESH_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.store.stop();
    this.detail.stop();
    this.table.stop();
    this.filterBar.stop();
    this.mapView.stop();
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
      this.store.seedSites(sites);
      this.filterBar.refreshOptions();
      this.table.refreshVisible();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      // Names fall back to ids; the live view still works.
      console.warn('Could not load hubs, councils or sites:', error);
    }
  }

  private onUpdate(update: LiveUpdate): void {
    this.filterBar.applyUpdate(update);
    this.mapView.applyUpdate(update);
    this.table.applyUpdate(update);
    this.detail.applyUpdate(update);
    if (update.full) {
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
    const query = writeViewState({ filters: this.filterBar.current, selectedId: this.selectedId });
    if (query !== window.location.search)
      window.history.replaceState(null, '', `${window.location.pathname}${query}`);
  }
}
