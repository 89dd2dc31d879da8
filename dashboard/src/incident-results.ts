import type { CameraState } from '../../src/schemas/camera-state.ts';
import type { IncidentSource } from '../../src/schemas/sources.ts';
import type { Catalog } from './catalog.ts';
import { clear, el, sameControlSelector, setText } from './dom.ts';
import type { IncidentCamera, IncidentResult } from './incident-api.ts';
import { SOURCE_KIND_WORD, SOURCE_STATE_WORD } from './source-words.ts';
import { CAMERA_STATE_STYLE } from './states.ts';

export interface IncidentResultsOptions {
  catalog: Catalog;
  /** Null for roles that may search but not pull feeds (council officers). */
  onOpenFeed: ((camera: IncidentCamera) => void) | null;
  /** With onOpenFeed: the camera joins the camera wall. */
  onAddToWall: ((camera: IncidentCamera) => void) | null;
  /** Null for every role but hub operators; the button is handed back to take the focus after editing. */
  onEditGeometry: ((camera: IncidentCamera, button: HTMLElement) => void) | null;
  onHighlight: (cameraId: string | null, pan: boolean) => void;
  /** A mobile source's feed (roles that may open feeds). */
  onOpenSource?: ((source: IncidentSource) => void) | null;
}

/** The ranked cameras of a search: rank, name, state, distance, coverage and pixel density. */
export class IncidentResults {
  readonly element: HTMLElement;
  private readonly summary = el('p', {
    class: 'muted results-summary',
    id: 'incident-summary',
    role: 'status',
  });
  private readonly tbody = el('tbody');
  private readonly table: HTMLTableElement;
  private cameras: IncidentCamera[] = [];
  /** The cameras listed now (state changes of the others pass by). */
  private shownIds = new Set<string>();
  private readonly sourceList = el('ul', { class: 'source-results', id: 'incident-sources' });
  /** Hubs sharing sources that could not be asked: their sources are missing from the list. */
  private readonly sourcesMissing = el('p', {
    class: 'sources-unavailable',
    id: 'sources-unavailable',
    hidden: true,
  });
  private readonly sourceSection = el(
    'div',
    { class: 'source-results-section', hidden: true },
    el('h3', { class: 'panel-subtitle', id: 'sources-title' }, 'Drones and body-worn cameras'),
    this.sourceList,
    this.sourcesMissing,
  );
  constructor(private readonly options: IncidentResultsOptions) {
    const headings = ['#', 'Camera', 'State', 'Distance', 'View', 'Detail'];
    if (options.onOpenFeed) headings.push('Feed');
    if (options.onOpenFeed && options.onAddToWall) headings.push('Wall');
    if (options.onEditGeometry) headings.push('Geometry');
    this.table = el(
      'table',
      { class: 'camera-table incident-table', id: 'incident-results', hidden: true },
      el('caption', { class: 'visually-hidden' }, 'Cameras ranked for the incident'),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...headings.map((h) => el('th', { scope: 'col' }, el('span', { class: 'th-label' }, h))),
        ),
      ),
      this.tbody,
    );
    this.element = el(
      'section',
      { class: 'panel results-panel', 'aria-labelledby': 'results-title' },
      el('h2', { class: 'panel-title', id: 'results-title' }, 'Cameras'),
      this.summary,
      el('div', { class: 'table-scroll' }, this.table),
      this.sourceSection,
    );
    this.tbody.addEventListener('mouseleave', () => options.onHighlight(null, false));
    setText(this.summary, 'Find a place or click the map to set the incident point.');
  }

  setSearching(label: string): void {
    setText(this.summary, `Searching ${label}…`);
    this.summary.classList.remove('error');
  }

  setError(message: string): void {
    setText(this.summary, message);
    this.summary.classList.add('error');
  }

  clear(): void {
    this.cameras = [];
    this.shownIds = new Set();
    clear(this.tbody);
    clear(this.sourceList);
    this.sourceSection.hidden = true;
    this.table.hidden = true;
    this.summary.classList.remove('error');
    setText(this.summary, 'Find a place or click the map to set the incident point.');
  }

  render(result: IncidentResult, label: string, openCameraIds: Set<string>): void {
    this.cameras = result.cameras;
    this.shownIds = new Set(result.cameras.map((c) => c.cameraId));
    this.summary.classList.remove('error');
    const covering = result.cameras.filter((c) => c.covers).length;
    const count = result.cameras.length;
    setText(
      this.summary,
      count === 0
        ? `No camera ${label}.`
        : `${count} camera${count === 1 ? '' : 's'} ${label} · ${covering} with the place in view`,
    );
    this.table.hidden = count === 0;
    // A new search replaces the rows: the focus moves to the same control in the new row.
    const focused = document.activeElement;
    const refocus =
      focused instanceof HTMLElement && this.tbody.contains(focused) ? sameControlSelector(focused) : null;
    clear(this.tbody);
    for (const camera of result.cameras) this.tbody.append(this.row(camera, openCameraIds));
    if (refocus !== null) this.tbody.querySelector<HTMLElement>(refocus)?.focus();
    this.renderSources(result.sources ?? [], result.sourcesUnavailable ?? []);
  }

  /** Mobile sources over the place now, or that passed it lately, with their rank among the cameras. */
  private renderSources(
    sources: readonly IncidentSource[],
    unavailable: readonly { hub: string; message: string }[],
  ): void {
    clear(this.sourceList);
    this.sourceSection.hidden = sources.length === 0 && unavailable.length === 0;
    this.sourcesMissing.hidden = unavailable.length === 0;
    this.sourcesMissing.textContent =
      unavailable.length === 0
        ? ''
        : `Not searched: the sources of ${unavailable.map((u) => `hub ${u.hub} (${u.message})`).join('; ')}.`;
    for (const source of sources) {
      const when = source.coversNow
        ? `over the place now${source.distanceM === null ? '' : `, ${formatDistance(source.distanceM)} away`}`
        : source.coveredFrom && source.coveredTo
          ? `passed ${clock(source.coveredFrom)}–${clock(source.coveredTo)}, ${formatDistance(source.closestM ?? 0)} at closest`
          : 'nearby';
      const item = el(
        'li',
        {
          class: 'source-result',
          'data-source-id': source.sourceId,
          'data-covers-now': String(source.coversNow),
        },
        el('span', { class: 'rank' }, source.rank),
        el(
          'span',
          { class: 'source-result-name' },
          source.name,
          el(
            'span',
            { class: 'muted' },
            ` · ${SOURCE_KIND_WORD[source.kind]} · ${source.unit}${source.hubId ? ` (shared by hub ${source.hubId})` : ''} · ${SOURCE_STATE_WORD[source.state]} · ${when}${source.streamOk === false ? ' · no video at the last stream check' : ''}`,
          ),
        ),
      );
      const { onOpenSource } = this.options;
      if (onOpenSource && source.state !== 'offline') {
        const button = el(
          'button',
          { type: 'button', class: 'mw-action open-source-feed', 'data-source-id': source.sourceId },
          'Open feed',
          el('span', { class: 'visually-hidden' }, ` of ${source.name}`),
        );
        button.addEventListener('click', () => onOpenSource(source));
        item.append(button);
      }
      this.sourceList.append(item);
    }
  }

  /** Live state changes from the socket. */
  setState(cameraId: string, state: CameraState): void {
    // Called for every change of every camera: most are not among the results.
    if (!this.shownIds.has(cameraId)) return;
    const row = this.tbody.querySelector<HTMLElement>(`tr[data-camera-id="${CSS.escape(cameraId)}"]`);
    const badge = row?.querySelector<HTMLElement>('.badge[data-state]');
    if (!row || !badge || badge.dataset.state === state) return;
    badge.dataset.state = state;
    setText(badge, CAMERA_STATE_STYLE[state].label);
  }

  /** Marks the cameras whose feed is open (their button then focuses the tile). */
  setOpen(openCameraIds: Set<string>): void {
    for (const button of this.tbody.querySelectorAll<HTMLButtonElement>('button.open-feed')) {
      const open = openCameraIds.has(button.dataset.cameraId ?? '');
      button.setAttribute('aria-pressed', String(open));
      // The first text node is the visible label; the camera's name after it stays.
      const label = button.firstChild;
      const words = open ? 'Showing' : 'Open feed';
      if (label instanceof Text) {
        if (label.data !== words) label.data = words;
      } else button.prepend(words);
    }
  }

  setHighlighted(cameraId: string | null, scroll: boolean): void {
    for (const row of this.tbody.querySelectorAll<HTMLElement>('tr.incident-row')) {
      const on = row.dataset.cameraId === cameraId;
      row.setAttribute('aria-selected', String(on));
      if (on && scroll) row.scrollIntoView({ block: 'nearest' });
    }
  }

  get results(): readonly IncidentCamera[] {
    return this.cameras;
  }

  private row(camera: IncidentCamera, openCameraIds: Set<string>): HTMLElement {
    const { catalog, onOpenFeed, onEditGeometry, onHighlight } = this.options;
    const density = camera.pixelDensityPxPerM;
    const tr = el(
      'tr',
      {
        class: 'cam-row incident-row',
        'data-camera-id': camera.cameraId,
        'data-rank': camera.rank,
        'data-covers': String(camera.covers),
        tabindex: 0,
        'aria-selected': 'false',
      },
      el('td', { class: 'rank' }, camera.rank),
      el(
        'td',
        {},
        el('div', { class: 'cam-name' }, camera.name),
        el('div', { class: 'cam-id muted' }, `${catalog.siteName(camera.siteId)} · ${camera.cameraId}`),
      ),
      el(
        'td',
        {},
        el('span', { class: 'badge', 'data-state': camera.state }, CAMERA_STATE_STYLE[camera.state].label),
      ),
      el('td', { class: 'num' }, formatDistance(camera.distanceM)),
      el(
        'td',
        {},
        camera.covers
          ? el(
              'span',
              {
                class: 'covers-badge',
                title: `Field of view covers the place (${Math.round(camera.offAxisDeg)}° off its axis)`,
              },
              camera.coverage === null ? 'Covers' : `Covers ${Math.round(camera.coverage * 100)}%`,
            )
          : el(
              'span',
              { class: 'muted', title: 'Within the search area, but not looking at the place' },
              'Nearby',
            ),
      ),
      el(
        'td',
        { class: 'num', title: 'Horizontal pixels per metre at the place' },
        density === null ? '–' : `${Math.round(density)} px/m`,
      ),
    );
    if (onOpenFeed) {
      const open = openCameraIds.has(camera.cameraId);
      const button = el(
        'button',
        {
          type: 'button',
          class: 'mw-action open-feed',
          'data-camera-id': camera.cameraId,
          'aria-pressed': String(open),
        },
        // The name starts with the visible words (speech input users say what they see).
        open ? 'Showing' : 'Open feed',
        el('span', { class: 'visually-hidden' }, ` of ${camera.name}`),
      );
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        onOpenFeed(camera);
      });
      tr.append(el('td', {}, button));
      const { onAddToWall } = this.options;
      if (onAddToWall) {
        const toWall = el(
          'button',
          {
            type: 'button',
            class: 'mw-action add-to-wall',
            'data-camera-id': camera.cameraId,
            'aria-label': `Add to wall: ${camera.name}`,
          },
          'Add to wall',
        );
        toWall.addEventListener('click', (event) => {
          event.stopPropagation();
          onAddToWall(camera);
        });
        tr.append(el('td', {}, toWall));
      }
    }
    if (onEditGeometry) {
      const button = el(
        'button',
        {
          type: 'button',
          class: 'mw-action edit-geometry',
          'data-camera-id': camera.cameraId,
          'aria-label': `Edit the geometry of ${camera.name}`,
        },
        'Edit',
      );
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        onEditGeometry(camera, button);
      });
      tr.append(el('td', {}, button));
    }
    tr.addEventListener('mouseenter', () => onHighlight(camera.cameraId, false));
    tr.addEventListener('focus', () => onHighlight(camera.cameraId, true));
    tr.addEventListener('click', () => onHighlight(camera.cameraId, true));
    return tr;
  }
}

function formatDistance(metres: number): string {
  return metres >= 1000 ? `${(metres / 1000).toFixed(2)} km` : `${Math.round(metres)} m`;
}

/** HH:MM in the hub's time zone (UK). */
function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Europe/London',
  });
}
