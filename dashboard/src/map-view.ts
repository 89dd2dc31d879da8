import * as L from 'leaflet';
import type { CameraView, UiConfig } from '../../src/schemas/api.ts';
import { addStateLegend, createBaseMap } from './base-map.ts';
import type { Catalog } from './catalog.ts';
import { el } from './dom.ts';
import { type Filters, matchesFilters } from './filters.ts';
import type { LiveStore, LiveUpdate } from './live.ts';
import { APPROVAL_LABEL, CAMERA_STATE_STYLE } from './states.ts';

/**
 * Above this many cameras markers are drawn on one canvas instead of one SVG element each; the
 * per-marker DOM hooks (`data-camera-id`, `data-state`) then exist in the table only.
 */
export const CANVAS_THRESHOLD = 3000;
/** In canvas mode each redraw repaints every marker, so live changes are batched further. */
const CANVAS_REDRAW_INTERVAL_MS = 500;
const RADIUS = 6;
const SELECTED_RADIUS = 9;

interface MapViewOptions {
  store: LiveStore;
  catalog: Catalog;
  uiConfig: UiConfig;
  onSelect: (cameraId: string) => void;
}

/** Leaflet map of camera markers coloured by state over an offline basemap (plus tiles if configured). */
export class MapView {
  private map: L.Map | null = null;
  private renderer: L.Renderer | null = null;
  private readonly layer = L.featureGroup();
  private readonly markers = new Map<string, L.CircleMarker>();
  /** State each marker was last drawn with: most changes are heartbeats that leave the colour alone. */
  private readonly drawnState = new Map<string, CameraView['state']>();
  /** The accessible name each marker carries (state and, when not approved, its registry standing). */
  private readonly labelled = new Map<string, string>();
  private filters: Filters;
  private selectedId: string | null = null;
  private fitted = false;
  private readonly pendingIds = new Set<string>();
  private pendingTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: MapViewOptions,
    filters: Filters,
  ) {
    this.filters = filters;
  }

  get canvasMode(): boolean {
    return this.renderer instanceof L.Canvas;
  }

  start(container: HTMLElement): void {
    const map = createBaseMap(container, this.options.uiConfig);
    this.map = map;
    this.layer.addTo(map);
    this.addControls(map);
  }

  stop(): void {
    if (this.pendingTimer !== null) clearTimeout(this.pendingTimer);
    this.pendingTimer = null;
    this.map?.remove();
    this.map = null;
    this.markers.clear();
    this.drawnState.clear();
    this.labelled.clear();
  }

  /** After the layout around the map changes size. */
  invalidateSize(): void {
    this.map?.invalidateSize({ pan: false });
  }

  setFilters(filters: Filters): void {
    this.filters = filters;
    for (const [id, marker] of this.markers) {
      const camera = this.options.store.cameras.get(id);
      if (camera) this.syncMembership(marker, camera);
    }
  }

  applyUpdate(update: LiveUpdate): void {
    const { cameras } = this.options.store;
    if (update.full) {
      this.ensureRenderer(cameras.size);
      for (const [id, marker] of this.markers) {
        if (!cameras.has(id)) {
          this.layer.removeLayer(marker);
          this.markers.delete(id);
          this.drawnState.delete(id);
          this.labelled.delete(id);
        }
      }
      for (const camera of cameras.values()) this.upsert(camera);
      if (!this.fitted && cameras.size > 0) {
        this.fitted = true;
        this.fitToCameras();
      }
      return;
    }
    if (cameras.size > 0) this.ensureRenderer(cameras.size);
    if (!this.canvasMode) {
      this.upsertIds(update.cameraIds);
      return;
    }
    for (const id of update.cameraIds) this.pendingIds.add(id);
    this.pendingTimer ??= setTimeout(() => {
      this.pendingTimer = null;
      this.upsertIds(this.pendingIds);
      this.pendingIds.clear();
    }, CANVAS_REDRAW_INTERVAL_MS);
  }

  private upsertIds(ids: Iterable<string>): void {
    const { cameras } = this.options.store;
    for (const id of ids) {
      const camera = cameras.get(id);
      if (camera) this.upsert(camera);
    }
  }

  setSelected(cameraId: string | null, pan: boolean): void {
    const previousId = this.selectedId;
    this.selectedId = cameraId;
    if (previousId !== null) this.restyle(previousId, false);
    if (cameraId === null) return;
    const marker = this.markers.get(cameraId);
    if (!marker) return;
    this.restyle(cameraId, true);
    if (this.layer.hasLayer(marker)) marker.bringToFront();
    if (pan && this.map) this.map.setView(marker.getLatLng(), Math.max(this.map.getZoom(), 12));
  }

  fitToCameras(): void {
    if (!this.map) return;
    let points: L.LatLng[] = [];
    for (const marker of this.markers.values())
      if (this.layer.hasLayer(marker)) points.push(marker.getLatLng());
    // Nothing shown (filters exclude all): fit to every camera rather than doing nothing.
    if (points.length === 0) points = [...this.markers.values()].map((marker) => marker.getLatLng());
    if (points.length === 0) return;
    this.map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 13 });
  }

  private ensureRenderer(cameraCount: number): void {
    // Chosen once, at the first snapshot: switching renderers would mean rebuilding every marker.
    if (this.renderer !== null) return;
    this.renderer = cameraCount > CANVAS_THRESHOLD ? L.canvas({ padding: 0.1 }) : L.svg({ padding: 0.3 });
    this.map?.getContainer().setAttribute('data-renderer', this.canvasMode ? 'canvas' : 'svg');
  }

  private upsert(camera: CameraView): void {
    let marker = this.markers.get(camera.id);
    const selected = camera.id === this.selectedId;
    if (!marker) {
      marker = L.circleMarker(toLatLng(camera), {
        renderer: this.renderer ?? undefined,
        className: 'cam-marker',
        radius: selected ? SELECTED_RADIUS : RADIUS,
        bubblingMouseEvents: false,
        ...this.colours(camera.state, selected),
      });
      const id = camera.id;
      marker.on('add', () => this.decorate(id));
      marker.on('click', () => this.options.onSelect(id));
      marker.bindTooltip(() => this.tooltip(id), {
        direction: 'top',
        offset: [0, -6],
        className: 'cam-tooltip',
      });
      this.markers.set(id, marker);
    } else {
      const latLng = toLatLng(camera);
      const current = marker.getLatLng();
      if (current.lat !== latLng[0] || current.lng !== latLng[1]) marker.setLatLng(latLng);
      if (this.drawnState.get(camera.id) !== camera.state)
        marker.setStyle(this.colours(camera.state, selected));
      if (this.labelled.get(camera.id) !== label(camera)) this.decorate(camera.id);
      if (marker.isTooltipOpen()) marker.getTooltip()?.update();
    }
    this.drawnState.set(camera.id, camera.state);
    this.syncMembership(marker, camera);
  }

  private syncMembership(marker: L.CircleMarker, camera: CameraView): void {
    const wanted = matchesFilters(camera, this.filters, this.options.catalog);
    const present = this.layer.hasLayer(marker);
    if (wanted && !present) this.layer.addLayer(marker);
    else if (!wanted && present) this.layer.removeLayer(marker);
  }

  /** SVG paths are recreated each time a marker is added, so the hooks are (re)set on every 'add'. */
  private decorate(cameraId: string): void {
    const marker = this.markers.get(cameraId);
    const camera = this.options.store.cameras.get(cameraId);
    const element = marker?.getElement();
    if (!element || !camera) return;
    element.setAttribute('data-camera-id', camera.id);
    element.setAttribute('data-state', camera.state);
    // A path has no role of its own, and a name is allowed only with one: the marker is an image.
    element.setAttribute('role', 'img');
    element.setAttribute('aria-label', label(camera));
    // Leaflet's tooltip listens for focus on the marker, which makes Chromium put every SVG marker in
    // the tab order (hundreds of stops before the table). The table is the keyboard path to a camera.
    element.setAttribute('tabindex', '-1');
    element.setAttribute('data-approval', camera.approval);
    this.labelled.set(cameraId, label(camera));
  }

  private restyle(cameraId: string, selected: boolean): void {
    const marker = this.markers.get(cameraId);
    const camera = this.options.store.cameras.get(cameraId);
    if (!marker || !camera) return;
    marker.setStyle(this.colours(camera.state, selected)).setRadius(selected ? SELECTED_RADIUS : RADIUS);
  }

  private colours(state: CameraView['state'], selected: boolean): L.PathOptions {
    return {
      color: selected ? '#111827' : '#1f2933',
      weight: selected ? 3 : 1,
      fillColor: CAMERA_STATE_STYLE[state].markerColour,
      fillOpacity: 0.95,
      opacity: selected ? 1 : 0.8,
    };
  }

  private tooltip(cameraId: string): HTMLElement {
    const camera = this.options.store.cameras.get(cameraId);
    if (!camera) return el('div', {}, cameraId);
    const { catalog } = this.options;
    return el(
      'div',
      { class: 'tooltip-body' },
      el('strong', {}, camera.name),
      el('div', {}, `${catalog.siteName(camera.siteId)} · ${catalog.councilName(camera.councilId)}`),
      el(
        'div',
        {},
        el('span', { class: 'badge', 'data-state': camera.state }, CAMERA_STATE_STYLE[camera.state].label),
        camera.approval === 'approved'
          ? null
          : el(
              'span',
              { class: 'approval-mark', 'data-approval': camera.approval },
              APPROVAL_LABEL[camera.approval],
            ),
      ),
      camera.reasons.length > 0
        ? el(
            'ul',
            { class: 'tooltip-reasons' },
            ...camera.reasons.map((r) => el('li', {}, r.message || r.code)),
          )
        : null,
    );
  }

  private addControls(map: L.Map): void {
    addStateLegend(map);

    const fit = new L.Control({ position: 'topleft' });
    fit.onAdd = () => {
      const button = el(
        'button',
        { type: 'button', id: 'map-fit', class: 'map-fit', title: 'Fit the map to the shown cameras' },
        'Fit',
      );
      L.DomEvent.disableClickPropagation(button);
      button.addEventListener('click', () => this.fitToCameras());
      return button;
    };
    fit.addTo(map);
  }
}

function toLatLng(camera: CameraView): L.LatLngTuple {
  const [lon, lat] = camera.location.coordinates;
  return [lat, lon];
}

function label(camera: CameraView): string {
  const approval = camera.approval === 'approved' ? '' : `, ${APPROVAL_LABEL[camera.approval].toLowerCase()}`;
  return `${camera.name}: ${CAMERA_STATE_STYLE[camera.state].label}${approval}`;
}
