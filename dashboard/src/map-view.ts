import * as L from 'leaflet';
import type { CameraView, UiConfig } from '../../src/schemas/api.ts';
import { addStateLegend, createBaseMap } from './base-map.ts';
import type { Catalog } from './catalog.ts';
import { el } from './dom.ts';
import { type Filters, matchesFilters } from './filters.ts';
import type { LiveStore, LiveUpdate } from './live.ts';
import { clusterIcon, markerClusterGroup } from './map-clusters.ts';
import { SourceLayer } from './source-layer.ts';
import { APPROVAL_LABEL, CAMERA_STATE_STYLE } from './states.ts';

/**
 * Above this many cameras markers are drawn on one canvas instead of one SVG element each; the
 * per-marker DOM hooks (`data-camera-id`, `data-state`) then exist in the table only.
 */
export const CANVAS_THRESHOLD = 3000;
/** In canvas mode each redraw repaints every marker, so live changes are batched further. */
const CANVAS_REDRAW_INTERVAL_MS = 500;
/** State changes recolour their clusters in batches: one refresh per interval, whatever the rate. */
const CLUSTER_REFRESH_INTERVAL_MS = 250;
/** From this zoom on (a few streets across) every camera is drawn on its own. */
const UNCLUSTERED_FROM_ZOOM = 16;
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
  /** The state each marker was drawn with, read by the cluster icons (worst state of their cameras). */
  private readonly markerState = new WeakMap<L.Layer, CameraView['state']>();
  private readonly layer = markerClusterGroup({
    maxClusterRadius: 60,
    disableClusteringAtZoom: UNCLUSTERED_FROM_ZOOM,
    showCoverageOnHover: false,
    // A click zooms in to the cluster's cameras: the plugin would spread a cluster that holds together
    // down to its last clustered zoom instead, although one zoom level more draws every camera apart.
    spiderfyOnMaxZoom: false,
    chunkedLoading: true,
    iconCreateFunction: (cluster) => clusterIcon(cluster, (marker) => this.markerState.get(marker)),
  });
  private readonly markers = new Map<string, L.CircleMarker>();
  /** Drones and body-worn cameras (control rooms and operators are sent them), moving live. */
  private readonly sources = new SourceLayer();
  /** State each marker was last drawn with: most changes are heartbeats that leave the colour alone. */
  private readonly drawnState = new Map<string, CameraView['state']>();
  /** The accessible name each marker carries (state and, when not approved, its registry standing). */
  private readonly labelled = new Map<string, string>();
  private filters: Filters;
  private selectedId: string | null = null;
  private fitted = false;
  private readonly pendingIds = new Set<string>();
  private pendingTimer: ReturnType<typeof setTimeout> | null = null;
  /** Markers whose state changed since their clusters were last recoloured. */
  private readonly recolour = new Set<string>();
  private recolourTimer: ReturnType<typeof setTimeout> | null = null;
  /** Membership changes collected during one update, applied to the cluster group in one call each. */
  private readonly toAdd: L.Layer[] = [];
  private readonly toRemove: L.Layer[] = [];

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
    this.sources.layer.addTo(map);
    this.options.store.onSources((sources) => {
      this.sources.sync(sources);
      this.fitToSourcesIfAlone();
    });
    this.addControls(map);
  }

  stop(): void {
    if (this.pendingTimer !== null) clearTimeout(this.pendingTimer);
    this.pendingTimer = null;
    if (this.recolourTimer !== null) clearTimeout(this.recolourTimer);
    this.recolourTimer = null;
    this.recolour.clear();
    this.map?.remove();
    this.map = null;
    this.markers.clear();
    this.drawnState.clear();
    this.labelled.clear();
  }

  /** After the layout around the map changes size. */
  invalidateSize(): void {
    this.map?.invalidateSize({ pan: false });
    this.fitToSourcesIfAlone();
  }

  /**
   * A hub with no cameras in view (yet) but sources on the move: the map shows where they are, once,
   * when it is on screen (a hidden map has no size to fit to).
   */
  private fitToSourcesIfAlone(): void {
    // The container's own width: Leaflet's size is the one it measured last, perhaps before it was hidden.
    const width = this.map?.getContainer().clientWidth ?? 0;
    if (this.fitted || width === 0 || this.options.store.cameras.size > 0 || !this.sources.bounds()) return;
    this.fitted = true;
    this.fitToCameras();
  }

  setFilters(filters: Filters): void {
    this.filters = filters;
    for (const [id, marker] of this.markers) {
      const camera = this.options.store.cameras.get(id);
      if (camera) this.syncMembership(marker, camera);
    }
    this.applyMembership();
  }

  applyUpdate(update: LiveUpdate): void {
    const { cameras } = this.options.store;
    if (update.full) {
      this.ensureRenderer(cameras.size);
      for (const [id, marker] of this.markers) {
        if (!cameras.has(id)) {
          this.toRemove.push(marker);
          this.markers.delete(id);
          this.drawnState.delete(id);
          this.labelled.delete(id);
        }
      }
      for (const camera of cameras.values()) this.upsert(camera);
      this.applyMembership();
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
    this.applyMembership();
  }

  setSelected(cameraId: string | null, pan: boolean): void {
    const previousId = this.selectedId;
    this.selectedId = cameraId;
    if (previousId !== null) this.restyle(previousId, false);
    if (cameraId === null) return;
    const marker = this.markers.get(cameraId);
    if (!marker) return;
    this.restyle(cameraId, true);
    if (!this.layer.hasLayer(marker)) return;
    if (!pan) {
      this.bringSelectedToFront(cameraId);
      return;
    }
    // Zooms in until the marker is out of its cluster (or, if it is already drawn, leaves the view).
    this.layer.zoomToShowLayer(marker, () => {
      if (this.selectedId !== cameraId || !this.map) return;
      if (!this.map.getBounds().pad(-0.1).contains(marker.getLatLng())) this.map.panTo(marker.getLatLng());
      this.bringSelectedToFront(cameraId);
    });
  }

  private bringSelectedToFront(cameraId: string): void {
    const marker = this.markers.get(cameraId);
    // A clustered marker is not on the map: it is brought forward when it is added ('add' -> stack).
    if (marker && this.map?.hasLayer(marker)) marker.bringToFront();
  }

  fitToCameras(): void {
    if (!this.map) return;
    let points: L.LatLng[] = [];
    for (const marker of this.markers.values())
      if (this.layer.hasLayer(marker)) points.push(marker.getLatLng());
    // Nothing shown (filters exclude all): fit to every camera rather than doing nothing.
    if (points.length === 0) points = [...this.markers.values()].map((marker) => marker.getLatLng());
    // Drones and body-worn cameras in view are part of the picture too.
    const sources = this.sources.bounds();
    if (sources) points.push(sources.getSouthWest(), sources.getNorthEast());
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
      marker.on('add', () => {
        this.decorate(id);
        this.stack(id);
      });
      marker.on('click', () => this.options.onSelect(id));
      marker.bindTooltip(() => this.tooltip(id), {
        direction: 'top',
        offset: [0, -6],
        className: 'cam-tooltip',
      });
      this.markers.set(id, marker);
      this.markerState.set(marker, camera.state);
    } else {
      const latLng = toLatLng(camera);
      const current = marker.getLatLng();
      if (current.lat !== latLng[0] || current.lng !== latLng[1]) marker.setLatLng(latLng);
      if (this.drawnState.get(camera.id) !== camera.state) {
        marker.setStyle(this.colours(camera.state, selected));
        this.markerState.set(marker, camera.state);
        this.stack(camera.id);
        this.scheduleRecolour(camera.id);
      }
      if (this.labelled.get(camera.id) !== label(camera)) this.decorate(camera.id);
      if (marker.isTooltipOpen()) marker.getTooltip()?.update();
    }
    this.drawnState.set(camera.id, camera.state);
    this.syncMembership(marker, camera);
  }

  private syncMembership(marker: L.CircleMarker, camera: CameraView): void {
    const wanted = matchesFilters(camera, this.filters, this.options.catalog);
    const present = this.layer.hasLayer(marker);
    if (wanted && !present) this.toAdd.push(marker);
    else if (!wanted && present) this.toRemove.push(marker);
  }

  /** One call each: the cluster group re-clusters once per batch rather than once per marker. */
  private applyMembership(): void {
    if (this.toRemove.length > 0) this.layer.removeLayers(this.toRemove.splice(0));
    if (this.toAdd.length > 0) this.layer.addLayers(this.toAdd.splice(0));
  }

  private scheduleRecolour(cameraId: string): void {
    this.recolour.add(cameraId);
    this.recolourTimer ??= setTimeout(() => {
      this.recolourTimer = null;
      // The plugin takes an id-keyed object of layers as well as an array of markers.
      const changed: Record<string, L.Layer> = {};
      for (const id of this.recolour) {
        const marker = this.markers.get(id);
        if (marker && this.layer.hasLayer(marker)) changed[id] = marker;
      }
      this.recolour.clear();
      // Marks only these markers' clusters for a new icon, and redraws the ones on screen.
      this.layer.refreshClusters(changed);
    }, CLUSTER_REFRESH_INTERVAL_MS);
  }

  /**
   * Where markers are drawn on their own, the worst states go on top: a down camera is never hidden
   * under an up one beside it (the path equivalent of a marker's zIndexOffset).
   */
  private stack(cameraId: string): void {
    const marker = this.markers.get(cameraId);
    const state = this.options.store.cameras.get(cameraId)?.state;
    // A clustered marker is not on the map: it is stacked when it is added.
    if (!marker || !state || !this.map?.hasLayer(marker)) return;
    // Down on top, up at the bottom, the states between in between.
    if (cameraId === this.selectedId || state === 'down') marker.bringToFront();
    else if (state === 'up') marker.bringToBack();
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
        {
          type: 'button',
          id: 'map-fit',
          class: 'map-fit',
          title: 'Fit the map to the shown cameras and mobile sources',
        },
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
