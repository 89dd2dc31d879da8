import type { LoginResponse, UiConfig } from '../../src/schemas/api.ts';
import { INCIDENT_REF_PATTERN } from '../../src/schemas/incident-ref.ts';
import { UnauthorizedError } from './api.ts';
import { AreaDrawing } from './area-drawing.ts';
import type { Catalog } from './catalog.ts';
import { el, setText } from './dom.ts';
import { FeedGrid } from './feed-grid.ts';
import { GeometryEditor, mayEditGeometry } from './geometry-editor.ts';
import type { GeoPolygon, IncidentApi, IncidentCamera, IncidentQuery, Place } from './incident-api.ts';
import { IncidentMap, type ViewBox } from './incident-map.ts';
import { IncidentResults } from './incident-results.ts';
import type { LiveStore, LiveUpdate } from './live.ts';
import { CANVAS_THRESHOLD } from './map-view.ts';
import { PlaceSearch } from './place-search.ts';

const DEFAULT_RADIUS_M = 200;
const RADIUS_DEBOUNCE_MS = 300;
/** Fields of view change only when a camera is surveyed: reloaded on showing the view after this. */
const FOV_REFRESH_MS = 60_000;
/** Least time between two searches made because mobile sources moved. */
const SOURCE_REFRESH_MS = 5000;
const FEED_ROLES: ReadonlySet<LoginResponse['user']['role']> = new Set(['controlroom', 'operator']);

type Target =
  | { kind: 'point'; lat: number; lon: number; name: string }
  | { kind: 'polygon'; polygon: GeoPolygon };

export interface IncidentViewOptions {
  api: IncidentApi;
  store: LiveStore;
  catalog: Catalog;
  uiConfig: UiConfig;
  user: LoginResponse['user'];
  /** The camera joins the camera wall (roles that may view feeds). */
  addToWall: ((camera: { id: string; name: string }) => void) | null;
}

/**
 * The control room's incident view: set the incident point (place search or a click on the map, or
 * draw an area), see the cameras ranked for it, and open up to four live feeds for an incident.
 */
export class IncidentView {
  readonly element: HTMLElement;
  private readonly map: IncidentMap;
  private readonly area: AreaDrawing;
  private readonly results: IncidentResults;
  private readonly places: PlaceSearch;
  private readonly feeds: FeedGrid | null;
  private readonly editor: GeometryEditor | null;
  private readonly mapElement = el('div', {
    id: 'incident-map',
    class: 'map',
    role: 'region',
    'aria-label': 'Incident map: click to set the incident point',
  });
  private readonly radius = el('input', {
    id: 'incident-radius',
    type: 'range',
    min: 25,
    max: 2000,
    step: 25,
    value: DEFAULT_RADIUS_M,
  });
  private readonly radiusValue = el('output', { for: 'incident-radius', class: 'radius-value' });
  private readonly clearButton = el(
    'button',
    { type: 'button', class: 'mw-action', id: 'clear-incident' },
    'Clear',
  );
  private readonly hint = el('p', { class: 'incident-hint muted', id: 'incident-hint', role: 'status' });
  private readonly error = el('p', { class: 'incident-error error', id: 'incident-error', role: 'alert' });
  private readonly incidentRef = el('input', {
    id: 'incident-ref',
    type: 'text',
    required: true,
    minlength: 3,
    maxlength: 64,
    pattern: INCIDENT_REF_PATTERN,
    placeholder: 'e.g. INC-2026-0142',
    autocomplete: 'off',
    'aria-describedby': 'incident-error',
  });
  private readonly reason = el('input', {
    id: 'incident-reason',
    type: 'text',
    required: true,
    minlength: 3,
    maxlength: 500,
    placeholder: 'Why the feed is needed',
    autocomplete: 'off',
    'aria-describedby': 'incident-error',
  });
  private target: Target | null = null;
  /** When the last search was asked for (sources move: the results follow them, see refreshForSources). */
  private searchedAtMs = 0;
  private sourceTimer: ReturnType<typeof setTimeout> | null = null;
  private searchSeq = 0;
  private radiusTimer: ReturnType<typeof setTimeout> | null = null;
  private fovLoadedAtMs = 0;
  private fovLoading: AbortController | null = null;
  private fovPending: Promise<void> | null = null;
  private viewLoading: AbortController | null = null;
  private active = false;
  private readonly onPageHide = () => this.feeds?.closeAll(true);

  constructor(private readonly options: IncidentViewOptions) {
    const { api, catalog, uiConfig, user } = options;
    const canOpenFeeds = FEED_ROLES.has(user.role);
    this.map = new IncidentMap({
      uiConfig,
      onPoint: (lat, lon) => this.setTarget({ kind: 'point', lat, lon, name: formatPoint(lat, lon) }, false),
      onDrawProgress: (vertices) => this.area.progress(vertices),
      onDrawFinished: () => this.area.finish(),
      onSelectCamera: (id) => this.highlight(id, false, true),
      onConesWanted: (box) => void this.loadConesInView(box),
    });
    this.area = new AreaDrawing(this.map, {
      onHint: (text) => (text === null ? this.setHint() : setText(this.hint, text)),
      onStart: () => this.editor?.close(),
      onArea: (polygon) => this.setTarget({ kind: 'polygon', polygon }, false),
    });
    this.editor = mayEditGeometry(user.role)
      ? new GeometryEditor({
          api,
          map: this.map,
          onSaved: (name) => this.onGeometrySaved(name),
          onEditing: (name) =>
            name === null
              ? this.setHint()
              : setText(
                  this.hint,
                  `Editing the geometry of ${name}: clicks on the map leave the incident point as it is.`,
                ),
        })
      : null;
    this.results = new IncidentResults({
      catalog,
      onOpenFeed: canOpenFeeds ? (camera) => this.openFeed(camera) : null,
      onAddToWall:
        canOpenFeeds && options.addToWall
          ? (camera) => options.addToWall?.({ id: camera.cameraId, name: camera.name })
          : null,
      onEditGeometry: this.editor
        ? (camera, button) => void this.editGeometry(camera.cameraId, button)
        : null,
      onHighlight: (id, pan) => this.highlight(id, pan, false),
      onOpenSource: canOpenFeeds
        ? (source) => this.openFeed({ cameraId: source.sourceId, name: source.name })
        : null,
    });
    options.store.onSources((sources) => {
      this.map.setSources(sources);
      this.refreshForSources();
    });
    this.places = new PlaceSearch(api, (place) => this.pickPlace(place));
    this.feeds = canOpenFeeds
      ? new FeedGrid(api, () => this.results.setOpen(this.feeds?.openCameraIds ?? new Set()))
      : null;
    this.updateRadiusLabel();
    this.radius.addEventListener('input', () => this.onRadius());
    this.clearButton.addEventListener('click', () => this.clearTarget());
    for (const input of [this.incidentRef, this.reason])
      input.addEventListener('input', () => {
        input.removeAttribute('aria-invalid');
        setText(this.error, '');
      });
    this.setHint();
    this.element = el(
      'div',
      { id: 'view-incident', class: 'incident-view', hidden: true, 'data-feeds': String(canOpenFeeds) },
      el(
        'div',
        { class: 'filter-bar incident-bar' },
        this.places.element,
        el(
          'div',
          { class: 'field radius-field' },
          el('label', { class: 'field-label', for: 'incident-radius' }, 'Radius'),
          el('div', { class: 'radius-row' }, this.radius, this.radiusValue),
        ),
        el(
          'div',
          { class: 'field' },
          el('span', { class: 'field-label' }, 'Area'),
          el(
            'div',
            { class: 'area-buttons' },
            this.area.drawButton,
            this.area.finishButton,
            this.clearButton,
          ),
        ),
        canOpenFeeds
          ? this.feedFields()
          : el(
              'p',
              { class: 'muted feed-roles-note' },
              'Live feeds are opened by control rooms and hub operators.',
            ),
      ),
      el('div', { class: 'incident-messages' }, this.hint, this.error),
      el(
        'div',
        { class: 'incident-layout' },
        el(
          'section',
          { class: 'map-panel incident-map-panel', 'aria-label': 'Incident map' },
          this.mapElement,
        ),
        this.results.element,
        // While open, the editor takes the results' place (see styles.css).
        this.editor?.element,
        this.feeds?.element,
      ),
    );
  }

  activate(): void {
    this.element.hidden = false;
    if (!this.active) window.addEventListener('pagehide', this.onPageHide);
    this.active = true;
    if (!this.map.started) this.map.start(this.mapElement);
    else this.map.invalidateSize();
    if (Date.now() - this.fovLoadedAtMs > FOV_REFRESH_MS) void this.loadFieldsOfView();
  }

  /** Leaving the view ends its feeds: a pull from a town's camera must not run unwatched. */
  deactivate(): void {
    this.element.hidden = true;
    this.active = false;
    window.removeEventListener('pagehide', this.onPageHide);
    this.feeds?.closeAll();
    this.editor?.close();
    this.area.cancel();
  }

  stop(): void {
    if (this.sourceTimer !== null) clearTimeout(this.sourceTimer);
    this.sourceTimer = null;
    window.removeEventListener('pagehide', this.onPageHide);
    this.feeds?.closeAll(true);
    this.places.stop();
    this.editor?.close();
    this.fovLoading?.abort();
    this.viewLoading?.abort();
    if (this.radiusTimer !== null) clearTimeout(this.radiusTimer);
    this.map.stop();
  }

  applyUpdate(update: LiveUpdate): void {
    const { cameras } = this.options.store;
    const ids = update.full ? cameras.keys() : update.cameraIds;
    for (const id of ids) {
      const camera = cameras.get(id);
      if (!camera) continue;
      this.map.setCameraState(id, camera.state);
      this.results.setState(id, camera.state);
    }
  }

  /** Hub operators: the geometry editor on a camera (from its result row or the live view's detail panel). */
  async editGeometry(cameraId: string, returnFocus: HTMLElement | null = null): Promise<void> {
    if (!this.editor) return;
    this.area.cancel();
    await this.fovPending;
    if (this.editor.open(cameraId, returnFocus)) return;
    const location = this.options.store.cameras.get(cameraId)?.location.coordinates;
    if (this.map.conesByView && location) {
      // Thousands of cones: only those near the view are loaded; fetch the ones at the camera.
      const [lon, lat] = location;
      const m = 0.0001;
      try {
        this.editor.setFieldsOfView(
          await this.options.api.fieldsOfView({ bbox: [lon - m, lat - m, lon + m, lat + m] }),
        );
      } catch (error) {
        if (error instanceof UnauthorizedError) return;
        setText(this.error, `Could not load the camera's field of view: ${(error as Error).message}`);
        return;
      }
    } else {
      // A camera added since the cones were loaded.
      await this.loadFieldsOfView();
    }
    if (!this.editor.open(cameraId, returnFocus))
      setText(this.error, `Camera ${cameraId} has no field of view to edit (not found or no location).`);
  }

  private async onGeometrySaved(name: string): Promise<void> {
    setText(
      this.hint,
      `Saved the geometry of ${name}. The map shows its field of view as the hub stored it.`,
    );
    await this.loadFieldsOfView();
    // The ranking depends on the geometry too.
    void this.search();
  }

  private feedFields(): HTMLElement {
    return el(
      'fieldset',
      { class: 'incident-fields' },
      el('legend', { class: 'visually-hidden' }, 'Incident (required to open a feed)'),
      el(
        'div',
        { class: 'field' },
        el('label', { class: 'field-label', for: 'incident-ref' }, 'Incident reference'),
        this.incidentRef,
      ),
      el(
        'div',
        { class: 'field reason-field' },
        el('label', { class: 'field-label', for: 'incident-reason' }, 'Reason'),
        this.reason,
      ),
    );
  }

  private loadFieldsOfView(): Promise<void> {
    const pending = this.fetchFieldsOfView();
    this.fovPending = pending;
    return pending;
  }

  private async fetchFieldsOfView(): Promise<void> {
    this.fovLoading?.abort();
    const controller = new AbortController();
    this.fovLoading = controller;
    try {
      const { api } = this.options;
      // How many first: thousands are loaded by view, not all at once (see IncidentMap.setManyCones).
      const count = (await api.fieldsOfView({ limit: 0 }, controller.signal)).numberMatched ?? 0;
      if (count > CANVAS_THRESHOLD) {
        this.fovLoadedAtMs = Date.now();
        this.map.setManyCones(count);
        return;
      }
      const collection = await api.fieldsOfView({}, controller.signal);
      this.fovLoadedAtMs = Date.now();
      this.map.setFieldsOfView(collection);
      this.editor?.setFieldsOfView(collection);
      // The socket may know newer states than the query did.
      this.applyUpdate({ full: true, cameraIds: new Set(), siteIds: new Set() });
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError) return;
      setText(this.error, `Could not load the cameras' fields of view: ${(error as Error).message}`);
    } finally {
      if (this.fovLoading === controller) this.fovLoading = null;
    }
  }

  /** Thousands of cones: those reaching into the map's view (null: zoomed out, none). */
  private async loadConesInView(box: ViewBox | null): Promise<void> {
    this.viewLoading?.abort();
    this.viewLoading = null;
    if (box === null) return;
    const controller = new AbortController();
    this.viewLoading = controller;
    try {
      const collection = await this.options.api.fieldsOfView({ bbox: box }, controller.signal);
      if (controller.signal.aborted || !this.map.conesByView) return;
      // The socket may know newer states than the query did.
      const { cameras } = this.options.store;
      for (const feature of collection.features) {
        const camera = cameras.get(feature.id);
        if (camera) this.map.setCameraState(feature.id, camera.state);
      }
      this.map.showConesInView(collection.features);
      this.editor?.setFieldsOfView(collection);
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError) return;
      setText(this.error, `Could not load the cameras' fields of view: ${(error as Error).message}`);
    } finally {
      if (this.viewLoading === controller) this.viewLoading = null;
    }
  }

  private pickPlace(place: Place): void {
    this.setTarget({ kind: 'point', lat: place.lat, lon: place.lon, name: place.name }, true);
  }

  private setTarget(target: Target, recentre: boolean): void {
    this.area.cancel();
    this.target = target;
    if (target.kind === 'point')
      this.map.setTarget({ lat: target.lat, lon: target.lon, radiusM: this.radiusM }, recentre);
    else this.map.setPolygon(target.polygon);
    void this.search();
  }

  private clearTarget(): void {
    this.area.cancel();
    this.target = null;
    this.searchSeq++;
    this.map.setTarget(null, false);
    this.map.setResults([]);
    this.results.clear();
    this.setHint();
  }

  private async search(): Promise<void> {
    const target = this.target;
    if (target === null) return;
    const seq = ++this.searchSeq;
    this.searchedAtMs = Date.now();
    const label =
      target.kind === 'point' ? `within ${this.radiusM} m of ${target.name}` : 'inside the drawn area';
    const query: IncidentQuery =
      target.kind === 'point'
        ? { point: { lat: target.lat, lon: target.lon }, radiusM: this.radiusM }
        : { polygon: target.polygon };
    this.results.setSearching(label);
    try {
      const result = await this.options.api.search(query);
      if (seq !== this.searchSeq) return;
      this.results.render(result, label, this.feeds?.openCameraIds ?? new Set());
      this.map.setResults(result.cameras);
      this.suggestWider(target.kind === 'point' ? result.cameras.length : null);
    } catch (error) {
      if (seq !== this.searchSeq || error instanceof UnauthorizedError) return;
      this.results.setError(`Search failed: ${(error as Error).message}`);
      this.map.setResults([]);
    }
  }

  /**
   * Drones and officers move: while an incident is set, its results are searched again as their
   * telemetry comes in, at most every SOURCE_REFRESH_MS, so the sources over the place now are listed.
   */
  private refreshForSources(): void {
    if (!this.active || this.target === null || this.sourceTimer !== null) return;
    const wait = Math.max(0, this.searchedAtMs + SOURCE_REFRESH_MS - Date.now());
    this.sourceTimer = setTimeout(() => {
      this.sourceTimer = null;
      if (this.active && this.target !== null) void this.search();
    }, wait);
  }

  private highlight(cameraId: string | null, pan: boolean, fromMap: boolean): void {
    this.map.highlight(cameraId, pan);
    this.results.setHighlighted(cameraId, fromMap);
  }

  private openFeed(camera: Pick<IncidentCamera, 'cameraId' | 'name'>): void {
    if (!this.feeds) return;
    for (const input of [this.incidentRef, this.reason]) {
      if (input.checkValidity()) continue;
      input.setAttribute('aria-invalid', 'true');
      const what = input === this.incidentRef ? 'an incident reference' : 'a reason';
      const rule =
        input === this.incidentRef
          ? ' (3 to 64 letters, digits or / . _ : -, starting with a letter or digit)'
          : ' (at least 3 characters)';
      setText(this.error, `Enter ${what}${rule} before opening a feed.`);
      input.focus();
      return;
    }
    setText(this.error, '');
    void this.feeds.open({
      cameraId: camera.cameraId,
      cameraName: camera.name,
      incidentRef: this.incidentRef.value.trim(),
      reason: this.reason.value.trim(),
    });
  }

  private get radiusM(): number {
    return Number(this.radius.value);
  }

  private onRadius(): void {
    this.updateRadiusLabel();
    if (this.target?.kind !== 'point') return;
    const { lat, lon } = this.target;
    this.map.setTarget({ lat, lon, radiusM: this.radiusM }, false);
    if (this.radiusTimer !== null) clearTimeout(this.radiusTimer);
    this.radiusTimer = setTimeout(() => {
      this.radiusTimer = null;
      void this.search();
    }, RADIUS_DEBOUNCE_MS);
  }

  private updateRadiusLabel(): void {
    setText(this.radiusValue, `${this.radiusM} m`);
    this.radius.setAttribute('aria-valuetext', `${this.radiusM} metres`);
  }

  /**
   * A point search that found few cameras says so and offers a wider radius in one click: a town's
   * cameras are often further apart than the default radius (one of ten found at 200 m).
   */
  private suggestWider(found: number | null): void {
    const max = Number(this.radius.max);
    if (found === null || found >= FEW_CAMERAS || this.radiusM >= max) {
      // Only a suggestion of ours is taken back: other messages in the hint (a saved geometry) stay.
      if (this.hint.querySelector('#incident-widen')) this.setHint();
      return;
    }
    const wider = Math.min(max, this.radiusM * 2);
    const button = el(
      'button',
      { type: 'button', class: 'link-button', id: 'incident-widen' },
      `Widen to ${wider} m`,
    );
    button.addEventListener('click', () => {
      this.radius.value = String(wider);
      this.onRadius();
    });
    this.hint.replaceChildren(
      `${found === 0 ? 'No cameras' : found === 1 ? 'Only 1 camera' : `Only ${found} cameras`} within ${this.radiusM} m. `,
      button,
    );
  }

  private setHint(): void {
    setText(
      this.hint,
      'Find a place or click the map to set the incident point, or draw an area. Cones show where cameras look.',
    );
  }
}

/** Fewer cameras than this in a point search, and a wider radius is offered. */
const FEW_CAMERAS = 3;

function formatPoint(lat: number, lon: number): string {
  return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}
