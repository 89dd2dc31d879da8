import type { CameraView } from '../../src/schemas/api.ts';
import type { CameraState } from '../../src/schemas/camera-state.ts';
import type { Catalog } from './catalog.ts';
import { clear, el, setText } from './dom.ts';
import type { LiveStore, LiveUpdate } from './live.ts';
import { CAMERA_STATE_ORDER, CAMERA_STATE_STYLE, isCameraState, SITE_LINK_LABEL } from './states.ts';

export interface Filters {
  hubId: string | null;
  councilId: string | null;
  siteId: string | null;
  /** Empty means every state. */
  states: ReadonlySet<CameraState>;
  /** Case-insensitive match on camera name, camera id or site name. */
  text: string;
}

export interface ViewState {
  filters: Filters;
  selectedId: string | null;
}

/** URL query <-> view state, so a view can be shared: ?hub=&council=&site=&state=down,degraded&q=&camera= */
export function readViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const states = new Set<CameraState>();
  for (const part of (params.get('state') ?? '').split(',')) if (isCameraState(part)) states.add(part);
  return {
    filters: {
      hubId: params.get('hub') || null,
      councilId: params.get('council') || null,
      siteId: params.get('site') || null,
      states,
      text: params.get('q') ?? '',
    },
    selectedId: params.get('camera') || null,
  };
}

export function writeViewState(view: ViewState): string {
  const params = new URLSearchParams();
  const { filters } = view;
  if (filters.hubId) params.set('hub', filters.hubId);
  if (filters.councilId) params.set('council', filters.councilId);
  if (filters.siteId) params.set('site', filters.siteId);
  if (filters.states.size > 0)
    params.set('state', CAMERA_STATE_ORDER.filter((s) => filters.states.has(s)).join(','));
  if (filters.text) params.set('q', filters.text);
  if (view.selectedId) params.set('camera', view.selectedId);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** Everything but the state filter: the scope the summary counts are taken over. */
export function inScope(camera: CameraView, filters: Filters, catalog: Catalog): boolean {
  if (filters.hubId !== null && camera.hubId !== filters.hubId) return false;
  if (filters.councilId !== null && camera.councilId !== filters.councilId) return false;
  if (filters.siteId !== null && camera.siteId !== filters.siteId) return false;
  if (filters.text !== '') {
    const needle = filters.text.toLowerCase();
    if (
      !camera.name.toLowerCase().includes(needle) &&
      !camera.id.includes(needle) &&
      !catalog.siteName(camera.siteId).toLowerCase().includes(needle)
    ) {
      return false;
    }
  }
  return true;
}

export function matchesFilters(camera: CameraView, filters: Filters, catalog: Catalog): boolean {
  return (filters.states.size === 0 || filters.states.has(camera.state)) && inScope(camera, filters, catalog);
}

/**
 * The filter bar: hub, council (within hub), site (within council), free text, and one chip per
 * state with its count in scope; chips toggle the state filter (several may be on).
 */
export class FilterBar {
  readonly element: HTMLElement;
  private filters: Filters;
  private readonly hubSelect = el('select', { id: 'filter-hub', name: 'hub' });
  private readonly councilSelect = el('select', { id: 'filter-council', name: 'council' });
  private readonly siteSelect = el('select', { id: 'filter-site', name: 'site' });
  private readonly textInput = el('input', {
    id: 'filter-text',
    name: 'q',
    type: 'search',
    placeholder: 'Camera or site name',
    autocomplete: 'off',
  });
  private readonly chips = new Map<CameraState, { button: HTMLButtonElement; count: HTMLElement }>();
  private readonly total = el('span', { id: 'filter-total', class: 'filter-total' });
  private textTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * The chips' counts, kept up to date camera by camera as changes arrive (counting the whole fleet
   * on every frame cost milliseconds a frame at 50,000 cameras); counted afresh when the scope or
   * the fleet changes as a whole.
   */
  private readonly tally = {
    counts: new Map<CameraState, number>(),
    scoped: 0,
    shown: 0,
    byCamera: new Map<string, { state: CameraState; scoped: boolean }>(),
  };

  constructor(
    initial: Filters,
    private readonly store: LiveStore,
    private readonly catalog: Catalog,
    private readonly onChange: (filters: Filters) => void,
  ) {
    this.filters = initial;
    this.textInput.value = initial.text;
    const chipGroup = el('div', { class: 'state-chips', role: 'group', 'aria-label': 'Filter by state' });
    for (const state of CAMERA_STATE_ORDER) {
      const count = el('span', { class: 'count' }, '0');
      const button = el(
        'button',
        { type: 'button', class: 'state-chip', 'data-state': state, 'aria-pressed': 'false' },
        el('span', { class: 'swatch', 'aria-hidden': 'true' }),
        el('span', { class: 'label' }, CAMERA_STATE_STYLE[state].label.toLowerCase()),
        ' ',
        count,
      );
      button.addEventListener('click', () => this.toggleState(state));
      this.chips.set(state, { button, count });
      chipGroup.append(button);
    }
    this.element = el(
      'form',
      { id: 'filters', class: 'filter-bar', role: 'search', 'aria-label': 'Camera filters' },
      field('Hub', this.hubSelect),
      field('Council', this.councilSelect),
      field('Site', this.siteSelect),
      field('Search', this.textInput),
      chipGroup,
      this.total,
    );
    this.element.addEventListener('submit', (event) => event.preventDefault());
    this.hubSelect.addEventListener('change', () => {
      this.update({ hubId: this.hubSelect.value || null, councilId: null, siteId: null });
    });
    this.councilSelect.addEventListener('change', () => {
      this.update({ councilId: this.councilSelect.value || null, siteId: null });
    });
    this.siteSelect.addEventListener('change', () => this.update({ siteId: this.siteSelect.value || null }));
    this.textInput.addEventListener('input', () => {
      if (this.textTimer !== null) clearTimeout(this.textTimer);
      this.textTimer = setTimeout(() => this.update({ text: this.textInput.value.trim() }), 150);
    });
    this.renderOptions();
    this.renderChips();
  }

  get current(): Filters {
    return this.filters;
  }

  stop(): void {
    if (this.textTimer !== null) clearTimeout(this.textTimer);
  }

  /** Called once the catalog is loaded (hub and council names). */
  refreshOptions(): void {
    this.renderOptions();
  }

  applyUpdate(update: LiveUpdate): void {
    if (
      update.full ||
      [...update.siteIds].some((id) => !this.siteSelect.querySelector(`option[value="${id}"]`))
    ) {
      this.renderOptions();
    }
    if (update.full) {
      this.renderChips();
      return;
    }
    for (const id of update.cameraIds) this.recount(id);
    // A site's name takes part in the text filter: with text typed, a changed site's cameras count
    // again (only theirs: counting all 50,000 cameras for each site change held a frame 100 ms).
    if (this.filters.text !== '' && update.siteIds.size > 0)
      for (const camera of this.store.cameras.values())
        if (update.siteIds.has(camera.siteId) && !update.cameraIds.has(camera.id)) this.recount(camera.id);
    this.drawChips();
  }

  private toggleState(state: CameraState): void {
    const states = new Set(this.filters.states);
    if (states.has(state)) states.delete(state);
    else states.add(state);
    this.update({ states });
  }

  private update(patch: Partial<Filters>): void {
    this.filters = { ...this.filters, ...patch };
    this.renderOptions();
    this.renderChips();
    this.onChange(this.filters);
  }

  private renderOptions(): void {
    const { hubId, councilId, siteId } = this.filters;
    const cameraHubs = new Set<string>();
    const cameraCouncils = new Set<string>();
    for (const camera of this.store.cameras.values()) {
      cameraHubs.add(camera.hubId);
      cameraCouncils.add(camera.councilId);
    }
    for (const site of this.store.sites.values()) {
      cameraHubs.add(site.hubId);
      cameraCouncils.add(site.councilId);
    }
    for (const hub of this.catalog.hubs.keys()) cameraHubs.add(hub);
    const hubOptions = [...cameraHubs].map((id) => ({ id, label: this.catalog.hubName(id) }));
    fillSelect(this.hubSelect, 'All hubs', hubOptions, hubId);

    for (const council of this.catalog.councils.values()) cameraCouncils.add(council.id);
    const councilOptions = [...cameraCouncils]
      .filter((id) => hubId === null || this.councilHub(id) === hubId)
      .map((id) => ({ id, label: this.catalog.councilName(id) }));
    fillSelect(this.councilSelect, 'All councils', councilOptions, councilId);

    const siteOptions = [...this.store.sites.values()]
      .filter(
        (site) =>
          (hubId === null || site.hubId === hubId) && (councilId === null || site.councilId === councilId),
      )
      .map((site) => ({
        id: site.id,
        label:
          site.state === 'online'
            ? site.name
            : `${site.name} (link ${SITE_LINK_LABEL[site.state].toLowerCase()})`,
      }));
    fillSelect(
      this.siteSelect,
      councilId === null ? 'All sites' : 'All sites in council',
      siteOptions,
      siteId,
    );
  }

  private councilHub(councilId: string): string | undefined {
    const known = this.catalog.councils.get(councilId)?.hubId;
    if (known !== undefined) return known;
    for (const site of this.store.sites.values()) if (site.councilId === councilId) return site.hubId;
    return undefined;
  }

  /** Counts every camera again (the scope or the whole fleet changed), then draws the chips. */
  private renderChips(): void {
    const t = this.tally;
    t.counts = new Map<CameraState, number>(CAMERA_STATE_ORDER.map((state) => [state, 0]));
    t.scoped = 0;
    t.shown = 0;
    t.byCamera.clear();
    for (const camera of this.store.cameras.values()) this.add(camera);
    this.drawChips();
  }

  private add(camera: CameraView): void {
    const t = this.tally;
    const scoped = inScope(camera, this.filters, this.catalog);
    t.byCamera.set(camera.id, { state: camera.state, scoped });
    if (!scoped) return;
    t.scoped += 1;
    t.counts.set(camera.state, (t.counts.get(camera.state) ?? 0) + 1);
    if (this.filters.states.size === 0 || this.filters.states.has(camera.state)) t.shown += 1;
  }

  /** One camera changed (or went): takes out what it counted for, and counts it as it is now. */
  private recount(id: string): void {
    const t = this.tally;
    const before = t.byCamera.get(id);
    if (before) {
      t.byCamera.delete(id);
      if (before.scoped) {
        t.scoped -= 1;
        t.counts.set(before.state, (t.counts.get(before.state) ?? 0) - 1);
        if (this.filters.states.size === 0 || this.filters.states.has(before.state)) t.shown -= 1;
      }
    }
    const camera = this.store.cameras.get(id);
    if (camera) this.add(camera);
  }

  private drawChips(): void {
    const { counts, shown, scoped } = this.tally;
    for (const [state, chip] of this.chips) {
      const count = counts.get(state) ?? 0;
      setText(chip.count, String(count));
      chip.button.dataset.count = String(count);
      chip.button.setAttribute('aria-pressed', String(this.filters.states.has(state)));
      chip.button.title = `${CAMERA_STATE_STYLE[state].label}: ${count} camera${count === 1 ? '' : 's'} (click to filter)`;
    }
    setText(this.total, shown === scoped ? `${scoped} cameras` : `${shown} of ${scoped} cameras`);
    this.total.dataset.shown = String(shown);
  }
}

function field(label: string, control: HTMLElement): HTMLElement {
  return el('label', { class: 'field' }, el('span', { class: 'field-label' }, label), control);
}

function fillSelect(
  select: HTMLSelectElement,
  allLabel: string,
  options: { id: string; label: string }[],
  selected: string | null,
): void {
  options.sort((a, b) => a.label.localeCompare(b.label, 'en-GB'));
  clear(select);
  select.append(el('option', { value: '' }, allLabel));
  for (const option of options) select.append(el('option', { value: option.id }, option.label));
  // A selection from a shared URL that is not (yet) known still shows, rather than silently reading "All".
  if (selected !== null && !options.some((o) => o.id === selected)) {
    select.append(el('option', { value: selected }, selected));
  }
  select.value = selected ?? '';
}
