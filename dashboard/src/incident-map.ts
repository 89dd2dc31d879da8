import * as L from 'leaflet';
import type { UiConfig } from '../../src/schemas/api.ts';
import type { CameraState } from '../../src/schemas/camera-state.ts';
import type { SourceView } from '../../src/schemas/sources.ts';
import { addStateLegend, createBaseMap } from './base-map.ts';
import { el, setText } from './dom.ts';
import type { FovCollection, FovFeature, GeoPolygon, IncidentCamera } from './incident-api.ts';
import { CANVAS_THRESHOLD } from './map-view.ts';
import { SourceLayer } from './source-layer.ts';
import { CAMERA_STATE_STYLE } from './states.ts';

/** A GeoJSON ring holds at most 200 positions, the first repeated at the end. */
const MAX_VERTICES = 199;
const TARGET_ZOOM = 16;
/** Cones on the canvas (thousands of cameras) take state changes together at this interval. */
const CANVAS_RESTYLE_INTERVAL_MS = 500;
/** With thousands of cones, they are drawn from this zoom on (a town or so across). */
const CONES_FROM_ZOOM = 13;
/** Milliseconds of cone building per task when there are thousands (the page answers between). */
const CONE_BUILD_SLICE_MS = 12;
/** Canvas cones are built for the view and this fraction of it on each side (a pan shows them at once). */
const CONE_VIEW_MARGIN = 0.5;

export interface IncidentMapOptions {
  uiConfig: UiConfig;
  /** A click on the map outside polygon drawing: the incident point. */
  onPoint: (lat: number, lon: number) => void;
  /** The polygon being drawn changed its vertex count (for the toolbar). */
  onDrawProgress: (vertices: number) => void;
  /** A double click closed the polygon being drawn. */
  onDrawFinished: () => void;
  onSelectCamera: (cameraId: string) => void;
  /**
   * With thousands of cones: the map needs the cones reaching into this box (the view with a
   * margin; null: none, zoomed out). The answer comes back through showConesInView.
   */
  onConesWanted: (box: ViewBox | null) => void;
}

/** [west, south, east, north] in degrees, as the hub's bbox parameter takes it. */
export type ViewBox = [number, number, number, number];

/**
 * The control room's map: fields of view coloured by camera state, the incident point with its
 * search radius (or a drawn polygon), and the ranked results as numbered markers.
 */
export class IncidentMap {
  private map: L.Map | null = null;
  /** The cones built as Leaflet polygons: all of them as SVG, or those near the view on the canvas. */
  private readonly cones = new Map<string, { polygon: L.Polygon; state: CameraState; geometry: string }>();
  /** The cones' canvas, when there are too many for SVG (made once, kept across reloads of the cones). */
  private coneCanvas: L.Canvas | null = null;
  /** Too many cones for SVG: drawn on the canvas, only from CONES_FROM_ZOOM on, and only near the view. */
  private manyCones = false;
  /** Canvas cones waiting to be built, a slice of time per task. */
  private buildQueue: FovFeature[] = [];
  private buildTimer: ReturnType<typeof setTimeout> | null = null;
  /** Each camera's state as the live view last said (cones built later start from it). */
  private readonly latestStates = new Map<string, CameraState>();
  private coneCount = 0;
  /** Says why no cones are drawn when zoomed out over thousands of cameras. */
  private readonly fovHint = el('p', { class: 'map-legend fov-hint', role: 'status', hidden: true });
  private readonly restyleLater = new Set<string>();
  private restyleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly coneLayer = L.featureGroup();
  private readonly targetLayer = L.featureGroup();
  private readonly resultLayer = L.featureGroup();
  private readonly drawLayer = L.featureGroup();
  /** Drones and body-worn cameras, moving live. */
  private readonly sourceLayer = new SourceLayer();
  /** The geometry editor's preview and handles (see GeometryPreview). */
  readonly editLayer = L.featureGroup();
  private readonly resultMarkers = new Map<string, L.Marker>();
  private resultIds = new Set<string>();
  private highlightedId: string | null = null;
  private drawing: L.LatLng[] | null = null;
  private editingId: string | null = null;

  constructor(private readonly options: IncidentMapOptions) {}

  get started(): boolean {
    return this.map !== null;
  }

  /** Thousands of cones: only those near the view are loaded (see setManyCones). */
  get conesByView(): boolean {
    return this.manyCones;
  }

  get isDrawing(): boolean {
    return this.drawing !== null;
  }

  start(container: HTMLElement): void {
    const map = createBaseMap(container, this.options.uiConfig);
    this.map = map;
    map.createPane('fov').style.zIndex = '380';
    this.coneLayer.addTo(map);
    this.targetLayer.addTo(map);
    this.drawLayer.addTo(map);
    this.resultLayer.addTo(map);
    this.sourceLayer.layer.addTo(map);
    this.editLayer.addTo(map);
    addStateLegend(map);
    const hint = new L.Control({ position: 'topright' });
    hint.onAdd = () => this.fovHint;
    hint.addTo(map);
    map.on('zoomend', () => this.showConesForZoom());
    map.on('moveend', () => this.wantConesInView());
    this.showConesForZoom();
    map.on('click', (event: L.LeafletMouseEvent) => this.onClick(event.latlng));
    map.on('dblclick', () => {
      if (this.drawing !== null) this.options.onDrawFinished();
    });
  }

  stop(): void {
    this.map?.remove();
    this.map = null;
    this.coneCanvas = null;
    this.manyCones = false;
    this.coneCount = 0;
    this.stopBuilding();
    this.latestStates.clear();
    if (this.restyleTimer !== null) clearTimeout(this.restyleTimer);
    this.restyleTimer = null;
    this.restyleLater.clear();
    this.cones.clear();
    this.resultMarkers.clear();
  }

  invalidateSize(): void {
    this.map?.invalidateSize({ pan: false });
  }

  /** Mobile sources as the live store holds them. */
  setSources(sources: ReadonlyMap<string, SourceView>): void {
    this.sourceLayer.sync(sources);
  }

  /** Every camera's cone, when they are few enough to draw each as an SVG path (the whole collection). */
  setFieldsOfView(collection: FovCollection): void {
    this.stopBuilding();
    this.coneLayer.clearLayers();
    this.cones.clear();
    this.manyCones = false;
    this.coneCount = collection.features.length;
    this.map?.getContainer().setAttribute('data-fov-renderer', 'svg');
    this.map?.getContainer().setAttribute('data-fov-count', String(this.coneCount));
    for (const feature of collection.features) this.buildCone(feature);
    this.showConesForZoom();
    this.markBuilt();
  }

  /**
   * Thousands of cones (more than the live map's canvas threshold): they go on one canvas, as the
   * live map's markers do (no element per cone, so no data attributes; the results list names the
   * cameras), drawn only from CONES_FROM_ZOOM on, and only those near the view are loaded and built
   * (see showConesInView). Loading and building all 50,000 of a region's cones took the page seconds,
   * and hundreds of megabytes it then had to collect, for cones no one could see.
   */
  setManyCones(count: number): void {
    this.stopBuilding();
    // A refresh keeps the cones it has until the view's answer says which to change.
    if (!this.manyCones) {
      this.coneLayer.clearLayers();
      this.cones.clear();
    }
    this.coneCanvas ??= L.canvas({ pane: 'fov', padding: 0.1 });
    this.manyCones = true;
    this.coneCount = count;
    this.map?.getContainer().setAttribute('data-fov-renderer', 'canvas');
    this.map?.getContainer().setAttribute('data-fov-count', String(count));
    // Whether they are drawn at this zoom is settled before any is built.
    this.showConesForZoom();
    this.markBuilt();
    this.wantConesInView();
  }

  /** Asks for the cones near the view (none when zoomed out, and those built are let go). */
  private wantConesInView(): void {
    const map = this.map;
    if (!map || !this.manyCones) return;
    if (map.getZoom() < CONES_FROM_ZOOM) {
      this.showConesInView([]);
      this.options.onConesWanted(null);
      return;
    }
    const view = map.getBounds().pad(CONE_VIEW_MARGIN);
    const clamp = (value: number, limit: number) => Math.max(-limit, Math.min(limit, value));
    this.options.onConesWanted([
      clamp(view.getWest(), 180),
      clamp(view.getSouth(), 90),
      clamp(view.getEast(), 180),
      clamp(view.getNorth(), 90),
    ]);
  }

  /**
   * With thousands of cones: the ones near the view, as the hub sent them. Cones no longer near it
   * are let go; new ones are built a slice at a time between tasks, so the page keeps answering.
   */
  showConesInView(features: readonly FovFeature[]): void {
    if (!this.manyCones) return;
    const wanted = new Map(features.map((f) => [f.id, f]));
    for (const [id, cone] of this.cones) {
      const feature = wanted.get(id);
      // Kept when still near the view with the same geometry (a survey changes it).
      if (feature && geometryKey(feature) === cone.geometry) continue;
      this.coneLayer.removeLayer(cone.polygon);
      this.cones.delete(id);
      this.restyleLater.delete(id);
    }
    this.stopBuilding();
    for (const [id, feature] of wanted) if (!this.cones.has(id)) this.buildQueue.push(feature);
    this.buildSlice();
  }

  private buildSlice(): void {
    this.buildTimer = null;
    const until = performance.now() + CONE_BUILD_SLICE_MS;
    while (this.buildQueue.length > 0 && performance.now() < until)
      this.buildCone(this.buildQueue.pop() as FovFeature);
    if (this.buildQueue.length > 0) this.buildTimer = setTimeout(() => this.buildSlice(), 0);
    else this.markBuilt();
  }

  private stopBuilding(): void {
    if (this.buildTimer !== null) clearTimeout(this.buildTimer);
    this.buildTimer = null;
    this.buildQueue = [];
  }

  private buildCone(feature: FovFeature): void {
    const ring = feature.geometry.coordinates[0] ?? [];
    const renderer = this.manyCones ? this.coneCanvas : null;
    const polygon = L.polygon(
      ring.map(([lon, lat]) => [lat, lon] as L.LatLngTuple),
      { pane: 'fov', className: 'fov-cone', interactive: false, ...(renderer ? { renderer } : {}) },
    );
    // A change that came while the cones were loading or being built is not lost.
    const state = this.latestStates.get(feature.id) ?? feature.properties.state;
    this.cones.set(feature.id, { polygon, state, geometry: geometryKey(feature) });
    this.restyleLater.delete(feature.id);
    polygon.on('add', () => this.decorateCone(feature.id));
    this.styleCone(feature.id);
    this.coneLayer.addLayer(polygon);
  }

  /** How many cones are built now (all of them as SVG; near the view on the canvas), for tests. */
  private markBuilt(): void {
    this.map?.getContainer().setAttribute('data-fov-built', String(this.cones.size));
  }

  /**
   * Thousands of cones (the canvas) are drawn from CONES_FROM_ZOOM on: further out, a camera's cone is
   * less than a pixel, and repainting tens of thousands of them for each state change held the page
   * for hundreds of milliseconds. A note on the map says why none are drawn. A few cones are always
   * drawn.
   */
  private showConesForZoom(): void {
    const map = this.map;
    if (!map) return;
    const shown = !this.manyCones || map.getZoom() >= CONES_FROM_ZOOM;
    if (shown && !map.hasLayer(this.coneLayer)) {
      map.addLayer(this.coneLayer);
      this.restyleHeld();
    }
    if (!shown && map.hasLayer(this.coneLayer)) map.removeLayer(this.coneLayer);
    map.getContainer().setAttribute('data-fov-shown', String(shown));
    this.fovHint.hidden = shown;
    setText(
      this.fovHint,
      shown ? '' : `Zoom in to see the fields of view of ${this.coneCount.toLocaleString('en-GB')} cameras.`,
    );
  }

  setCameraState(cameraId: string, state: CameraState): void {
    this.latestStates.set(cameraId, state);
    const cone = this.cones.get(cameraId);
    if (!cone || cone.state === state) return;
    cone.state = state;
    if (this.coneCanvas === null || cone.polygon.options.renderer !== this.coneCanvas) {
      this.styleCone(cameraId);
      return;
    }
    // On the canvas each restyle repaints every cone it touches: changes are drawn together, a few
    // times a second, as the live map's canvas markers are; while the cones are not drawn (zoomed
    // out), when they are drawn again.
    this.restyleLater.add(cameraId);
    if (!this.map?.hasLayer(this.coneLayer)) return;
    this.restyleTimer ??= setTimeout(() => {
      this.restyleTimer = null;
      this.restyleHeld();
    }, CANVAS_RESTYLE_INTERVAL_MS);
  }

  private restyleHeld(): void {
    for (const id of this.restyleLater) this.styleCone(id);
    this.restyleLater.clear();
  }

  /** The incident point and its radius; null clears them. */
  setTarget(target: { lat: number; lon: number; radiusM: number } | null, recentre: boolean): void {
    this.targetLayer.clearLayers();
    if (target === null) return;
    const centre = L.latLng(target.lat, target.lon);
    L.circle(centre, {
      radius: target.radiusM,
      className: 'incident-radius',
      interactive: false,
    }).addTo(this.targetLayer);
    L.circleMarker(centre, { radius: 7, className: 'incident-target', interactive: false }).addTo(
      this.targetLayer,
    );
    // The whole radius in view, with a margin for the cones reaching into it.
    if (recentre) this.map?.fitBounds(centre.toBounds(target.radiusM * 2.4), { maxZoom: TARGET_ZOOM });
  }

  /**
   * The camera whose geometry is being edited: its stored cone is drawn faint and dashed under the
   * preview, and clicks on the map no longer move the incident point. Null ends editing.
   */
  setEditing(cameraId: string | null): void {
    const previous = this.editingId;
    this.editingId = cameraId;
    if (previous !== null) this.styleCone(previous);
    if (cameraId !== null) this.styleCone(cameraId);
    this.map?.getContainer().toggleAttribute('data-editing', cameraId !== null);
  }

  /** Brings a camera and its whole range into view, with room to turn or lengthen it. */
  showCamera(location: { lat: number; lon: number }, rangeM: number): void {
    const bounds = L.latLng(location.lat, location.lon).toBounds(Math.max(rangeM, 20) * 3);
    this.map?.fitBounds(bounds, { maxZoom: TARGET_ZOOM + 2 });
  }

  /** A finished polygon search area; null clears it. */
  setPolygon(polygon: GeoPolygon | null): void {
    this.targetLayer.clearLayers();
    if (polygon === null) return;
    const ring = (polygon.coordinates[0] ?? []).map(([lon, lat]) => [lat, lon] as L.LatLngTuple);
    const shape = L.polygon(ring, { className: 'incident-area', interactive: false }).addTo(this.targetLayer);
    this.map?.fitBounds(shape.getBounds(), { padding: [30, 30], maxZoom: TARGET_ZOOM + 1 });
  }

  setResults(cameras: readonly IncidentCamera[]): void {
    this.resultLayer.clearLayers();
    this.resultMarkers.clear();
    this.resultIds = new Set(cameras.map((c) => c.cameraId));
    for (const camera of cameras) {
      const [lon, lat] = camera.location.coordinates;
      const marker = L.marker([lat, lon], {
        icon: L.divIcon({
          className: 'rank-marker',
          html: el('span', { class: 'rank-number' }, camera.rank),
          iconSize: [24, 24],
          iconAnchor: [12, 12],
        }),
        keyboard: false,
        title: `${camera.rank}. ${camera.name}`,
        riseOnHover: true,
      });
      const id = camera.cameraId;
      marker.on('add', () => {
        const element = marker.getElement();
        element?.setAttribute('data-camera-id', id);
        element?.setAttribute('data-covers', String(camera.covers));
        element?.setAttribute('data-state', camera.state);
      });
      marker.on('click', () => this.options.onSelectCamera(id));
      this.resultMarkers.set(id, marker);
      this.resultLayer.addLayer(marker);
    }
    for (const id of this.cones.keys()) this.styleCone(id);
    this.map?.getContainer().setAttribute('data-result-count', String(cameras.length));
  }

  /** Emphasises one result's marker and cone (hover or focus in the list). */
  highlight(cameraId: string | null, pan: boolean): void {
    const previous = this.highlightedId;
    this.highlightedId = cameraId;
    if (previous !== null) {
      const before = this.resultMarkers.get(previous);
      before?.getElement()?.classList.remove('highlighted');
      before?.setZIndexOffset(0);
      this.styleCone(previous);
    }
    if (cameraId === null) return;
    const marker = this.resultMarkers.get(cameraId);
    marker?.getElement()?.classList.add('highlighted');
    // On top of neighbours it overlaps at low zoom.
    marker?.setZIndexOffset(1000);
    this.styleCone(cameraId);
    this.cones.get(cameraId)?.polygon.bringToFront();
    if (pan && marker && this.map && !this.map.getBounds().contains(marker.getLatLng()))
      this.map.panTo(marker.getLatLng());
  }

  startDrawing(): void {
    this.drawing = [];
    this.drawLayer.clearLayers();
    this.map?.doubleClickZoom.disable();
    this.map?.getContainer().classList.add('drawing');
    this.options.onDrawProgress(0);
  }

  /** Ends drawing; the polygon when it has at least three corners, else null. */
  finishDrawing(): GeoPolygon | null {
    const points = this.drawing ?? [];
    this.cancelDrawing();
    if (points.length < 3) return null;
    const ring: [number, number][] = points.map((p) => [p.lng, p.lat]);
    ring.push([points[0]!.lng, points[0]!.lat]);
    return { type: 'Polygon', coordinates: [ring] };
  }

  cancelDrawing(): void {
    this.drawing = null;
    this.drawLayer.clearLayers();
    if (this.map) {
      // Re-enabled a moment later: the second click of a closing double click must not zoom.
      setTimeout(() => this.map?.doubleClickZoom.enable(), 0);
      this.map.getContainer().classList.remove('drawing');
    }
  }

  private onClick(latLng: L.LatLng): void {
    if (this.editingId !== null) return;
    if (this.drawing === null) {
      this.options.onPoint(latLng.lat, latLng.lng);
      return;
    }
    // A double click also sends two clicks: skip a vertex on top of the previous one.
    const last = this.drawing[this.drawing.length - 1];
    if (
      last &&
      this.map &&
      this.map.latLngToContainerPoint(last).distanceTo(this.map.latLngToContainerPoint(latLng)) < 4
    )
      return;
    if (this.drawing.length >= MAX_VERTICES) return;
    this.drawing.push(latLng);
    this.drawLayer.clearLayers();
    L.polyline(this.drawing, { className: 'draw-line', interactive: false }).addTo(this.drawLayer);
    for (const point of this.drawing)
      L.circleMarker(point, { radius: 4, className: 'draw-vertex', interactive: false }).addTo(
        this.drawLayer,
      );
    this.options.onDrawProgress(this.drawing.length);
  }

  private styleCone(cameraId: string): void {
    const cone = this.cones.get(cameraId);
    if (!cone) return;
    const colour = CAMERA_STATE_STYLE[cone.state].markerColour;
    const inResults = this.resultIds.has(cameraId);
    const highlighted = cameraId === this.highlightedId;
    const editing = cameraId === this.editingId;
    // With results shown, other cameras' cones fade so the candidates stand out.
    const dimmed = this.resultIds.size > 0 && !inResults;
    cone.polygon.setStyle({
      color: colour,
      weight: highlighted ? 3 : inResults ? 2 : 1,
      opacity: dimmed ? 0.35 : 0.9,
      fillColor: colour,
      fillOpacity: editing ? 0.05 : highlighted ? 0.45 : dimmed ? 0.08 : 0.22,
      dashArray: editing ? '3 5' : undefined,
    });
    this.decorateCone(cameraId);
  }

  private decorateCone(cameraId: string): void {
    const cone = this.cones.get(cameraId);
    const element = cone?.polygon.getElement();
    if (!cone || !element) return;
    element.setAttribute('data-camera-id', cameraId);
    element.setAttribute('data-state', cone.state);
    element.setAttribute('data-result', String(this.resultIds.has(cameraId)));
    element.toggleAttribute('data-editing', cameraId === this.editingId);
  }
}

/** What a cone was built from: a cone whose key changed is built again. */
function geometryKey(feature: FovFeature): string {
  const { location, bearingDeg, hfovDeg, rangeM } = feature.properties;
  return `${location.lat},${location.lon},${bearingDeg},${hfovDeg},${rangeM}`;
}
